/**
 * Streaming zstd compression with wasm/zstd/zstd.wasm (libzstd 1.5.4's compressor, no imports):
 * `zstdCompressChunks(chunks, module)` turns any iterable of byte chunks into the chunks of one zstd
 * frame that `zstd -d` reads. Memory stays bounded (one context, a 1 MiB input and a ~1 MiB output
 * buffer, whatever the level's window needs) however long the input is. Each stream gets a fresh
 * instance of the compiled module (compile once, instantiate per run: STYLE.md §8).
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
    const at = this.x.zs_error_name(this.s);
    const mem = new Uint8Array(this.x.memory.buffer);
    let end = at;
    while (end < mem.length && mem[end] !== 0) end++;
    const name = new TextDecoder().decode(mem.subarray(at, end));
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
