/**
 * Web Worker entry for bench/nix-200m.ts: fetch, verify (ed25519, NarHash) and unpack a closure from
 * a same-origin binary cache into memory with Partwright's client, and post back the time taken.
 */
import { MemoryTreeSink, NixCacheClient } from '../../workers/nix/index.ts';
import { loadZstdModule } from '../../workers/tools/zstd.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { cache: string; key: string; storePath: string } }) => void;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  try {
    const { cache, key, storePath } = event.data;
    const t0 = performance.now();
    const client = await NixCacheClient.create({ substituters: [cache], trustedPublicKeys: [key], loadZstd: () => loadZstdModule('/zstd.wasm') });
    const r = await client.fetchClosure([storePath], new MemoryTreeSink());
    scope.postMessage({ ms: performance.now() - t0, narBytes: r.narBytes });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
