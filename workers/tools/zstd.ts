/**
 * Streaming zstd with wasm/zstd/zstd.wasm (libzstd 1.5.4, no imports).
 *
 * Compression: `zstdCompressChunks(chunks, module)` turns any iterable of byte chunks into the chunks
 * of one zstd frame that `zstd -d` reads. Memory stays bounded (one context, a 1 MiB input and a ~1 MiB output
 * buffer, whatever the level's window needs) however long the input is. Each stream gets a fresh
 * instance of the compiled module (compile once, instantiate per run: STYLE.md §8).
 *
 * Decompression: `ZstdDecompressor` (libzstd's own decoder, fuzzed upstream by OSS-Fuzz; it replaced
 * fzstd, which looped forever on some corrupt Huffman tables). Output comes back one ≤ 128 KiB block
 * at a time through a callback, so a caller with a size limit stops a decompression bomb within a
 * block of it; frames asking for a window over 2^windowLogMax bytes are refused before it is allocated.
 */
import { wasmApi, type WasmBytes } from './wasm-api.ts';

export const ZSTD_WASM_URL: URL = new URL('../../wasm/zstd/zstd.wasm', import.meta.url);
export const ZSTD_DEFAULT_LEVEL = 3;

/** Browser worker: fetch and compile. */
export async function loadZstdModule(url: URL | string = ZSTD_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/** Any host that already has the bytes (Node: fs.readFileSync(ZSTD_WASM_URL)). */
export function compileZstdModule(bytes: WasmBytes): WebAssembly.Module {
  return new wasmApi.Module(bytes);
}

export interface ZstdOptions {
  /** 1 (fastest) to 19 (22 with more memory); default 3, like the zstd CLI. */
  level?: number;
  /** Write the content checksum (default true, like the zstd CLI). */
  checksum?: boolean;
  /** The total input size, if known: written into the frame header (`zstd -l` shows it). */
  pledgedSizeBytes?: number;
}

interface ZstdExports {
  memory: { readonly buffer: ArrayBuffer };
  zs_create(level: number, checksum: number): number;
  zs_free(s: number): void;
  zs_set_pledged_size(s: number, bytes: number): number;
  zs_in_ptr(s: number): number;
  zs_in_cap(s: number): number;
  zs_out_ptr(s: number): number;
  zs_in_pending(s: number): number;
  zs_remaining(s: number): number;
  zs_error_name(s: number): number;
  zs_feed(s: number, n: number): void;
  zs_step(s: number, mode: number): number;
  zd_create(windowLogMax: number): number;
  zd_free(s: number): void;
  zd_in_ptr(s: number): number;
  zd_in_cap(s: number): number;
  zd_out_ptr(s: number): number;
  zd_out_cap(s: number): number;
  zd_in_pending(s: number): number;
  zd_frame_done(s: number): number;
  zd_error_name(s: number): number;
  zd_feed(s: number, n: number): void;
  zd_step(s: number): number;
}

function cString(x: ZstdExports, at: number): string {
  const mem = new Uint8Array(x.memory.buffer);
  let end = at;
  while (end < mem.length && mem[end] !== 0) end++;
  return new TextDecoder().decode(mem.subarray(at, end));
}

const ZS_CONTINUE = 0;
const ZS_END = 2;

/**
 * One zstd frame, fed with push() and closed with end(); each returns the compressed chunks it
 * produced (fresh copies, safe to keep). After end() or an error the instance is freed.
 */
export class ZstdCompressor {
  private readonly x: ZstdExports;
  private s: number;
  private readonly inCap: number;

  /** `instance`: a zstd.wasm instance to reuse (zstdFrameCompressor); its memory holds one context at a time. */
  constructor(module: WebAssembly.Module, options: ZstdOptions = {}, instance?: ZstdInstance) {
    this.x = (instance ?? zstdInstance(module)).x;
    const level = options.level ?? ZSTD_DEFAULT_LEVEL;
    if (!Number.isInteger(level) || level < -7 || level > 22) throw new RangeError(`zstd level ${level} is not an integer from -7 to 22`);
    this.s = this.x.zs_create(level, options.checksum === false ? 0 : 1);
    if (!this.s) throw new Error('zstd: could not create a compression context (out of memory?)');
    this.inCap = this.x.zs_in_cap(this.s);
    if (options.pledgedSizeBytes !== undefined) this.check(this.x.zs_set_pledged_size(this.s, options.pledgedSizeBytes));
  }

  /** Compress `data`; returns the output ready so far (often nothing: zstd buffers up to a block). */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let off = 0; off < data.length; off += this.inCap) {
      const n = Math.min(this.inCap, data.length - off);
      const s = this.live();
      new Uint8Array(this.x.memory.buffer, this.x.zs_in_ptr(s), n).set(data.subarray(off, off + n));
      this.x.zs_feed(s, n);
      do {
        this.collect(this.x.zs_step(s, ZS_CONTINUE), out);
      } while (this.x.zs_in_pending(s) > 0);
    }
    return out;
  }

  /** Finish the frame; returns the rest of it. */
  end(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const s = this.live();
    this.x.zs_feed(s, 0);
    do {
      this.collect(this.x.zs_step(s, ZS_END), out);
    } while (this.x.zs_remaining(s) > 0);
    this.free();
    return out;
  }

  /** Release the context early (after end() this is a no-op). */
  free(): void {
    if (this.s) this.x.zs_free(this.s);
    this.s = 0;
  }

  private live(): number {
    if (!this.s) throw new Error('zstd: the stream has ended');
    return this.s;
  }

  private collect(r: number, out: Uint8Array[]): void {
    this.check(r);
    // memory.buffer may have been replaced by a grow: take a fresh view every time.
    if (r > 0) out.push(new Uint8Array(this.x.memory.buffer, this.x.zs_out_ptr(this.s), r).slice());
  }

  private check(r: number): void {
    if (r >= 0) return;
    const name = cString(this.x, this.x.zs_error_name(this.s));
    this.free();
    throw new Error(`zstd: ${name} (error ${-r})`);
  }
}

