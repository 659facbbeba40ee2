/**
 * Raw output: the image itself. A seekable sink gets the size first and then only the data ranges,
 * so holes stay holes (a 64 GiB image holding only tables occupies kilobytes); a stream gets zeros
 * for holes through `rawBytes` (image-source.ts). The one raw writer of every host.
 */
import { OUTPUT_CHUNK_BYTES, type ImageSource, type SeekableByteSink } from './image-source.ts';

/** The range [offsetBytes, +sizeBytes) of the image, data ranges only, into `sink` at 0. */
export function copyImageRange(image: ImageSource, sink: SeekableByteSink, offsetBytes: number, sizeBytes: number, onBytes?: (n: number) => void): void {
  const buf = new Uint8Array(OUTPUT_CHUNK_BYTES);
  const end = offsetBytes + sizeBytes;
  for (const r of image.dataRanges()) {
    const from = Math.max(r.offsetBytes, offsetBytes);
    const to = Math.min(r.offsetBytes + r.sizeBytes, end);
    for (let pos = from; pos < to; pos += OUTPUT_CHUNK_BYTES) {
      const view = buf.subarray(0, Math.min(OUTPUT_CHUNK_BYTES, to - pos));
      image.readInto(pos, view);
      sink.write(pos - offsetBytes, view);
      onBytes?.(view.length);
    }
  }
}

/** The raw image into a seekable sink: its size, then data ranges only. Returns the bytes written. */
export function writeRawImage(image: ImageSource, sink: SeekableByteSink, onBytes?: (doneBytes: number, totalBytes: number) => void): number {
  const total = image.dataRanges().reduce((n, r) => n + r.sizeBytes, 0);
  let done = 0;
  sink.setSize(image.sizeBytes);
  copyImageRange(image, sink, 0, image.sizeBytes, (n) => onBytes?.((done += n), total));
  return done;
}
