/**
 * Web Worker entry for the squashfs/erofs browser test: fetch mkfs.erofs.wasm, zstd.wasm and zlib.wasm,
 * build the sample layout (rofs-sample.ts) through buildImage, post back the digest and the time.
 */
import type { ToolName } from '../../model/registry.ts';
import { loadMkfsErofsModule } from '../mkfs-erofs-module.ts';
import { loadZlibModule } from '../squashfs-compressors.ts';
import { loadZstdModule } from '../zstd.ts';
import { buildRofsSample } from './rofs-sample.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { erofsUrl: string; zstdUrl: string; zlibUrl: string } }) => void;
  postMessage(message: unknown): void;
};
scope.onmessage = async (event) => {
  try {
    const tools: Partial<Record<ToolName, WebAssembly.Module>> = {
      'mkfs.erofs': await loadMkfsErofsModule(event.data.erofsUrl),
      zstd: await loadZstdModule(event.data.zstdUrl),
      zlib: await loadZlibModule(event.data.zlibUrl),
    };
    const t0 = performance.now();
    const r = buildRofsSample((name) => {
      const m = tools[name];
      if (!m) throw new Error(`${name} not loaded`);
      return m;
    });
    scope.postMessage({ ...r, ms: performance.now() - t0 });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
  }
};
