/**
 * Raw output of a sparse image. A seekable sink gets only the data ranges and a final size, so holes
 * stay holes (a 64 GiB image holding only tables occupies kilobytes); a stream gets zeros for holes.
 */
import type { SparseImage } from './sparse-image.ts';

/** A destination that can seek: a file, an OPFS handle, the File System Access API. */
export interface SeekableSink {
  write(offsetBytes: number, data: Uint8Array): void;
  /** Set the final length (extends with a hole). */
  setSize(sizeBytes: number): void;
}

export const RAW_CHUNK_BYTES = 1 << 20;

/** Copy the image's data ranges to a seekable sink and set its size. Returns bytes written. */
export function writeRawImage(image: SparseImage, sink: SeekableSink, onBytes?: (doneBytes: number, totalBytes: number) => void): number {
  const ranges = image.dataRanges();
  const total = ranges.reduce((n, r) => n + r.sizeBytes, 0);
  let done = 0;
  const buf = new Uint8Array(RAW_CHUNK_BYTES);
  sink.setSize(image.sizeBytes);
  for (const r of ranges) {
    for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += RAW_CHUNK_BYTES) {
      const n = Math.min(RAW_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos);
      const view = buf.subarray(0, n);
      image.readInto(pos, view);
      sink.write(pos, view);
      done += n;
      onBytes?.(done, total);
    }
  }
  return done;
}

/** The whole image as consecutive chunks, holes as zeros: for sinks that cannot seek. */
export function* rawImageChunks(image: SparseImage, chunkBytes = RAW_CHUNK_BYTES): Generator<Uint8Array> {
  const zeros = new Uint8Array(chunkBytes);
  let pos = 0;
  for (const r of image.dataRanges()) {
    while (pos < r.offsetBytes) {
      const n = Math.min(chunkBytes, r.offsetBytes - pos);
      yield zeros.subarray(0, n);
      pos += n;
    }
    while (pos < r.offsetBytes + r.sizeBytes) {
      const n = Math.min(chunkBytes, r.offsetBytes + r.sizeBytes - pos);
      yield image.read(pos, n);
      pos += n;
    }
  }
  while (pos < image.sizeBytes) {
    const n = Math.min(chunkBytes, image.sizeBytes - pos);
    yield zeros.subarray(0, n);
    pos += n;
  }
}

/**
 * Turn the base file an image was built on into the image, writing only what changed: written
 * ranges get their bytes, base data the build discarded gets zeros, and the size grows if needed.
 */
export function writeChangesInPlace(image: SparseImage, sink: SeekableSink, baseSizeBytes: number): number {
  const { written, hidden } = image.changes();
  if (image.sizeBytes !== baseSizeBytes) sink.setSize(image.sizeBytes);
  const zeros = new Uint8Array(RAW_CHUNK_BYTES);
  let done = 0;
  for (const r of hidden) {
    for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += RAW_CHUNK_BYTES) {
      const n = Math.min(RAW_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos);
      sink.write(pos, zeros.subarray(0, n));
      done += n;
    }
  }
  for (const r of written) {
    for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += RAW_CHUNK_BYTES) {
      const n = Math.min(RAW_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos);
      sink.write(pos, image.read(pos, n));
      done += n;
    }
  }
  return done;
}
