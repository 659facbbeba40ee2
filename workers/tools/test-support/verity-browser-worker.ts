/**
 * Web Worker entry for the verity cross-host test: fetch the tools the layouts need, build each
 * layout it is sent (verity-sample.ts) and post back the digests.
 */
import type { ToolName } from '../../model/registry.ts';
import { loadMke2fsModule } from '../mke2fs-module.ts';
import { loadMkfsErofsModule } from '../mkfs-erofs-module.ts';
import { loadSha256LanesModule } from '../sha256-lanes.ts';
import { loadXzModule, loadZlibModule } from '../squashfs-compressors.ts';
import { loadZstdModule } from '../zstd.ts';
import { buildVeritySample, type VeritySampleLayout } from './verity-sample.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { layouts: VeritySampleLayout[]; key: { privateKeyPem: string; certificatePem: string } } }) => void;
  postMessage(message: unknown): void;
};
scope.onmessage = async (event) => {
  try {
    const tools: Partial<Record<ToolName, WebAssembly.Module>> = {
      mke2fs: await loadMke2fsModule('/mke2fs.wasm'),
      'mkfs.erofs': await loadMkfsErofsModule('/mkfs.erofs.wasm'),
      zstd: await loadZstdModule('/zstd.wasm'),
      zlib: await loadZlibModule('/zlib.wasm'),
      xz: await loadXzModule('/xz.wasm'),
      'sha256-lanes': await loadSha256LanesModule('/sha256-lanes.wasm'),
    };
    const loadTool = (name: ToolName) => {
      const m = tools[name];
      if (!m) throw new Error(`${name} not loaded`);
      return m;
    };
    const results = [];
    for (const layout of event.data.layouts) results.push(await buildVeritySample(layout, loadTool, event.data.key));
    scope.postMessage({ results });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
  }
};
