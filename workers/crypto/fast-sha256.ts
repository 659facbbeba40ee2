/**
 * The fastest incremental SHA-256 a host has, behind one factory type. Measured here (2 cores,
 * SHA-NI, 1 MiB updates; tmp figures in the perf commit): Node's `crypto.createHash` 460–740 MiB/s,
 * hash-wasm's WASM SHA-256 85–120 MiB/s under load, this project's JS one (`sha256.ts`) 37–44 MiB/s,
 * WebCrypto 200–245 MiB/s but one-shot only (it cannot hash an image in parts). So: Node hosts pass
 * their native hash (cli/node-hash.ts); workers load hash-wasm; the JS one is the fallback when WASM
 * cannot be instantiated.
 */
import type { IHasher } from 'hash-wasm';
import { Sha256 } from './sha256.ts';

/** An incremental SHA-256 (the shape bmap.ts and nix/nar.ts take). */
export interface IncrementalSha256 {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export type Sha256Factory = () => IncrementalSha256;

/** The JS implementation, for hosts without WASM (always available, synchronous). */
export const jsSha256: Sha256Factory = () => new Sha256();

/**
 * hash-wasm's SHA-256 as a synchronous factory. A WASM hasher is created asynchronously, so a pool
 * is made up front; a hash in progress holds one, `digest()` returns it, and when all are in use
 * (hashes interleaved) the factory hands out the JS one rather than blocking.
 */
export async function loadWasmSha256(poolSize = 2): Promise<Sha256Factory> {
  let pool: IHasher[];
  try {
    // Loaded on first use: a CLI run that hashes nothing never parses it.
    const { createSHA256 } = await import('hash-wasm');
    pool = await Promise.all(Array.from({ length: poolSize }, () => createSHA256()));
  } catch {
    return jsSha256;
  }
  return () => {
    const hasher = pool.pop();
    if (!hasher) return new Sha256();
    hasher.init();
    let done = false;
    return {
      update(data: Uint8Array) {
        hasher.update(data);
      },
      digest() {
        if (done) throw new Error('SHA-256: digest() called twice');
        done = true;
        const out = hasher.digest('binary');
        pool.push(hasher);
        return out;
      },
    };
  };
}