/** An instance of zstd.wasm, to make many frames one after another without instantiating again. */
export interface ZstdInstance {
  readonly x: ZstdExports;
}

export function zstdInstance(module: WebAssembly.Module): ZstdInstance {
  return { x: new wasmApi.Instance(module, {}).exports as unknown as ZstdExports };
}

/**
 * `(bytes, sizeBytes) => frame`: one complete zstd frame per call (the seekable format's data frames:
 * workers/formats/outputs/hole-skipping.ts), all in one instance, each with its size in the header.
 */
export function zstdFrameCompressor(module: WebAssembly.Module, options: Omit<ZstdOptions, 'pledgedSizeBytes'> = {}): (bytes: Iterable<Uint8Array>, sizeBytes: number) => Generator<Uint8Array> {
  const instance = zstdInstance(module);
  return function* (bytes, sizeBytes) {
    const z = new ZstdCompressor(module, { ...options, pledgedSizeBytes: sizeBytes }, instance);
    try {
      for (const chunk of bytes) yield* z.push(chunk);
      yield* z.end();
    } finally {
      z.free();
    }
  };
}

/** The zstd frame of `chunks`, streamed: one input chunk in memory at a time. */
export function* zstdCompressChunks(chunks: Iterable<Uint8Array>, module: WebAssembly.Module, options: ZstdOptions | number = {}): Generator<Uint8Array> {
  const z = new ZstdCompressor(module, typeof options === 'number' ? { level: options } : options);
  try {
    for (const chunk of chunks) yield* z.push(chunk);
    yield* z.end();
  } finally {
    z.free();
  }
}

/** libzstd's ZSTD_ErrorCode values the decoder's callers tell apart (lib/zstd_errors.h). */
export const ZstdErrorCode = {
  /** The frame's window (or single-segment content size) is over 2^windowLogMax bytes. */
  WindowTooLarge: 16,
  CorruptionDetected: 20,
  ChecksumWrong: 22,
  /** Our own: the input ended inside a frame (or held no frame at all). */
  Truncated: -1,
} as const;

/** A zstd stream the decoder refused: `code` is libzstd's ZSTD_ErrorCode (or ZstdErrorCode.Truncated). */
export class ZstdDecodeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ZstdDecodeError';
  }
}

/** ZSTD_d_windowLogMax's bounds (ZSTD_WINDOWLOG_ABSOLUTEMIN; ZSTD_WINDOWLOG_MAX_32 + 1 is over wasm32's 4 GiB). */
export const ZSTD_WINDOW_LOG_MIN = 10;
export const ZSTD_WINDOW_LOG_MAX = 30;
/** What `zstd -d` accepts without --memory / --long (ZSTD_WINDOWLOG_LIMIT_DEFAULT): 128 MiB. */
export const ZSTD_DEFAULT_WINDOW_LOG_MAX = 27;

