/** The engine's WASM tools for Node hosts: compiled once per process from the committed .wasm files. */
import * as fs from 'node:fs';
import type { ToolName } from '../../model/registry.ts';
import { compileWasmTool, WASM_TOOL_URLS } from '../../tools/wasm-tools.ts';

const compiled = new Map<ToolName, WebAssembly.Module>();

/** The tool compiled from wasm/ (synchronously: Node has the bytes at hand). */
export function loadNodeTool(name: ToolName): WebAssembly.Module {
  let m = compiled.get(name);
  if (!m) {
    m = compileWasmTool(fs.readFileSync(WASM_TOOL_URLS[name]));
    compiled.set(name, m);
  }
  return m;
}
