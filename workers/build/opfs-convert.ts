/**
 * Output formats in the browser: a built raw image (an OPFS file) written in the format the user's
 * next tool takes, into new OPFS files the main thread downloads. Every writer streams from the raw
 * file's data ranges in slices (holes are never read), so memory stays at a few chunks.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { uuidToBytes } from '../model/uuid.ts';
import type { ByteRange } from '../plan/types.ts';
import { deriveUuid } from '../plan/uuid.ts';
import { loadWasmSha256 } from '../crypto/fast-sha256.ts';
import {
  androidSparseChunks, compressChunks, gzipMembers, makeBmap, planAndroidSparse, planQcow2, planVhdDynamic, qcow2Chunks, zstdSeekableChunks,
  vhdDynamicChunks, writeVhdFixed, OUTPUT_CHUNK_BYTES, type ImageSource, type VhdIdentity,
} from '../formats/outputs/index.ts';
import { createOpfsSink, opfsRoot, type OpfsBlob, type OpfsSink } from './opfs-output.ts';
import { readCompact } from './opfs-store.ts';
import { readBlobSync } from './opfs-tree.ts';
import { loadZstdModule, zstdFrameCompressor } from '../tools/zstd.ts';

export type EngineOutputFormat = 'raw' | 'gz' | 'zst' | 'android-sparse' | 'bmap' | 'qcow2' | 'vhd' | 'vhd-dynamic';

/** What each format's files are called after the image's base name. */
export const OUTPUT_SUFFIXES: Record<EngineOutputFormat, string> = {
  raw: '.img',
  gz: '.img.gz',
  zst: '.img.zst',
  'android-sparse': '.simg',
  bmap: '.img',
  qcow2: '.qcow2',
  vhd: '.vhd',
  'vhd-dynamic': '.vhd',
};

/** One file a conversion made: its OPFS name and what to append to the download's base name. */
export interface OutputFile {
  fileName: string;
  suffix: string;
}

/** What a build left in OPFS: the compact store file, its chunk map and the image's data map. */
export interface BuiltImageRef {
  fileName: string;
  sizeBytes: number;
  chunkBytes: number;
  /** `[chunk, slot, chunk, slot, …]`. */
  slots: number[];
  dataRanges: ByteRange[];
  seed?: string;
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

/** The built image as an ImageSource: bytes from slices of the compact store file, holes as zeros. */
export async function opfsImageSource(image: BuiltImageRef): Promise<ImageSource> {
  const root = await opfsRoot();
  let file: OpfsBlob;
  try {
    file = await (await root.getFileHandle(image.fileName)).getFile();
  } catch {
    throw new PartwrightError(ErrorCode.Io, `The built image ${image.fileName} is no longer in the browser's storage; build again.`);
  }
  const slots = new Map<number, number>();
  for (let i = 0; i + 1 < image.slots.length; i += 2) slots.set(image.slots[i]!, image.slots[i + 1]!);
  const readAt = (filePos: number, view: Uint8Array): number => {
    const n = Math.max(0, Math.min(view.length, file.size - filePos));
    if (n > 0) readBlobSync(file, filePos, view.subarray(0, n));
    return n;
  };
  return {
    sizeBytes: image.sizeBytes,
    dataRanges: () => image.dataRanges,
    readInto(offsetBytes, target) {
      target.fill(0);
      const end = offsetBytes + target.length;
      for (const r of image.dataRanges) {
        if (r.offsetBytes >= end) break;
        const from = Math.max(r.offsetBytes, offsetBytes);
        const to = Math.min(r.offsetBytes + r.sizeBytes, end);
        if (from < to) readCompact(slots, image.chunkBytes, readAt, from, target.subarray(from - offsetBytes, to - offsetBytes));
      }
    },
  };
}

/** The part of a FileSystemFileHandle (from showSaveFilePicker) the engine writes through. */
export interface WritableFileHandle {
  createWritable(): Promise<{
    truncate(sizeBytes: number): Promise<void>;
    write(params: { type: 'write'; position: number; data: Uint8Array }): Promise<void>;
    close(): Promise<void>;
    abort(): Promise<void>;
  }>;
}

/** Raw image into a user's file: sized first, then data ranges only (holes are seeks). */
export async function writeRawToHandle(image: ImageSource, handle: WritableFileHandle, onProgress: (p: { stage: 'write'; doneBytes: number; totalBytes: number }) => void): Promise<void> {
  const writable = await handle.createWritable();
  try {
    await writable.truncate(image.sizeBytes);
    const ranges = image.dataRanges();
    const total = ranges.reduce((n, r) => n + r.sizeBytes, 0);
    let done = 0;
    for (const r of ranges) {
      for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += OUTPUT_CHUNK_BYTES) {
        const chunk = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos));
        image.readInto(pos, chunk);
        await writable.write({ type: 'write', position: pos, data: chunk });
        done += chunk.length;
        onProgress({ stage: 'write', doneBytes: done, totalBytes: total });
      }
    }
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => undefined);
    throw e;
  }
}