export interface ZstdDecompressorOptions {
  /** Refuse frames whose window is over 2^windowLogMax bytes (10..30; default 27, like `zstd -d`). */
  windowLogMax?: number;
}

/**
 * One zstd stream (one or more frames, skippable frames allowed), fed with push() and closed with
 * end(). Each output block goes to `onData` as a fresh copy as soon as it is decoded; if `onData`
 * throws (a caller's size limit), decoding stops there and the instance is freed. Every call does
 * work proportional to the bytes it consumes and produces: libzstd errors out (noForwardProgress)
 * rather than spinning.
 */
export class ZstdDecompressor {
  private readonly x: ZstdExports;
  private s: number;
  private readonly inCap: number;
  private readonly outCap: number;
  private readonly windowLogMax: number;
  private fed = false;

  constructor(
    module: WebAssembly.Module,
    private readonly onData: (block: Uint8Array) => void,
    options: ZstdDecompressorOptions = {},
    instance?: ZstdInstance,
  ) {
    this.x = (instance ?? zstdInstance(module)).x;
    const windowLogMax = options.windowLogMax ?? ZSTD_DEFAULT_WINDOW_LOG_MAX;
    if (!Number.isInteger(windowLogMax) || windowLogMax < ZSTD_WINDOW_LOG_MIN || windowLogMax > ZSTD_WINDOW_LOG_MAX) {
      throw new RangeError(`zstd windowLogMax ${windowLogMax} is not an integer from ${ZSTD_WINDOW_LOG_MIN} to ${ZSTD_WINDOW_LOG_MAX}`);
    }
    this.windowLogMax = windowLogMax;
    this.s = this.x.zd_create(windowLogMax);
    if (!this.s) throw new Error('zstd: could not create a decompression context (out of memory?)');
    this.inCap = this.x.zd_in_cap(this.s);
    this.outCap = this.x.zd_out_cap(this.s);
  }

  /** Decode `data` (the caller may reuse it after the call: it is copied into the module). */
  push(data: Uint8Array): void {
    try {
      for (let off = 0; off < data.length; off += this.inCap) {
        const n = Math.min(this.inCap, data.length - off);
        const s = this.live();
        new Uint8Array(this.x.memory.buffer, this.x.zd_in_ptr(s), n).set(data.subarray(off, off + n));
        this.x.zd_feed(s, n);
        this.fed = true;
        let r: number;
        do {
          r = this.x.zd_step(s);
          this.check(r);
          // memory.buffer may have been replaced by a grow: a fresh view every time.
          if (r > 0) this.onData(new Uint8Array(this.x.memory.buffer, this.x.zd_out_ptr(s), r).slice());
        } while (this.x.zd_in_pending(s) > 0 || r === this.outCap);
      }
    } catch (e) {
      this.free();
      throw e;
    }
  }

  /** The input is complete: throws ZstdDecodeError(Truncated) unless it ended at a frame boundary. */
  end(): void {
    const s = this.live();
    const done = this.fed && this.x.zd_frame_done(s) === 1;
    this.free();
    if (!done) throw new ZstdDecodeError(ZstdErrorCode.Truncated, this.fed ? 'the stream ends inside a frame (cut short?)' : 'the stream is empty');
  }

  /** Release the context early (after end() or an error this is a no-op). */
  free(): void {
    if (this.s) this.x.zd_free(this.s);
    this.s = 0;
  }

  private live(): number {
    if (!this.s) throw new Error('zstd: the stream has ended');
    return this.s;
  }

  private check(r: number): void {
    if (r >= 0) return;
    const name = cString(this.x, this.x.zd_error_name(this.s));
    const hint = -r === ZstdErrorCode.WindowTooLarge ? `: its window is over the ${2 ** this.windowLogMax} bytes allowed (made with zstd --long or --ultra? recompress without)` : '';
    throw new ZstdDecodeError(-r, `${name}${hint}`);
  }
}

/** The smallest ZSTD_d_windowLogMax that admits a window of `bytes` (clamped to the decoder's range). */
export function zstdWindowLogFor(bytes: number): number {
  let log = ZSTD_WINDOW_LOG_MIN;
  while (log < ZSTD_WINDOW_LOG_MAX && 2 ** log < bytes) log++;
  return log;
}
