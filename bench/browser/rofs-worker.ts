/**
 * Web Worker entry for bench/rofs-chromium.ts: build the bench tree in memory, then make squashfs
 * (gzip via zlib.wasm, zstd via zstd.wasm, xz via xz.wasm) and erofs (lz4hc via mkfs.erofs.wasm) images of it into
 * memory, posting back each one's time and size.
 */
import { writeSquashfs } from '../../workers/formats/squashfs/index.ts';
import { MemoryImage } from '../../workers/tools/image-window.ts';
import { makeErofs } from '../../workers/tools/mkfs-erofs.ts';
import { loadMkfsErofsModule } from '../../workers/tools/mkfs-erofs-module.ts';
import { gzipSquashfsCompressor, loadXzModule, loadZlibModule, xzSquashfsCompressor, zstdSquashfsCompressor } from '../../workers/tools/squashfs-compressors.ts';
import { loadZstdModule } from '../../workers/tools/zstd.ts';
import { benchFiles, benchTree } from './rofs-data.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { totalBytes: number; count: number; epoch: number } }) => void;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  try {
    const { totalBytes, count, epoch } = event.data;
    const [zlib, zstd, xz, erofs] = await Promise.all([loadZlibModule('/zlib.wasm'), loadZstdModule('/zstd.wasm'), loadXzModule('/xz.wasm'), loadMkfsErofsModule('/mkfs.erofs.wasm')]);
    const tree = benchTree(benchFiles(totalBytes, count), epoch);
    const results: Record<string, { ms: number; bytes: number }> = {};
    for (const [name, run] of [
      ['squashfs gzip', (img: MemoryImage) => writeSquashfs(img, tree, { compressor: gzipSquashfsCompressor(zlib), sourceDateEpoch: epoch })],
      ['squashfs zstd', (img: MemoryImage) => writeSquashfs(img, tree, { compressor: zstdSquashfsCompressor(zstd), sourceDateEpoch: epoch })],
      ['squashfs xz', (img: MemoryImage) => writeSquashfs(img, tree, { compressor: xzSquashfsCompressor(xz), sourceDateEpoch: epoch })],
      ['erofs lz4hc', (img: MemoryImage) => makeErofs(img, { module: erofs, tree, uuid: '44444444-4444-4444-8888-888888888888', sourceDateEpoch: epoch, compression: 'lz4hc' })],
    ] as const) {
      const img = new MemoryImage();
      const t0 = performance.now();
      run(img);
      results[name] = { ms: performance.now() - t0, bytes: img.sizeBytes };
    }
    scope.postMessage({ results });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