function vhdIdentity(seed: string): VhdIdentity {
  return {
    // QEMU before 10.0 takes the disk size from the footer only for a few creators ("win " among them).
    creatorApplication: 'win ',
    creatorVersion: 0x000a0000,
    creatorHostOs: 'Wi2k',
    timestampUnixSeconds: 946_684_800,
    uniqueId: uuidToBytes(deriveUuid(seed || '00000000-0000-0000-0000-000000000000', 'vhd-unique-id')),
  };
}

async function intoFile(fileName: string, write: (sink: OpfsSink) => void | Promise<void>): Promise<void> {
  const sink = await createOpfsSink(fileName);
  try {
    await write(sink);
  } finally {
    sink.close();
  }
}

function appendAll(chunks: Iterable<Uint8Array>, sink: OpfsSink, totalBytes: number, onBytes: (done: number, total: number) => void): void {
  for (const c of chunks) {
    sink.append(c);
    onBytes(sink.positionBytes, totalBytes);
  }
}

/** The raw image into a seekable OPFS sink: data ranges only, then the size (holes stay holes). */
function writeRaw(image: ImageSource, sink: OpfsSink, onBytes: (done: number, total: number) => void): void {
  const ranges = image.dataRanges();
  const total = ranges.reduce((n, r) => n + r.sizeBytes, 0);
  const buf = new Uint8Array(OUTPUT_CHUNK_BYTES);
  let done = 0;
  sink.setSize(image.sizeBytes);
  for (const r of ranges) {
    for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += OUTPUT_CHUNK_BYTES) {
      const view = buf.subarray(0, Math.min(OUTPUT_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos));
      image.readInto(pos, view);
      sink.write(pos, view);
      done += view.length;
      onBytes(done, total);
    }
  }
}

export interface ConvertOptions {
  /** The layout's seed (VHD unique id). */
  seed: string;
  onBytes: (doneBytes: number, totalBytes: number) => void;
}

/** Writes `format` from the raw image `rawFileName` into OPFS; returns the files to download. */
export async function convertImage(image: ImageSource, rawFileName: string, format: EngineOutputFormat, options: ConvertOptions): Promise<OutputFile[]> {
  const base = rawFileName.replace(/\.store$/, '');
  const out = (ext: string) => `${base}${ext}`;
  const { onBytes } = options;
  switch (format) {
    case 'raw': {
      const name = out('.img');
      await intoFile(name, (sink) => writeRaw(image, sink, onBytes));
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES.raw }];
    }
    case 'gz': {
      // One member per data segment through CompressionStream, holes as zero members: time ∝ data.
      const name = out('.img.gz');
      await intoFile(name, async (sink) => {
        for await (const piece of gzipMembers(image, (bytes) => streamChunks(compressChunks(bytes, 'gzip')), onBytes)) sink.append(piece);
      });
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES.gz }];
    }
    case 'zst': {
      // Seekable zstd (data frames of 8 MiB, holes as RLE frames, seek table last): time ∝ data.
      const name = out('.img.zst');
      const compressFrame = zstdFrameCompressor(await loadZstdModule());
      await intoFile(name, (sink) => {
        for (const piece of zstdSeekableChunks(image, compressFrame, onBytes)) sink.append(piece);
      });
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES.zst }];
    }
    case 'android-sparse': {
      const plan = planAndroidSparse(image);
      const name = out('.simg');
      await intoFile(name, (sink) => appendAll(androidSparseChunks(image, plan, 0), sink, plan.pieces[0]?.sizeBytes ?? 0, onBytes));
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES['android-sparse'] }];
    }
    case 'bmap': {
      const raw = out('.img');
      await intoFile(raw, (sink) => writeRaw(image, sink, onBytes));
      const xml = makeBmap(image, { onBytes, createSha256: await loadWasmSha256() });
      const name = out('.img.bmap');
      await intoFile(name, (sink) => sink.append(new TextEncoder().encode(xml)));
      return [{ fileName: raw, suffix: '.img' }, { fileName: name, suffix: '.img.bmap' }];
    }
    case 'qcow2': {
      const layout = planQcow2(image);
      const name = out('.qcow2');
      await intoFile(name, (sink) => appendAll(qcow2Chunks(image, layout), sink, layout.fileSizeBytes, onBytes));
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES.qcow2 }];
    }
    case 'vhd': {
      const name = out('.vhd');
      await intoFile(name, (sink) => void writeVhdFixed(image, sink, vhdIdentity(options.seed)));
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES.vhd }];
    }
    case 'vhd-dynamic': {
      const layout = planVhdDynamic(image);
      const name = out('.dynamic.vhd');
      await intoFile(name, (sink) => appendAll(vhdDynamicChunks(image, vhdIdentity(options.seed), layout), sink, layout.fileSizeBytes, onBytes));
      return [{ fileName: name, suffix: OUTPUT_SUFFIXES['vhd-dynamic'] }];
    }
  }
}
