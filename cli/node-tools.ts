/** The engine's WASM tools for Node hosts: compiled once per process from the committed .wasm files. */
import * as fs from 'node:fs';
import { compileMke2fsModule, MKE2FS_WASM_URL } from '../workers/tools/mke2fs-module.ts';
import { compileZstdModule, ZSTD_WASM_URL } from '../workers/tools/zstd.ts';
import { compileMkfsErofsModule, MKFS_EROFS_WASM_URL } from '../workers/tools/mkfs-erofs-module.ts';
import type { ToolName } from '../workers/build/filesystems.ts';

const compiled = new Map<string, WebAssembly.Module>();

const TOOL_URLS: Record<ToolName, URL> = { mke2fs: MKE2FS_WASM_URL, 'mkfs.erofs': MKFS_EROFS_WASM_URL, zstd: ZSTD_WASM_URL };

export function loadNodeTool(name: ToolName): WebAssembly.Module {
  let m = compiled.get(name);
  if (!m) {
    m = name === 'zstd' ? loadZstdModule() : name === 'mkfs.erofs' ? compileMkfsErofsModule(fs.readFileSync(TOOL_URLS[name])) : compileMke2fsModule(fs.readFileSync(TOOL_URLS[name]));
    compiled.set(name, m);
  }
  return m;
}

let zstdModule: WebAssembly.Module | undefined;

/** wasm/zstd/zstd.wasm, compiled on first use (the zst output format). */
export function loadZstdModule(): WebAssembly.Module {
  return (zstdModule ??= compileZstdModule(fs.readFileSync(ZSTD_WASM_URL)));
}
