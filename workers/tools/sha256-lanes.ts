/**
 * dm-verity's block digests through wasm/sha256-lanes/sha256-lanes.wasm: SHA-256 of salt ‖ block,
 * four blocks per WebAssembly SIMD vector, up to 1 MiB of blocks per call. Measured (bench/verity.ts,
 * bench/verity-chromium.ts) ≈ 2.5× hash-wasm's SHA-256 on 4 KiB blocks; what the browser worker's
 * verity tree uses. One instance per hasher; no imports.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { VerityBlockHasher } from '../formats/verity/index.ts';
import { wasmApi } from './wasm-api.ts';

export const SHA256_LANES_WASM_URL: URL = new URL('../../wasm/sha256-lanes/sha256-lanes.wasm', import.meta.url);

/** sha256-lanes.c's buffer sizes. */
const INPUT_BYTES = 1 << 20;
const MAX_SALT_BYTES = 256;
const DIGEST_BYTES = 32;

interface Sha256LanesExports {
  memory: { buffer: ArrayBuffer };
  sl_input(): number;
  sl_salt(): number;
  sl_output(): number;
  sl_hash_blocks(saltBytes: number, blockBytes: number, count: number): number;
}

/** Browser worker: fetch and compile. */
export async function loadSha256LanesModule(url: URL | string = SHA256_LANES_WASM_URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${String(url)}: HTTP ${response.status}`);
  if (wasmApi.compileStreaming && response.headers.get('content-type')?.startsWith('application/wasm')) return wasmApi.compileStreaming(response);
  return wasmApi.compile(await response.arrayBuffer());
}

/** A batch hasher over one instance of the module. */
export function sha256LanesHasher(module: WebAssembly.Module): VerityBlockHasher {
  const x = new wasmApi.Instance(module, {}).exports as unknown as Sha256LanesExports;
  // The memory never grows (fixed at link time), so the views stay valid.
  const memory = new Uint8Array(x.memory.buffer);
  const input = x.sl_input(), saltAt = x.sl_salt(), output = x.sl_output();
  return {
    hashBlocks(salt, blocks, blockBytes, out) {
      if (salt.length > MAX_SALT_BYTES) throw new PartwrightError(ErrorCode.InvalidSpec, `A verity salt of ${salt.length} bytes is longer than ${MAX_SALT_BYTES}.`);
      memory.set(salt, saltAt);
      const perCall = Math.max(1, Math.floor(INPUT_BYTES / blockBytes));
      const count = blocks.length / blockBytes;
      for (let k = 0; k < count; k += perCall) {
        const n = Math.min(perCall, count - k);
        memory.set(blocks.subarray(k * blockBytes, (k + n) * blockBytes), input);
        if (x.sl_hash_blocks(salt.length, blockBytes, n) !== 0) throw new PartwrightError(ErrorCode.InvalidSpec, `sha256-lanes cannot hash ${n} blocks of ${blockBytes} bytes.`);
        out.set(memory.subarray(output, output + n * DIGEST_BYTES), k * DIGEST_BYTES);
      }
    },
  };
}
