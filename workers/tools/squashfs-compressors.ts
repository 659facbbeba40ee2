/**
 * Block compressors for the squashfs writer (workers/formats/squashfs): gzip (zlib streams, as
 * squashfs-tools' gzip_wrapper.c makes; wasm/zlib/zlib.wasm, Debian's zlib), zstd (one frame per block, as
 * zstd_wrapper.c makes with ZSTD_compressCCtx; wasm/zstd/zstd.wasm, one instance for the whole image)
 * and xz (one .xz stream per block, as xz_wrapper.c makes; wasm/xz/xz.wasm, Debian's liblzma).
 * Defaults and option blocks follow squashfs-tools 4.5.1: gzip level 9 / window 15, zstd level 15,
 * xz preset 6 with the block size as dictionary (8 KiB for metadata), no BCJ filter, no level;
 * a compressor options block is written only when a setting differs from the default.
 */
import type { SquashfsCompressor } from '../formats/squashfs/index.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { wasmApi } from './wasm-api.ts';

export const SQUASHFS_COMPRESSIONS = ['gzip', 'zstd', 'xz'] as const;
export type SquashfsCompressionName = (typeof SQUASHFS_COMPRESSIONS)[number];
export const SQUASHFS_LEVELS = { gzip: { min: 1, max: 9, default: 9 }, zstd: { min: 1, max: 22, default: 15 } } as const;

/**
 * Everything that makes a squashfs compressor, as plain data a worker can be sent (a compiled
 * WebAssembly.Module clones to workers): the same recipe makes the same bytes in any thread.
 */
export interface SquashfsCompressorRecipe {
  name: SquashfsCompressionName;
  /** The tool for `name`: zlib.wasm, zstd.wasm or xz.wasm, compiled. */
  module: WebAssembly.Module;
  level?: number;
  blockSizeBytes?: number;
}

/** The compressor a recipe names (one WASM instance, for one thread). */
export function squashfsCompressor(r: SquashfsCompressorRecipe): SquashfsCompressor {
  switch (r.name) {
    case 'zstd':
      return zstdSquashfsCompressor(r.module, r.level);
    case 'xz':
      return xzSquashfsCompressor(r.module, r.level, r.blockSizeBytes);
    case 'gzip':
      return gzipSquashfsCompressor(r.module, r.level);
  }
}

function checkLevel(name: keyof typeof SQUASHFS_LEVELS, level: number | undefined): number {
  const { min, max, default: d } = SQUASHFS_LEVELS[name];
  if (level === undefined) return d;
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `CompressionLevel=${level} is outside ${name}'s ${min}…${max} for squashfs.`);
  }
  return level;
}

/** gzip_comp_opts: int compression_level, short window_size, short strategy. */
function gzipOptions(level: number): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, level, true);
  v.setUint16(4, 15, true);
  v.setUint16(6, 0, true);
  return out;
}

interface ZlibExports {
  memory: { readonly buffer: ArrayBuffer };
  zb_in_ptr(): number;
  zb_out_ptr(): number;
  zb_in_cap(): number;
  zb_compress(level: number, n: number): number;
}

/** zlib.wasm URL (wasm/zlib: Debian's zlib 1.2.13 deflate, one stream reset per block). */
export const ZLIB_WASM_URL: URL = new URL('../../wasm/zlib/zlib.wasm', import.meta.url);

