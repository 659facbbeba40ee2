/**
 * Web Worker entry for bench/verity-chromium.ts: fetch the data, then time the verity tree over it
 * with each SHA-256 the browser worker can use synchronously — the engine's JS one (what the browser
 * build used before sha256-lanes), hash-wasm, and sha256-lanes.wasm (what it uses now) — posting
 * each one's time and root hash.
 */
import { createSHA256 } from 'hash-wasm';
import { Sha256 } from '../../workers/crypto/sha256.ts';
import { computeVerityTree, toHex, verityGeometry, type VerityHasher } from '../../workers/formats/verity/index.ts';
import { loadSha256LanesModule, sha256LanesHasher } from '../../workers/tools/sha256-lanes.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { dataUrl: string; lanesUrl: string; salt: number[]; which: string[] } }) => void;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  try {
    const { dataUrl, lanesUrl, salt: saltList, which } = event.data;
    const data = new Uint8Array(await (await fetch(dataUrl)).arrayBuffer());
    const salt = Uint8Array.from(saltList);
    const wasm = await createSHA256();
    const lanes = sha256LanesHasher(await loadSha256LanesModule(lanesUrl));
    const hashers: Record<string, VerityHasher> = {
      js: () => new Sha256(),
      'hash-wasm': () => {
        wasm.init();
        return { update: (d: Uint8Array) => void wasm.update(d), digest: () => wasm.digest('binary') };
      },
      lanes,
    };
    const g = verityGeometry(data.length, 4096, 4096);
    const results: Record<string, { ms: number; rootHash: string }> = {};
    for (const name of which) {
      const t0 = performance.now();
      const tree = computeVerityTree({ read: (o, t) => t.set(data.subarray(o, o + t.length)) }, g, salt, hashers[name]!);
      results[name] = { ms: performance.now() - t0, rootHash: toHex(tree.rootHash) };
    }
    scope.postMessage({ results });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
