/**
 * In-place output of a sparse image built on a base file: only what changed is written. (Raw output
 * of a whole image is formats/outputs/raw.ts, the same for every host.)
 */
import type { SparseImage } from './sparse-image.ts';

/** A destination that can seek: a file, an OPFS handle, the File System Access API. */
export interface SeekableSink {
  write(offsetBytes: number, data: Uint8Array): void;
  /** Set the final length (extends with a hole). */
  setSize(sizeBytes: number): void;
}

export const RAW_CHUNK_BYTES = 1 << 20;

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
