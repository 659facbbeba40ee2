/**
 * What every output writer reads from and writes to. `formats/` may not import `disk/`, so the sparse
 * image is described here structurally: `SparseImage` (workers/disk/sparse-image.ts) satisfies
 * `ImageSource` as it is, and the engine's sinks satisfy `ByteSink` / `SeekableByteSink`.
 *
 * Writers stream: they read the image in chunks of at most `OUTPUT_CHUNK_BYTES` and never hold the
 * whole image. Holes read as zeros and are what makes outputs small.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** A byte range of the image (the same shape as `plan/types.ts`' ByteRange). */
export interface ImageRange {
  offsetBytes: number;
  sizeBytes: number;
}

/** A disk image as an extent map: only `dataRanges()` hold data, everything else reads as zero. */
export interface ImageSource {
  readonly sizeBytes: number;
  /** Sorted, non-overlapping ranges that hold data. */
  dataRanges(): readonly ImageRange[];
  /** Fill `target` with the bytes at `offsetBytes` (never past `sizeBytes`). */
  readInto(offsetBytes: number, target: Uint8Array): void;
}

/** A destination that takes bytes in order: a download stream, a pipe, a hash. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
}

/** A destination that can seek (a file, an OPFS handle): holes are left unwritten. */
export interface SeekableByteSink {
  write(offsetBytes: number, data: Uint8Array): void;
  /** Set the final length (extends with a hole). */
  setSize(sizeBytes: number): void;
}

/** Largest piece of image data a writer reads at once. */
export const OUTPUT_CHUNK_BYTES = 1 << 20;

/** Units (blocks, clusters) `[firstUnit, firstUnit + unitCount)` that hold any data. */
export interface UnitRun {
  firstUnit: number;
  unitCount: number;
}

/**
 * The image's data ranges rounded out to whole units of `unitBytes` and merged: the blocks a bmap
 * maps, the clusters a qcow2 allocates. A unit that holds a single data byte is mapped.
 */
export function mappedUnits(image: ImageSource, unitBytes: number): UnitRun[] {
  const runs: UnitRun[] = [];
  for (const r of image.dataRanges()) {
    if (r.sizeBytes <= 0) continue;
    const first = Math.floor(r.offsetBytes / unitBytes);
    const end = Math.ceil((r.offsetBytes + r.sizeBytes) / unitBytes);
    const last = runs.at(-1);
    if (last && first <= last.firstUnit + last.unitCount) {
      last.unitCount = Math.max(last.unitCount, end - last.firstUnit);
    } else {
      runs.push({ firstUnit: first, unitCount: end - first });
    }
  }
  return runs;
}

/** Read `target.length` bytes at `offsetBytes`; whatever lies past the image's end reads as zero. */
export function readPadded(image: ImageSource, offsetBytes: number, target: Uint8Array): void {
  const inside = Math.max(0, Math.min(target.length, image.sizeBytes - offsetBytes));
  if (inside > 0) image.readInto(offsetBytes, target.subarray(0, inside));
  target.fill(0, inside);
}

/**
 * The image's first `lengthBytes` (zeros past its end) as consecutive chunks of at most
 * `chunkBytes`, holes as zeros, for sinks that cannot seek. Every yielded array is new, so a consumer
 * may keep it, transfer it or enqueue it in a ReadableStream.
 */
export function* rawBytes(image: ImageSource, lengthBytes = image.sizeBytes, chunkBytes = OUTPUT_CHUNK_BYTES): Generator<Uint8Array> {
  let pos = 0;
  const until = function* (end: number, data: boolean): Generator<Uint8Array> {
    while (pos < end) {
      const chunk = new Uint8Array(Math.min(chunkBytes, end - pos));
      if (data) readPadded(image, pos, chunk);
      yield chunk;
      pos += chunk.length;
    }
  };
  for (const r of image.dataRanges()) {
    if (r.offsetBytes >= lengthBytes) break;
    yield* until(r.offsetBytes, false);
    yield* until(Math.min(r.offsetBytes + r.sizeBytes, lengthBytes), true);
  }
  yield* until(lengthBytes, false);
}

/** Write every chunk to the sink, in order. Returns the bytes written. */
export function writeChunks(chunks: Iterable<Uint8Array>, sink: ByteSink): number {
  let total = 0;
  for (const chunk of chunks) {
    sink.write(chunk);
    total += chunk.length;
  }
  return total;
}

/** A whole number of bytes ≥ 0 that stays exact as a JS number, or a coded error. */
export function checkImageSize(sizeBytes: number, what: string): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `${what}: image size ${sizeBytes} is not a whole number of bytes.`);
  }
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** A 64-bit field through DataView (offsets stay `number`, bigint only here). */
export function setU64(view: DataView, offsetBytes: number, value: number, littleEndian: boolean): void {
  view.setBigUint64(offsetBytes, BigInt(value), littleEndian);
}

export function getU64(view: DataView, offsetBytes: number, littleEndian: boolean): number {
  const v = view.getBigUint64(offsetBytes, littleEndian);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}
