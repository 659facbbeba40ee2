/**
 * Writing a built image to files in the format the user's next tool takes (`--output-format`):
 * raw (sparse file), gz, zst (zstd.wasm), Android sparse (split under a size limit), bmap (raw + OUT.bmap), qcow2,
 * VHD fixed and dynamic, and one raw file per partition (systemd-repart's --split naming).
 * Every writer streams from the sparse image; partial files are removed on failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ErrorCode, PartwrightError } from '../workers/model/errors.ts';
import { partitionTypeName } from '../workers/model/partition-types.ts';
import { deriveUuid, uuidToBytes } from '../workers/plan/uuid.ts';
import type { ImagePlan } from '../workers/plan/types.ts';
import type { SparseImage } from '../workers/disk/sparse-image.ts';
import { writeRawImage } from '../workers/disk/raw-output.ts';
import {
  androidSparseChunks, gzipMembers, makeBmap, planAndroidSparse, planQcow2, planVhdDynamic, qcow2Chunks,
  vhdDynamicChunks, writeVhdFixed, type VhdIdentity,
} from '../workers/formats/outputs/index.ts';
import { writeZstdSeekableParallel } from './zstd-parallel.ts';
import { FileSink } from './node-file.ts';
import { nodeSha256 } from './node-hash.ts';

import type { OutputFormat } from './output-formats.ts';

export { OUTPUT_FORMATS, type OutputFormat } from './output-formats.ts';

export interface OutputOptions {
  /** Android sparse: the largest piece in bytes (fastboot's max-download-size). */
  maxPieceBytes?: number;
  /** SOURCE_DATE_EPOCH: the VHD creation time (default 2000-01-01, VHD's epoch). */
  sourceDateEpoch?: number;
}

/** Files written, in order. */
export type WrittenFiles = string[];

function writeAll(fd: number, c: Uint8Array): void {
  let done = 0;
  while (done < c.length) done += fs.writeSync(fd, c, done, c.length - done);
}

