/**
 * Web Worker entry for the browser smoke test: load mke2fs.wasm by URL, format the sample tree into
 * a sparse image in memory, post back the image digest and the time taken.
 */
import { SparseImage } from '../../disk/sparse-image.ts';
import { formatExt4 } from '../mke2fs.ts';
import { loadMke2fsModule } from '../mke2fs-module.ts';
import { imageDigest, SAMPLE_EPOCH, sampleTree } from './sample-tree.ts';

/** The worker scope, typed structurally so this file also checks under the Node test config. */
const scope = globalThis as unknown as {
  onmessage: (event: { data: { wasmUrl: string; sizeBytes: number } }) => void;
  postMessage(message: unknown): void;
};
scope.onmessage = async (event) => {
  try {
    const module = await loadMke2fsModule(event.data.wasmUrl);
    const t0 = performance.now();
    const image = new SparseImage(event.data.sizeBytes);
    formatExt4(image, {
      module, offsetBytes: 0, sizeBytes: event.data.sizeBytes, label: 'browser', uuid: '44444444-4444-4444-8888-888888888888',
      hashSeed: '12345678-1234-4234-8234-123456789abc', sourceDateEpoch: SAMPLE_EPOCH, tree: sampleTree(),
    });
    scope.postMessage({ digest: imageDigest(image), ms: performance.now() - t0 });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
