/**
 * Writing a built image in the format the user's next tool takes, for every host: raw (holes stay
 * holes where the file can seek), gz (CompressionStream, in Node as in the browser), zst
 * (zstd.wasm), Android sparse (in pieces under a size limit), bmap (raw + NAME.bmap), qcow2, VHD
 * fixed and dynamic, and one raw file per partition (systemd-repart's --split naming). Every writer
 * streams from the image's data ranges; the host only says where files go (OutputHost) and a file is
 * committed only when complete.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { partitionTypeName } from '../model/partition-types.ts';
import { DEFAULT_SEED } from '../model/spec.ts';
import { uuidToBytes } from '../model/uuid.ts';
import type { OutputFormat, ToolName } from '../model/registry.ts';
import { deriveUuid } from '../plan/uuid.ts';
import type { ImagePlan } from '../plan/types.ts';
import { Sha256 } from '../crypto/sha256.ts';
import {
  androidSparseChunks, compressChunks, gzipMembers, makeBmap, planAndroidSparse, planQcow2, planVhdDynamic, qcow2Chunks,
  vhdDynamicChunks, writeVhdFixed, zstdSeekableChunks, copyImageRange, writeRawImage, type ImageSource, type SeekableByteSink, type VhdIdentity,
} from '../formats/outputs/index.ts';
import { zstdFrameCompressor } from '../tools/zstd.ts';
import type { IncrementalHash } from '../nix/index.ts';

/** One output file being written: seekable (raw, VHD, split) or appended to (streams). */
export interface OutputFileSink extends SeekableByteSink {
  /** Writes after the last byte written so far. */
  append(data: Uint8Array): void;
  /** Complete: make the file appear under its name (Node renames NAME.partial). */
  commit(): void | Promise<void>;
  /** Failed: remove what was written. */
  abort(): void;
}

/** Where output files go: the only thing about outputs a host supplies. */
export interface OutputHost {
  create(name: string): OutputFileSink | Promise<OutputFileSink>;
  /** The seekable zstd stream of `image` made faster than one thread can (Node: a worker pool). */
  writeZstdSeekable?(image: ImageSource, append: (chunk: Uint8Array) => void): Promise<void>;
}


/** What the writers need of a plan: the seed (VHD's unique ID) and the partitions (split output). */
export type OutputPlan = Pick<ImagePlan, 'seed' | 'partitions'>;

export interface WriteOutputOptions {
  /** Android sparse: the largest piece in bytes (fastboot's max-download-size). */
  maxPieceBytes?: number;
  /** SOURCE_DATE_EPOCH: the VHD creation time (default 2000-01-01, VHD's epoch). */
  sourceDateEpoch?: number;
  /** The host's compiled tools (zst needs zstd). */
  loadTool?: (name: ToolName) => Promise<WebAssembly.Module>;
  /** A faster hash than the engine's own, if the host has one (Node's crypto), for bmap. */
  createSha256?: () => IncrementalHash;
  onBytes?: (doneBytes: number, totalBytes: number) => void;
}

/** VHD's identity fields: fixed creator, the epoch, a unique ID derived from the layout's seed. */
export function vhdIdentity(seed: string | undefined, sourceDateEpoch: number | undefined): VhdIdentity {
  return {
    // QEMU before 10.0 takes the disk size from the footer only for a few creators ("win " among them).
    creatorApplication: 'win ',
    creatorVersion: 0x000a0000,
    creatorHostOs: 'Wi2k',
    timestampUnixSeconds: sourceDateEpoch ?? 946_684_800,
    uniqueId: uuidToBytes(deriveUuid(seed || DEFAULT_SEED, 'vhd-unique-id')),
  };
}

function baseName(name: string): { dir: string; base: string } {
  const slash = name.lastIndexOf('/');
  return { dir: name.slice(0, slash + 1), base: name.slice(slash + 1) };
}

/** repart's --split: BASE[.raw minus] + "." + SplitName (default %t) + ".raw" when OUT ends in .raw. */
export function splitFileName(out: string, splitName: string): string {
  const { dir, base } = baseName(out);
  const ext = base.endsWith('.raw') ? '.raw' : '';
  return `${dir}${ext ? base.slice(0, -4) : base}.${splitName}${ext}`;
}