function writeChunksToFile(chunks: Iterable<Uint8Array>, file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const c of chunks) writeAll(fd, c);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write to `file.partial`, rename on success, remove on failure: OUT never holds half an image. */
async function atomically(file: string, write: (tmp: string) => void | Promise<void>): Promise<void> {
  const tmp = `${file}.partial`;
  try {
    await write(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function writeRawFile(image: SparseImage, file: string): void {
  const sink = new FileSink(file);
  try {
    writeRawImage(image, sink);
  } finally {
    sink.close();
  }
}

function vhdIdentity(plan: OutputPlan, options: OutputOptions): VhdIdentity {
  return {
    // QEMU before 10.0 takes the disk size from the footer only for a few creators ("win " among them).
    creatorApplication: 'win ',
    creatorVersion: 0x000a0000,
    creatorHostOs: 'Wi2k',
    timestampUnixSeconds: options.sourceDateEpoch ?? 946_684_800,
    uniqueId: uuidToBytes(deriveUuid(plan.seed, 'vhd-unique-id')),
  };
}

/** repart's --split: BASE[.raw minus] + "." + SplitName (default %t) + ".raw" when OUT ends in .raw. */
export function splitFileName(out: string, splitName: string): string {
  const dir = path.dirname(out);
  const base = path.basename(out);
  const ext = base.endsWith('.raw') ? '.raw' : '';
  return path.join(dir, `${ext ? base.slice(0, -4) : base}.${splitName}${ext}`);
}

function resolveSplitName(format: string, p: ImagePlan['partitions'][number]): string {
  return format.replace(/%([%tTUn])/g, (_m, c: string) => {
    switch (c) {
      case '%': return '%';
      case 't': return partitionTypeName(p.typeGuid);
      case 'T': return p.typeGuid.replace(/-/g, '');
      case 'U': return p.uuid.replace(/-/g, '');
      default: return String(p.partitionNumber - 1);
    }
  });
}

/** What the writers need of a plan: the seed (VHD's unique ID) and the partitions (split output). */
export type OutputPlan = Pick<ImagePlan, 'seed' | 'partitions'>;

export async function writeOutput(image: SparseImage, plan: OutputPlan, format: OutputFormat, out: string, options: OutputOptions = {}): Promise<WrittenFiles> {
  switch (format) {
    case 'raw':
      await atomically(out, (tmp) => writeRawFile(image, tmp));
      return [out];
    case 'gz':
      // One gzip member per data segment (level 6, as gzip itself), holes as zero members: time ∝ data.
      await atomically(out, async (tmp) => {
        const fd = fs.openSync(tmp, 'w');
        try {
          for await (const c of gzipMembers(image, (bytes) => [gzipSync(Buffer.concat([...bytes]), { level: 6 })])) writeAll(fd, c);
        } finally {
          fs.closeSync(fd);
        }
      });
      return [out];
    case 'zst':
      // Seekable zstd: level 3 data frames with content checksums (like `zstd` itself), holes as RLE
      // frames, then the seek table; `zstd -d` reads it as one stream. Frames compress on every core.
      await atomically(out, async (tmp) => {
        const fd = fs.openSync(tmp, 'w');
        try {
          await writeZstdSeekableParallel(image, fd);
        } finally {
          fs.closeSync(fd);
        }
      });
      return [out];
    case 'android-sparse': {
      const sparse = planAndroidSparse(image, options.maxPieceBytes !== undefined ? { maxPieceBytes: options.maxPieceBytes } : {});
      const files = sparse.pieces.length === 1 ? [out] : sparse.pieces.map((_, i) => pieceName(out, i + 1));
      for (let i = 0; i < files.length; i++) await atomically(files[i]!, (tmp) => writeChunksToFile(androidSparseChunks(image, sparse, i), tmp));
      return files;
    }
    case 'bmap': {
      const bmapFile = `${out}.bmap`;
      await atomically(out, (tmp) => writeRawFile(image, tmp));
      const xml = makeBmap(image, { createSha256: nodeSha256 });
      await atomically(bmapFile, (tmp) => fs.writeFileSync(tmp, xml));
      return [out, bmapFile];
    }
    case 'qcow2':
      await atomically(out, (tmp) => writeChunksToFile(qcow2Chunks(image, planQcow2(image)), tmp));
      return [out];
    case 'vhd':
      await atomically(out, (tmp) => {
        const sink = new FileSink(tmp);
        try {
          writeVhdFixed(image, sink, vhdIdentity(plan, options));
        } finally {
          sink.close();
        }
      });
      return [out];
    case 'vhd-dynamic':
      await atomically(out, (tmp) => writeChunksToFile(vhdDynamicChunks(image, vhdIdentity(plan, options), planVhdDynamic(image)), tmp));
      return [out];
    case 'split': {
      const named = plan.partitions
        .map((p) => ({ p, name: p.spec.splitName === '-' ? undefined : resolveSplitName(p.spec.splitName ?? '%t', p) }))
        .filter((x): x is { p: (typeof x)['p']; name: string } => x.name !== undefined);
      const seen = new Map<string, number>();
      for (const { p, name } of named) {
        const other = seen.get(name);
        if (other !== undefined) {
          throw new PartwrightError(ErrorCode.InvalidSpec, `Partitions ${other} and ${p.partitionNumber} would both be split into '${name}'; set SplitName= (e.g. %t-%n) on one of them.`);
        }
        seen.set(name, p.partitionNumber);
      }
      const files: string[] = [];
      for (const { p, name } of named) {
        const file = splitFileName(out, name);
        await atomically(file, (tmp) => {
          const sink = new FileSink(tmp);
          try {
            sink.setSize(p.sizeBytes);
            for (const r of image.dataRanges(p.offsetBytes, p.sizeBytes)) {
              for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += 1 << 20) {
                const n = Math.min(1 << 20, r.offsetBytes + r.sizeBytes - pos);
                sink.write(pos - p.offsetBytes, image.read(pos, n));
              }
            }
          } finally {
            sink.close();
          }
        });
        files.push(file);
      }
      return files;
    }
  }
}

function pieceName(out: string, n: number): string {
  const ext = path.extname(out);
  return ext ? `${out.slice(0, -ext.length)}.${n}${ext}` : `${out}.${n}`;
}
