/**
 * Writing a built image to files in the format the user's next tool takes (`--output-format`):
 * raw (sparse file), gz, zst (zstd.wasm), Android sparse (split under a size limit), bmap (raw + OUT.bmap), qcow2,
 * VHD fixed and dynamic, and one raw file per partition (systemd-repart's --split naming).
 * Every writer streams from the sparse image; partial files are removed on failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ErrorCode, PartwrightError } from '../workers/model/errors.ts';
import { partitionTypeName } from '../workers/model/partition-types.ts';
import { deriveUuid, uuidToBytes } from '../workers/plan/uuid.ts';
import type { ImagePlan } from '../workers/plan/types.ts';
import type { SparseImage } from '../workers/disk/sparse-image.ts';
import { writeRawImage } from '../workers/disk/raw-output.ts';
import {
  androidSparseChunks, makeBmap, planAndroidSparse, planQcow2, planVhdDynamic, qcow2Chunks, rawBytes,
  vhdDynamicChunks, writeVhdFixed, type VhdIdentity,
} from '../workers/formats/outputs/index.ts';
import { zstdCompressChunks } from '../workers/tools/zstd.ts';
import { FileSink } from './node-file.ts';
import { createOwnedFile, EXCLUSIVE_RW, freshPartialName, removeOwned, renameOwned } from './node-scratch.ts';
import { loadZstdModule } from './node-tools.ts';
import { nodeSha256 } from './node-hash.ts';

export const OUTPUT_FORMATS = ['raw', 'gz', 'zst', 'android-sparse', 'bmap', 'qcow2', 'vhd', 'vhd-dynamic', 'split'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputOptions {
  /** Android sparse: the largest piece in bytes (fastboot's max-download-size). */
  maxPieceBytes?: number;
  /** SOURCE_DATE_EPOCH: the VHD creation time (default 2000-01-01, VHD's epoch). */
  sourceDateEpoch?: number;
}

/** Files written, in order. */
export type WrittenFiles = string[];

function writeChunksToFd(chunks: Iterable<Uint8Array>, fd: number, file: string): void {
  for (const c of chunks) {
    let done = 0;
    while (done < c.length) {
      try {
        done += fs.writeSync(fd, c, done, c.length - done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new PartwrightError(ErrorCode.Io, `Cannot write ${file}: ${err.code === 'ENOSPC' ? 'no space left on the device' : err.message}.`, { where: file });
      }
    }
  }
}

/**
 * Write to a new `file.partial` (created exclusively: never through an existing path or symlink),
 * rename on success, remove on failure: OUT never holds half an image, and a killed process leaves
 * no partial file (node-scratch.ts).
 */
async function atomically(file: string, write: (fd: number, tmp: string) => void | Promise<void>): Promise<void> {
  const tmp = freshPartialName(file);
  const fd = createOwnedFile(tmp, 0o644, EXCLUSIVE_RW);
  let open = true;
  try {
    await write(fd, tmp);
    fs.closeSync(fd);
    open = false;
    renameOwned(tmp, file);
  } catch (e) {
    if (open) fs.closeSync(fd);
    removeOwned(tmp);
    throw e;
  }
}

function writeRawFile(image: SparseImage, fd: number, file: string): void {
  writeRawImage(image, FileSink.fromFd(fd, file));
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
      await atomically(out, (fd, tmp) => writeRawFile(image, fd, tmp));
      return [out];
    case 'gz':
      await atomically(out, (fd) => pipeline(Readable.from(rawBytes(image)), createGzip({ level: 6 }), fs.createWriteStream('', { fd, autoClose: false })));
      return [out];
    case 'zst':
      // Level 3 and a content checksum, like `zstd` itself; the frame header carries the image size.
      await atomically(out, (fd, tmp) => writeChunksToFd(zstdCompressChunks(rawBytes(image), loadZstdModule(), { pledgedSizeBytes: image.sizeBytes }), fd, tmp));
      return [out];
    case 'android-sparse': {
      const sparse = planAndroidSparse(image, options.maxPieceBytes !== undefined ? { maxPieceBytes: options.maxPieceBytes } : {});
      const files = sparse.pieces.length === 1 ? [out] : sparse.pieces.map((_, i) => pieceName(out, i + 1));
      for (let i = 0; i < files.length; i++) await atomically(files[i]!, (fd, tmp) => writeChunksToFd(androidSparseChunks(image, sparse, i), fd, tmp));
      return files;
    }
    case 'bmap': {
      const bmapFile = `${out}.bmap`;
      await atomically(out, (fd, tmp) => writeRawFile(image, fd, tmp));
      const xml = makeBmap(image, { createSha256: nodeSha256 });
      await atomically(bmapFile, (fd, tmp) => writeChunksToFd([new TextEncoder().encode(xml)], fd, tmp));
      return [out, bmapFile];
    }
    case 'qcow2':
      await atomically(out, (fd, tmp) => writeChunksToFd(qcow2Chunks(image, planQcow2(image)), fd, tmp));
      return [out];
    case 'vhd':
      await atomically(out, (fd, tmp) => { writeVhdFixed(image, FileSink.fromFd(fd, tmp), vhdIdentity(plan, options)); });
      return [out];
    case 'vhd-dynamic':
      await atomically(out, (fd, tmp) => writeChunksToFd(vhdDynamicChunks(image, vhdIdentity(plan, options), planVhdDynamic(image)), fd, tmp));
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
        await atomically(file, (fd, tmp) => {
          const sink = FileSink.fromFd(fd, tmp);
          sink.setSize(p.sizeBytes);
          for (const r of image.dataRanges(p.offsetBytes, p.sizeBytes)) {
            for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += 1 << 20) {
              const n = Math.min(1 << 20, r.offsetBytes + r.sizeBytes - pos);
              sink.write(pos - p.offsetBytes, image.read(pos, n));
            }
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