/** Browser worker: fetch and compile. */
export async function loadZlibModule(url: URL | string = ZLIB_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/**
 * gzip as squashfs-tools writes it: a zlib stream per block (deflate, window 15, memLevel 8, default
 * strategy), from Debian's zlib compiled to WASM (wasm/zlib/zlib.wasm), one instance per image.
 */
export function gzipSquashfsCompressor(module: WebAssembly.Module, level?: number): SquashfsCompressor {
  const l = checkLevel('gzip', level);
  const x = new wasmApi.Instance(module, {}).exports as unknown as ZlibExports;
  const inPtr = x.zb_in_ptr();
  const outPtr = x.zb_out_ptr();
  const cap = x.zb_in_cap();
  if (!inPtr || !outPtr) throw new PartwrightError(ErrorCode.Io, 'zlib: out of memory');
  const compress = (data: Uint8Array): Uint8Array | undefined => {
    if (data.length > cap) throw new Error(`zlib block of ${data.length} bytes exceeds ${cap}`);
    new Uint8Array(x.memory.buffer, inPtr, data.length).set(data);
    const n = x.zb_compress(l, data.length);
    if (n < 0) throw new PartwrightError(ErrorCode.Io, `zlib failed compressing a squashfs block (error ${n}).`);
    // 0: the block did not shrink; the writer stores it as it is.
    return n === 0 ? undefined : new Uint8Array(x.memory.buffer, outPtr, n).slice();
  };
  return { compression: 'gzip', compress, ...(l !== SQUASHFS_LEVELS.gzip.default ? { options: gzipOptions(l) } : {}) };
}

interface ZstdExports {
  memory: { readonly buffer: ArrayBuffer };
  zs_create(level: number, checksum: number): number;
  zs_set_pledged_size(s: number, bytes: number): number;
  zs_in_ptr(s: number): number;
  zs_in_cap(s: number): number;
  zs_out_ptr(s: number): number;
  zs_remaining(s: number): number;
  zs_feed(s: number, n: number): void;
  zs_step(s: number, mode: number): number;
}
const ZS_END = 2;

/** zstd, one frame per block with its content size and no checksum (as ZSTD_compressCCtx). */
export function zstdSquashfsCompressor(module: WebAssembly.Module, level?: number): SquashfsCompressor {
  const l = checkLevel('zstd', level);
  const x = new wasmApi.Instance(module, {}).exports as unknown as ZstdExports;
  const s = x.zs_create(l, 0);
  if (!s) throw new PartwrightError(ErrorCode.Io, 'zstd: could not create a compression context (out of memory?)');
  const inCap = x.zs_in_cap(s);
  const compress = (data: Uint8Array): Uint8Array => {
    if (data.length > inCap) throw new Error(`zstd block of ${data.length} bytes exceeds ${inCap}`);
    if (x.zs_set_pledged_size(s, data.length) < 0) throw new PartwrightError(ErrorCode.Io, 'zstd: could not start a frame');
    new Uint8Array(x.memory.buffer, x.zs_in_ptr(s), data.length).set(data);
    x.zs_feed(s, data.length);
    const parts: Uint8Array[] = [];
    let total = 0;
    do {
      const r = x.zs_step(s, ZS_END);
      if (r < 0) throw new PartwrightError(ErrorCode.Io, `zstd failed compressing a squashfs block (error ${-r}).`);
      if (r > 0) {
        parts.push(new Uint8Array(x.memory.buffer, x.zs_out_ptr(s), r).slice());
        total += r;
      }
    } while (x.zs_remaining(s) > 0);
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const options = new Uint8Array(4);
  new DataView(options.buffer).setUint32(0, l, true);
  return { compression: 'zstd', compress, ...(l !== SQUASHFS_LEVELS.zstd.default ? { options } : {}) };
}

interface XzExports {
  memory: { readonly buffer: ArrayBuffer };
  xb_in_ptr(): number;
  xb_out_ptr(): number;
  xb_in_cap(): number;
  xb_compress(dictBytes: number, n: number): number;
}

/** xz.wasm URL (wasm/xz: Debian's liblzma 5.4.1, one .xz stream per block). */
export const XZ_WASM_URL: URL = new URL('../../wasm/xz/xz.wasm', import.meta.url);

/** Browser worker: fetch and compile. */
export async function loadXzModule(url: URL | string = XZ_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/** squashfs_fs.h SQUASHFS_METADATA_SIZE: xz_wrapper.c's dictionary for metadata blocks. */
const METADATA_DICT_BYTES = 8192;

/**
 * xz as squashfs-tools 4.5.1 writes it: per block an .xz stream (CRC32 check) with one LZMA2 filter,
 * preset 6, dictionary = the data block size (`blockSizeBytes`) for data and fragment blocks and
 * 8 KiB for metadata blocks; no BCJ filters, so no compressor options block. mksquashfs 4.5.1's xz has
 * no compression level, so CompressionLevel= is refused.
 */
export function xzSquashfsCompressor(module: WebAssembly.Module, level?: number, blockSizeBytes = 128 * 1024): SquashfsCompressor {
  if (level !== undefined) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'CompressionLevel= cannot be used with Compression=xz for squashfs: squashfs-tools 4.5.1 has no xz level (it always uses preset 6).');
  }
  const x = new wasmApi.Instance(module, {}).exports as unknown as XzExports;
  const inPtr = x.xb_in_ptr();
  const outPtr = x.xb_out_ptr();
  const cap = x.xb_in_cap();
  if (!inPtr || !outPtr) throw new PartwrightError(ErrorCode.Io, 'xz: out of memory');
  const withDictionary = (dictBytes: number) => (data: Uint8Array): Uint8Array | undefined => {
    if (data.length > cap) throw new Error(`xz block of ${data.length} bytes exceeds ${cap}`);
    new Uint8Array(x.memory.buffer, inPtr, data.length).set(data);
    const n = x.xb_compress(dictBytes, data.length);
    if (n < 0) throw new PartwrightError(ErrorCode.Io, `liblzma failed compressing a squashfs block (lzma_ret ${-n}).`);
    return n === 0 ? undefined : new Uint8Array(x.memory.buffer, outPtr, n).slice();
  };
  return { compression: 'xz', compress: withDictionary(blockSizeBytes), compressMetadata: withDictionary(METADATA_DICT_BYTES) };
}
