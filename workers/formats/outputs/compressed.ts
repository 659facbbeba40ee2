/**
 * Compressed raw images through the platform's `CompressionStream` (browsers and workers; Node 18+):
 * gzip (RFC 1952), which `gzip -d`, `bmaptool copy X.img.gz` and Raspberry Pi Imager read. The raw
 * bytes stream from the sparse image (holes as zeros), so memory stays at a few chunks, but every
 * byte of the image, holes included, goes through the compressor.
 *
 * zstd is not a `CompressionStream` format; it needs a WASM build of libzstd (compression side; no
 * dependency is added here).
 */
import { rawBytes, type ByteSink, type ImageSource } from './image-source.ts';

export type StreamCompression = 'gzip' | 'deflate' | 'deflate-raw';

/** A pull-based stream over a chunk generator: the next chunk is read only when the consumer asks. */
export function chunksToStream(chunks: Iterable<Uint8Array>): ReadableStream<Uint8Array<ArrayBuffer>> {
  const iterator = chunks[Symbol.iterator]();
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const next = iterator.next();
      if (next.done) controller.close();
      // The writers only make plain ArrayBuffer-backed arrays (never shared memory).
      else controller.enqueue(next.value as Uint8Array<ArrayBuffer>);
    },
    cancel() {
      iterator.return?.();
    },
  }, { highWaterMark: 1 });
}

/** Any chunk stream, compressed. */
export function compressChunks(chunks: Iterable<Uint8Array>, format: StreamCompression = 'gzip'): ReadableStream<Uint8Array> {
  return chunksToStream(chunks).pipeThrough(new CompressionStream(format));
}

/** The whole raw image, gzip-compressed. */
export function gzipRawImage(image: ImageSource): ReadableStream<Uint8Array> {
  return compressChunks(rawBytes(image), 'gzip');
}

/** Drain a stream into a sequential sink. Returns the bytes written. */
export async function writeStream(stream: ReadableStream<Uint8Array>, sink: ByteSink): Promise<number> {
  const reader = stream.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    sink.write(value);
    total += value.length;
  }
}
