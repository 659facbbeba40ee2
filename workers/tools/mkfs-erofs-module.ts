/**
 * Where mkfs.erofs.wasm lives and how a host turns it into a module (as mke2fs-module.ts): Node reads
 * the URL with fs.readFileSync, Vite emits it as an asset the worker fetches. Compile once, run many.
 */
import { wasmApi, type WasmBytes } from './wasm-api.ts';

export const MKFS_EROFS_WASM_URL: URL = new URL('../../wasm/erofs-utils/mkfs.erofs.wasm', import.meta.url);

/** Browser worker: fetch and compile (streaming where the server sends application/wasm). */
export async function loadMkfsErofsModule(url: URL | string = MKFS_EROFS_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/** Any host that already has the bytes (Node: fs.readFileSync(MKFS_EROFS_WASM_URL)). */
export function compileMkfsErofsModule(bytes: WasmBytes): WebAssembly.Module {
  return new wasmApi.Module(bytes);
}
