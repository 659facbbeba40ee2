/** The engine's WASM tools for Node hosts: compiled once per process from the committed .wasm files. */
import * as fs from 'node:fs';
import { compileMke2fsModule, MKE2FS_WASM_URL } from '../workers/tools/mke2fs-module.ts';
import { compileZstdModule, ZSTD_WASM_URL } from '../workers/tools/zstd.ts';

const compiled = new Map<string, WebAssembly.Module>();

export function loadNodeTool(name: 'mke2fs'): WebAssembly.Module {
  let m = compiled.get(name);
  if (!m) {
    m = compileMke2fsModule(fs.readFileSync(MKE2FS_WASM_URL));
    compiled.set(name, m);
  }
  return m;
}

let zstdModule: WebAssembly.Module | undefined;

/** wasm/zstd/zstd.wasm, compiled on first use (the zst output format). */
export function loadZstdModule(): WebAssembly.Module {
  return (zstdModule ??= compileZstdModule(fs.readFileSync(ZSTD_WASM_URL)));
}
