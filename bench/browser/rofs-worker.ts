/**
 * Web Worker entry for bench/rofs-chromium.ts: build the bench tree in memory once, then on each
 * request make one image into memory and post back its time and size: squashfs (gzip via zlib.wasm,
 * zstd via zstd.wasm, xz via xz.wasm) with the blocks compressed by nested workers (`/build-worker.js`,
 * min(hardwareConcurrency, 4) of them, as the app's build does) or, for the "1 thread" rows, here;
 * erofs (lz4hc via mkfs.erofs.wasm) here.
 */
import { writeSquashfs } from '../../workers/formats/squashfs/index.ts';
import { squashfsWorkerCount, writeSquashfsInWorkers } from '../../workers/build/squashfs-workers.ts';
import { opfsBuildWorkers } from '../../workers/hosts/opfs/build-workers.ts';
import { MemoryImage } from '../../workers/tools/image-window.ts';
import { makeErofs } from '../../workers/tools/mkfs-erofs.ts';
import { loadMkfsErofsModule } from '../../workers/tools/mkfs-erofs-module.ts';
import { loadXzModule, loadZlibModule, squashfsCompressor, type SquashfsCompressionName } from '../../workers/tools/squashfs-compressors.ts';
import { loadZstdModule } from '../../workers/tools/zstd.ts';
import type { InputDir } from '../../workers/build/input-tree.ts';
import { benchFiles, benchTree } from './rofs-data.ts';

type Request = { setup: { totalBytes: number; count: number; epoch: number } } | { row: string };
const scope = globalThis as unknown as {
  onmessage: (event: { data: Request }) => void;
  postMessage(message: unknown): void;
};

let state: { tree: InputDir; epoch: number; modules: Record<string, WebAssembly.Module> } | undefined;

scope.onmessage = async (event) => {
  try {
    const m = event.data;
    if ('setup' in m) {
      const { totalBytes, count, epoch } = m.setup;
      const [zlib, zstd, xz, erofs] = await Promise.all([loadZlibModule('/zlib.wasm'), loadZstdModule('/zstd.wasm'), loadXzModule('/xz.wasm'), loadMkfsErofsModule('/mkfs.erofs.wasm')]);
      state = { tree: benchTree(benchFiles(totalBytes, count), epoch), epoch, modules: { gzip: zlib, zstd, xz, erofs } };
      const workers = opfsBuildWorkers('/build-worker.js');
      scope.postMessage({ ready: true, workers: squashfsWorkerCount(state.tree, workers), cores: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency });
      return;
    }
    const { tree, epoch, modules } = state!;
    const img = new MemoryImage();
    const t0 = performance.now();
    const [format, name, single] = m.row.split(' ') as [string, string, string | undefined];
    if (format === 'erofs') {
      makeErofs(img, { module: modules.erofs!, tree, uuid: '44444444-4444-4444-8888-888888888888', sourceDateEpoch: epoch, compression: 'lz4hc' });
    } else {
      const recipe = { name: name as SquashfsCompressionName, module: modules[name]! };
      if (single) writeSquashfs(img, tree, { compressor: squashfsCompressor(recipe), sourceDateEpoch: epoch });
      else {
        const workers = opfsBuildWorkers('/build-worker.js');
        await writeSquashfsInWorkers(img, tree, { recipe, sourceDateEpoch: epoch }, workers, squashfsWorkerCount(tree, workers));
      }
    }
    scope.postMessage({ ms: performance.now() - t0, bytes: img.sizeBytes });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
