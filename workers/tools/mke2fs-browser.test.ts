/**
 * The same formatExt4 in a real Web Worker in Debian's Chromium: the worker fetches mke2fs.wasm,
 * formats the sample tree and must produce the image Node produces, byte for byte.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparseImage } from '../disk/sparse-image.ts';
import { formatExt4 } from './mke2fs.ts';
import { MKE2FS_WASM_URL } from './mke2fs-module.ts';
import { mke2fsModule, requireDebian } from './test-support/e2fs-tools.ts';
import { imageDigest, SAMPLE_EPOCH, sampleTree } from './test-support/sample-tree.ts';

const SIZE = 32 << 20;
let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  requireDebian([['test -x /usr/bin/chromium', 'chromium']]);
  dir = mkdtempSync(join(tmpdir(), 'pw-mke2fs-browser-'));
  const worker = await build({
    entryPoints: [fileURLToPath(new URL('./test-support/browser-worker.ts', import.meta.url))],
    bundle: true, format: 'esm', write: false, target: 'es2022',
  });
  const files: Record<string, [string, Buffer]> = {
    '/': ['text/html', Buffer.from('<!doctype html><title>mke2fs</title>')],
    '/worker.js': ['text/javascript', Buffer.from(worker.outputFiles[0]!.contents)],
    '/mke2fs.wasm': ['application/wasm', readFileSync(MKE2FS_WASM_URL)],
  };
  server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
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
