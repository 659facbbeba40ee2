/**
 * Where mke2fs.wasm lives and how a host turns it into a module. The URL resolves next to this file
 * in the source tree (Node reads it with fs.readFileSync(url)) and is emitted as an asset by Vite's
 * `new URL(…, import.meta.url)` handling (the worker fetches it). Compile once, run many times.
 */
import { wasmApi, type WasmBytes } from './wasm-api.ts';

export const MKE2FS_WASM_URL: URL = new URL('../../wasm/e2fsprogs/mke2fs.wasm', import.meta.url);

/** Browser worker: fetch and compile (streaming where the server sends application/wasm). */
export async function loadMke2fsModule(url: URL | string = MKE2FS_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/** Any host that already has the bytes (Node: fs.readFileSync(MKE2FS_WASM_URL)). */
export function compileMke2fsModule(bytes: WasmBytes): WebAssembly.Module {
  return new wasmApi.Module(bytes);
}
