/**
 * The WebAssembly JS API as a typed value. The engine compiles against lib.webworker (which declares
 * it), Node-side tests against @types/node (which declares only part of its types and not the
 * value): reading it off globalThis with these structural types checks under both.
 */
export type WasmBytes = ArrayBuffer | ArrayBufferView;
export type WasmImports = Record<string, Record<string, unknown>>;
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  Module: new (bytes: WasmBytes) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports: WasmImports) => WasmInstance;
  compile(bytes: WasmBytes): Promise<WebAssembly.Module>;
  compileStreaming?(source: Response | PromiseLike<Response>): Promise<WebAssembly.Module>;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
