/**
 * Web Worker entry for the squashfs/erofs browser test: fetch mkfs.erofs.wasm, zstd.wasm and zlib.wasm,
 * build the sample layout (rofs-sample.ts) through buildImage, and the bulk layout with squashfs blocks
 * compressed in nested workers (hosts/opfs/build-workers.ts running `/build-worker.js`), post back
 * the digests and the times.
 */
import type { ToolName } from '../../model/registry.ts';
import { loadMkfsErofsModule } from '../mkfs-erofs-module.ts';
import { loadZlibModule } from '../squashfs-compressors.ts';
import { loadZstdModule } from '../zstd.ts';
import { opfsBuildWorkers } from '../../hosts/opfs/build-workers.ts';
import { buildRofsBulk, buildRofsSample } from './rofs-sample.ts';

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
    const loadTool = (name: ToolName) => {
      const m = tools[name];
      if (!m) throw new Error(`${name} not loaded`);
      return m;
    };
    const t0 = performance.now();
    const r = buildRofsSample(loadTool);
    const ms = performance.now() - t0;
    // One spare core whatever the machine has: two compression workers.
    const t1 = performance.now();
    const bulk = await buildRofsBulk(loadTool, opfsBuildWorkers('/build-worker.js', 1));
    scope.postMessage({ ...r, ms, bulk: { ...bulk, ms: performance.now() - t1 } });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
  }
};
