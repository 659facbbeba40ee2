/**
 * Streaming decompression of downloaded NARs: none, zstd (libzstd compiled to WASM: wasm/zstd) and
 * xz (xz-decompress, xz-embedded compiled to WASM). Both work in a Web Worker and in Node; neither
 * holds the whole file.
 */
import { loadZstdModule, ZstdDecodeError, ZstdDecompressor, ZstdErrorCode, zstdWindowLogFor } from '../tools/zstd.ts';
import * as xzModule from 'xz-decompress';
import { NixError, NixProblem } from './errors.ts';
import type { NarCompression } from './narinfo.ts';

// xz-decompress is a UMD bundle: bundlers see its named export, Node's ESM loader only `default`.
const XzReadableStream: typeof xzModule.XzReadableStream =
  xzModule.XzReadableStream ?? (xzModule as unknown as { default: typeof xzModule }).default.XzReadableStream;

/** Where the host gets the compiled wasm/zstd/zstd.wasm (Node: loadNodeTool('zstd'); a worker: its tool cache). */
export type ZstdLoader = () => Promise<WebAssembly.Module> | WebAssembly.Module;

/** The default loader: zstd.wasm fetched and compiled once per worker (a failed fetch is retried next time). */
let fetchedZstd: Promise<WebAssembly.Module> | undefined;
function fetchZstdOnce(): Promise<WebAssembly.Module> {
  fetchedZstd ??= loadZstdModule();
  fetchedZstd.catch(() => (fetchedZstd = undefined));
  return fetchedZstd;
}

export const SUPPORTED_COMPRESSIONS: readonly NarCompression[] = ['none', 'zstd', 'xz'];

function tooLong(what: string, maxBytes: number): NixError {
  return new NixError(NixProblem.NarSizeMismatch, `${what}: the NAR decompresses to more than its NarSize ${maxBytes} (refused; a decompression bomb?).`, { storePath: what });
}

/**
 * zstd through libzstd's decoder (wasm/zstd/zstd.wasm via tools/zstd.ts), loaded by `loadZstd`
 * when the first chunk arrives. Output comes one ≤ 128 KiB block at a time and is counted as it
 * comes, so a bomb stops at the first block past the limit instead of after gigabytes. Frames
 * whose window (or single-segment content size) is over what the limit can need are refused
 * before anything is allocated: here from the header for a clear message, and by libzstd itself
 * (ZSTD_d_windowLogMax) for every frame of the stream.
 */
function zstdStream(what: string, maxBytes: number, loadZstd: ZstdLoader): TransformStream<Uint8Array, Uint8Array> {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  let outBytes = 0;
  let headerChecked = false;
  let z: ZstdDecompressor | undefined;
  const windowLimitBytes = Math.max(maxBytes, MIN_WINDOW_BYTES);
  const windowTooLarge = (detail: string) =>
    new NixError(NixProblem.Decompress, `${what}: the zstd frame asks for ${detail}, more than its NarSize ${maxBytes} can need (refused).`, { storePath: what });
  const fail = (e: unknown) => {
    if (e instanceof NixError) return e;
    if (e instanceof ZstdDecodeError && e.code === ZstdErrorCode.WindowTooLarge) return windowTooLarge(`a window over ${2 ** zstdWindowLogFor(windowLimitBytes)} bytes`);
    return new NixError(NixProblem.Decompress, `${what}: the zstd stream is corrupt (${(e as Error).message}).`, { storePath: what });
  };
  const decoder = async (): Promise<ZstdDecompressor> => {
    if (z) return z;
    let module: WebAssembly.Module;
    try {
      module = await loadZstd();
    } catch (e) {
      throw new NixError(NixProblem.Decompress, `${what}: could not load the zstd decoder (${(e as Error).message}).`, { storePath: what });
    }
    z = new ZstdDecompressor(
      module,
      (block) => {
        outBytes += block.length;
        if (outBytes > maxBytes) throw tooLong(what, maxBytes);
        controller.enqueue(block);
      },
      { windowLogMax: zstdWindowLogFor(windowLimitBytes) },
    );
    return z;
  };
  let head = new Uint8Array(0);
  const checkHeader = (piece: Uint8Array) => {
    // RFC 8878 §3.1.1.1: magic, frame header descriptor, then (unless single-segment) the window descriptor.
    if (headerChecked) return;
    const joined = new Uint8Array(head.length + Math.min(piece.length, 6));
    joined.set(head);
    joined.set(piece.subarray(0, 6), head.length);
    head = joined;
    if (head.length < 6) return;
    headerChecked = true;
    const chunk = head;
    const magic = chunk[0]! | (chunk[1]! << 8) | (chunk[2]! << 16) | (chunk[3]! << 24);
    if (magic >>> 0 !== 0xfd2fb528 || (chunk[4]! & 0x20) !== 0) return;
    const exponent = chunk[5]! >> 3;
    const base = 2 ** (10 + exponent);
    const windowBytes = base + (base / 8) * (chunk[5]! & 7);
    if (windowBytes > windowLimitBytes) throw windowTooLarge(`a ${windowBytes}-byte window`);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      controller = c;
    },
    async transform(chunk) {
      try {
        checkHeader(chunk);
        (await decoder()).push(chunk);
      } catch (e) {
        throw fail(e);
      }
    },
    async flush() {
      try {
        (await decoder()).end();
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

/** A window this small is always allowed (zstd's own default for small inputs is up to 8 MiB). */
const MIN_WINDOW_BYTES = 8 << 20;

/** Pass at most `maxBytes` through; one byte more fails the stream and stops pulling its source. */
function bounded(stream: ReadableStream<Uint8Array>, what: string, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let n = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await reader.read();
      if (r.done) return c.close();
      n += r.value.length;
      if (n > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLong(what, maxBytes);
      }
      c.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * The uncompressed NAR bytes of a downloaded file body compressed with `compression`, never more
 * than `maxBytes` (the signed NarSize: URL and Compression are not signed, so the body may be a
 * bomb). Memory and time stay bounded by the limit for every codec. `loadZstd` defaults to fetching
 * zstd.wasm (a browser worker); Node hosts pass loadNodeTool('zstd').
 */
export function decompressNarStream(
  body: ReadableStream<Uint8Array>,
  compression: NarCompression,
  what: string,
  maxBytes = Number.MAX_SAFE_INTEGER,
  loadZstd: ZstdLoader = fetchZstdOnce,
): ReadableStream<Uint8Array> {
  switch (compression) {
    case 'none':
      return bounded(body, what, maxBytes);
    case 'zstd':
      return bounded(codedErrors(body.pipeThrough(zstdStream(what, maxBytes, loadZstd)), what, 'zstd'), what, maxBytes);
    case 'xz':
      return bounded(codedErrors(new XzReadableStream(body), what, 'xz'), what, maxBytes);
    default:
      throw new NixError(
        NixProblem.UnsupportedCompression,
        `${what}: the cache compressed it with ${compression}; this client reads ${SUPPORTED_COMPRESSIONS.join(', ')} (publish with nix copy --to 'file://DIR?compression=zstd').`,
        { storePath: what, compression },
      );
  }
}
