/**
 * Streaming decompression of downloaded NARs: none, zstd (fzstd, pure JS) and xz (xz-decompress,
 * xz-embedded compiled to WASM). Both work in a Web Worker and in Node; neither holds the whole file.
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import * as xzModule from 'xz-decompress';
import { NixError, NixProblem } from './errors.ts';
import type { NarCompression } from './narinfo.ts';

// xz-decompress is a UMD bundle: bundlers see its named export, Node's ESM loader only `default`.
const XzReadableStream: typeof xzModule.XzReadableStream =
  xzModule.XzReadableStream ?? (xzModule as unknown as { default: typeof xzModule }).default.XzReadableStream;

export const SUPPORTED_COMPRESSIONS: readonly NarCompression[] = ['none', 'zstd', 'xz'];

function zstdStream(what: string): TransformStream<Uint8Array, Uint8Array> {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  const fail = (e: unknown) =>
    new NixError(NixProblem.Decompress, `${what}: the zstd stream is corrupt (${(e as Error).message}).`, { storePath: what });
  const z = new ZstdDecompress((chunk) => {
    if (chunk.length > 0) controller.enqueue(chunk);
  });
  return new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      controller = c;
    },
    transform(chunk) {
      try {
        z.push(chunk);
      } catch (e) {
        throw fail(e);
      }
    },
    flush() {
      try {
        z.push(new Uint8Array(0), true);
      } catch (e) {
        throw fail(e);
      }
    },
  });
}

/** Map errors from a stream (the WASM xz decoder throws plain Errors) to coded ones. */
function codedErrors(stream: ReadableStream<Uint8Array>, what: string, kind: string): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      } catch (e) {
        if (e instanceof NixError) throw e;
        throw new NixError(NixProblem.Decompress, `${what}: the ${kind} stream is corrupt (${(e as Error).message}).`, { storePath: what });
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The uncompressed NAR bytes of a downloaded file body compressed with `compression`. */
export function decompressNarStream(body: ReadableStream<Uint8Array>, compression: NarCompression, what: string): ReadableStream<Uint8Array> {
  switch (compression) {
    case 'none':
      return body;
    case 'zstd':
      return codedErrors(body.pipeThrough(zstdStream(what)), what, 'zstd');
    case 'xz':
      return codedErrors(new XzReadableStream(body), what, 'xz');
    default:
      throw new NixError(
        NixProblem.UnsupportedCompression,
        `${what}: the cache compressed it with ${compression}; this client reads ${SUPPORTED_COMPRESSIONS.join(', ')} (publish with nix copy --to 'file://DIR?compression=zstd').`,
        { storePath: what, compression },
      );
  }
}