/** Android sparse piece N of OUT: `p.simg` → `p.1.simg`. */
export function pieceFileName(out: string, n: number): string {
  const { dir, base } = baseName(out);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `${dir}${base.slice(0, dot)}.${n}${base.slice(dot)}` : `${out}.${n}`;
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

/** Create `name`, let `write` fill it, commit it; on failure the partial file is removed. */
async function intoFile(outputs: OutputHost, name: string, write: (sink: OutputFileSink) => void | Promise<void>): Promise<string> {
  const sink = await outputs.create(name);
  try {
    await write(sink);
  } catch (e) {
    sink.abort();
    throw e;
  }
  await sink.commit();
  return name;
}

function appendAll(chunks: Iterable<Uint8Array>, sink: OutputFileSink): void {
  for (const c of chunks) sink.append(c);
}

/** A stream's chunks as an async iterable (ReadableStream's own iterator is not in every browser). */
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Writes `image` as `format` under `name` (more files beside it for bmap, pieces, split); returns them in order. */
export async function writeOutput(image: ImageSource, plan: OutputPlan, format: OutputFormat, name: string, outputs: OutputHost, options: WriteOutputOptions = {}): Promise<string[]> {
  const { onBytes } = options;
  switch (format) {
    case 'raw':
      return [await intoFile(outputs, name, (sink) => void writeRawImage(image, sink, onBytes))];
    case 'gz':
      // One gzip member per data segment (CompressionStream), holes as zero members made without
      // reading them (formats/outputs/hole-skipping.ts): time ∝ data.
      return [await intoFile(outputs, name, async (sink) => {
        for await (const c of gzipMembers(image, (bytes) => streamChunks(compressChunks(bytes, 'gzip')), onBytes)) sink.append(c);
      })];
    case 'zst': {
      // Seekable zstd: level 3 data frames of 8 MiB with content checksums (like `zstd` itself),
      // holes as RLE frames, then the seek table; `zstd -d` reads it as one stream.
      if (outputs.writeZstdSeekable) return [await intoFile(outputs, name, (sink) => outputs.writeZstdSeekable!(image, (c) => sink.append(c)))];
      if (!options.loadTool) throw new PartwrightError(ErrorCode.Unsupported, 'The zst output needs zstd.wasm, which this host cannot load.');
      const compressFrame = zstdFrameCompressor(await options.loadTool('zstd'));
      return [await intoFile(outputs, name, (sink) => appendAll(zstdSeekableChunks(image, compressFrame, onBytes), sink))];
    }
    case 'android-sparse': {
      const sparse = planAndroidSparse(image, options.maxPieceBytes !== undefined ? { maxPieceBytes: options.maxPieceBytes } : {});
      const names = sparse.pieces.length === 1 ? [name] : sparse.pieces.map((_, i) => pieceFileName(name, i + 1));
      const total = sparse.pieces.reduce((n, p) => n + p.sizeBytes, 0);
      let done = 0;
      for (let i = 0; i < names.length; i++) {
        await intoFile(outputs, names[i]!, (sink) => {
          for (const c of androidSparseChunks(image, sparse, i)) {
            sink.append(c);
            onBytes?.((done += c.length), total);
          }
        });
      }
      return names;
    }
    case 'bmap': {
      await intoFile(outputs, name, (sink) => void writeRawImage(image, sink, onBytes));
      const xml = makeBmap(image, { createSha256: options.createSha256 ?? (() => new Sha256()), ...(onBytes ? { onBytes } : {}) });
      await intoFile(outputs, `${name}.bmap`, (sink) => sink.append(new TextEncoder().encode(xml)));
      return [name, `${name}.bmap`];
    }
    case 'qcow2': {
      const layout = planQcow2(image);
      let done = 0;
      return [await intoFile(outputs, name, (sink) => {
        for (const c of qcow2Chunks(image, layout)) {
          sink.append(c);
          onBytes?.((done += c.length), layout.fileSizeBytes);
        }
      })];
    }
    case 'vhd':
      return [await intoFile(outputs, name, (sink) => void writeVhdFixed(image, sink, vhdIdentity(plan.seed, options.sourceDateEpoch)))];
    case 'vhd-dynamic': {
      const layout = planVhdDynamic(image);
      return [await intoFile(outputs, name, (sink) => appendAll(vhdDynamicChunks(image, vhdIdentity(plan.seed, options.sourceDateEpoch), layout), sink))];
    }
    case 'split': {
      const named = plan.partitions
        .map((p) => ({ p, split: p.spec.splitName === '-' ? undefined : resolveSplitName(p.spec.splitName ?? '%t', p) }))
        .filter((x): x is { p: (typeof x)['p']; split: string } => x.split !== undefined);
      const seen = new Map<string, number>();
      for (const { p, split } of named) {
        const other = seen.get(split);
        if (other !== undefined) {
          throw new PartwrightError(ErrorCode.InvalidSpec, `Partitions ${other} and ${p.partitionNumber} would both be split into '${split}'; set SplitName= (e.g. %t-%n) on one of them.`);
        }
        seen.set(split, p.partitionNumber);
      }
      const total = named.reduce((n, { p }) => n + p.sizeBytes, 0);
      let done = 0;
      const files: string[] = [];
      for (const { p, split } of named) {
        files.push(await intoFile(outputs, splitFileName(name, split), (sink) => {
          sink.setSize(p.sizeBytes);
          copyImageRange(image, sink, p.offsetBytes, p.sizeBytes);
          onBytes?.((done += p.sizeBytes), total);
        }));
      }
      return files;
    }
  }
}
