/**
 * The same formatExt4 in a real Web Worker in Debian's Chromium: the worker fetches mke2fs.wasm,
 * formats the sample tree and must produce the image Node produces, byte for byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWorkerPage, type WorkerPage } from './test-support/worker-page.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { formatExt4 } from './mke2fs.ts';
import { MKE2FS_WASM_URL } from './mke2fs-module.ts';
import { mke2fsModule, requireDebian } from './test-support/e2fs-tools.ts';
import { imageDigest, SAMPLE_EPOCH, sampleTree } from './test-support/sample-tree.ts';

const SIZE = 32 << 20;
let dir: string;
let served: WorkerPage | undefined;
let base: string;

beforeAll(async () => {
  requireDebian([['test -x /usr/bin/chromium', 'chromium']]);
  dir = mkdtempSync(join(tmpdir(), 'pw-mke2fs-browser-'));
  served = await serveWorkerPage(new URL('./test-support/browser-worker.ts', import.meta.url), 'mke2fs', { 'mke2fs.wasm': MKE2FS_WASM_URL });
  base = served.base;
});

afterAll(async () => {
  await served?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('formatExt4 in a Chromium Web Worker', () => {
  it('makes the same image as under Node (no COOP/COEP needed)', async () => {
    const image = new SparseImage(SIZE);
    formatExt4(image, {
      module: mke2fsModule(), offsetBytes: 0, sizeBytes: SIZE, label: 'browser', uuid: '44444444-4444-4444-8888-888888888888',
      hashSeed: '12345678-1234-4234-8234-123456789abc', sourceDateEpoch: SAMPLE_EPOCH, tree: sampleTree(),
    });
    const nodeDigest = imageDigest(image);

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      const result = await page.evaluate(async ({ sizeBytes }) => {
        type Reply = { digest?: string; ms?: number; error?: string };
        // The page's Worker, typed structurally (this file compiles against Node's types).
        const { Worker } = globalThis as unknown as { Worker: new (url: string, options: { type: 'module' }) => {
          onmessage: (e: { data: Reply }) => void; onerror: (e: { message: string }) => void; postMessage(m: unknown): void;
        } };
        const worker = new Worker('/worker.js', { type: 'module' });
        return new Promise<Reply>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message });
          worker.postMessage({ wasmUrl: '/mke2fs.wasm', sizeBytes });
        });
      }, { sizeBytes: SIZE });
      expect(result.error).toBeUndefined();
      expect(result.digest).toBe(nodeDigest);
      console.log(`Chromium worker: ${result.ms?.toFixed(0)} ms for the sample tree`);
    } finally {
      await browser.close();
    }
  });
});
