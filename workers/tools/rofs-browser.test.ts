/**
 * squashfs (gzip, zstd) and erofs (lz4hc) made in a real Web Worker in Debian's Chromium through
 * buildImage: the worker fetches mkfs.erofs.wasm and zstd.wasm, builds the sample layout and must
 * produce the image Node produces, byte for byte; and a larger squashfs layout whose blocks the
 * Chromium worker has compressed by two nested workers must be the image Node makes in one thread.
 */
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWorkerPage, type WorkerPage } from './test-support/worker-page.ts';
import { loadNodeTool } from '../hosts/node/tools.ts';
import { requireTools } from '../test-support/debian.ts';
import { MKFS_EROFS_WASM_URL } from './mkfs-erofs-module.ts';
import { buildRofsBulk, buildRofsSample } from './test-support/rofs-sample.ts';
import { ZLIB_WASM_URL } from './squashfs-compressors.ts';
import { ZSTD_WASM_URL } from './zstd.ts';

let served: WorkerPage | undefined;
let base: string;

beforeAll(async () => {
  requireTools('/usr/bin/chromium');
  served = await serveWorkerPage(new URL('./test-support/rofs-browser-worker.ts', import.meta.url), 'rofs', {
    'mkfs.erofs.wasm': MKFS_EROFS_WASM_URL, 'zstd.wasm': ZSTD_WASM_URL, 'zlib.wasm': ZLIB_WASM_URL,
  }, { workers: { 'build-worker.js': new URL('../hosts/opfs/build-worker.ts', import.meta.url) } });
  base = served.base;
});

afterAll(async () => {
  await served?.close();
});

describe('squashfs and erofs in a Chromium Web Worker', () => {
  it('build the same image as under Node', async () => {
    const node = buildRofsSample(loadNodeTool);
    const nodeBulk = await buildRofsBulk(loadNodeTool);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      const result = await page.evaluate(async () => {
        type Reply = { digest?: string; sizes?: number[]; ms?: number; bulk?: { digest: string; sizes: number[]; spawned: number; ms: number }; error?: string };
        const { Worker } = globalThis as unknown as { Worker: new (url: string, options: { type: 'module' }) => {
          onmessage: (e: { data: Reply }) => void; onerror: (e: { message: string }) => void; postMessage(m: unknown): void;
        } };
        const worker = new Worker('/worker.js', { type: 'module' });
        return new Promise<Reply>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message });
          worker.postMessage({ erofsUrl: '/mkfs.erofs.wasm', zstdUrl: '/zstd.wasm', zlibUrl: '/zlib.wasm' });
        });
      });
      expect(result.error).toBeUndefined();
      expect(result.sizes).toEqual(node.sizes);
      expect(result.digest).toBe(node.digest);
      // Two squashfs partitions, two nested workers each: the same bytes as Node's one thread.
      expect(result.bulk?.spawned).toBe(4);
      expect(result.bulk?.sizes).toEqual(nodeBulk.sizes);
      expect(result.bulk?.digest).toBe(nodeBulk.digest);
      console.log(`Chromium worker: ${result.ms?.toFixed(0)} ms for the sample layout, ${result.bulk?.ms.toFixed(0)} ms for the bulk squashfs layout in nested workers`);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
