/**
 * Where each WASM tool of the registry (workers/model/registry.ts) lives and how a host compiles it:
 * the only module hosts ask for tools. The URLs resolve next to the source tree (Node reads them with
 * fs.readFileSync) and are emitted as assets by Vite's `new URL(…, import.meta.url)` handling (the
 * worker fetches them; the service worker precaches them, so this works offline too).
 * Compile once per host, instantiate per run (STYLE.md §8).
 */
import type { ToolName } from '../model/registry.ts';
import { loadMke2fsModule, MKE2FS_WASM_URL } from './mke2fs-module.ts';
import { loadMkfsErofsModule, MKFS_EROFS_WASM_URL } from './mkfs-erofs-module.ts';
import { loadXzModule, loadZlibModule, XZ_WASM_URL, ZLIB_WASM_URL } from './squashfs-compressors.ts';
import { loadSha256LanesModule, SHA256_LANES_WASM_URL } from './sha256-lanes.ts';
import { loadZstdModule, ZSTD_WASM_URL } from './zstd.ts';
import { wasmApi, type WasmBytes } from './wasm-api.ts';

export const WASM_TOOL_URLS: Readonly<Record<ToolName, URL>> = {
  mke2fs: MKE2FS_WASM_URL,
  zstd: ZSTD_WASM_URL,
  'mkfs.erofs': MKFS_EROFS_WASM_URL,
  zlib: ZLIB_WASM_URL,
  xz: XZ_WASM_URL,
  'sha256-lanes': SHA256_LANES_WASM_URL,
};

/** Browser worker: fetch and compile (streaming where the server sends application/wasm). */
export function fetchWasmTool(name: ToolName): Promise<WebAssembly.Module> {
  switch (name) {
    case 'mke2fs':
      return loadMke2fsModule();
    case 'zstd':
      return loadZstdModule();
    case 'mkfs.erofs':
      return loadMkfsErofsModule();
    case 'zlib':
      return loadZlibModule();
    case 'xz':
      return loadXzModule();
    case 'sha256-lanes':
      return loadSha256LanesModule();
  }
}

/** Any host that already has the bytes (Node: fs.readFileSync(WASM_TOOL_URLS[name])). */
export function compileWasmTool(bytes: WasmBytes): WebAssembly.Module {
  return new wasmApi.Module(bytes);
}

/** Loads each tool once per host and remembers it. */
export function toolCache(load: (name: ToolName) => Promise<WebAssembly.Module> | WebAssembly.Module): (name: ToolName) => Promise<WebAssembly.Module> {
  const cache = new Map<ToolName, Promise<WebAssembly.Module>>();
  return (name) => {
    let m = cache.get(name);
    if (!m) {
      m = Promise.resolve(load(name));
      cache.set(name, m);
      m.catch(() => cache.delete(name));
    }
    return m;
  };
}
