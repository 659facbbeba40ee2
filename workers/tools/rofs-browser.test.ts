/**
 * squashfs (gzip, zstd) and erofs (lz4hc) made in a real Web Worker in Debian's Chromium through
 * buildImage: the worker fetches mkfs.erofs.wasm and zstd.wasm, builds the sample layout and must
 * produce the image Node produces, byte for byte.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeTool } from '../hosts/node/tools.ts';
import { requireTools } from '../test-support/debian.ts';
import { MKFS_EROFS_WASM_URL } from './mkfs-erofs-module.ts';
import { buildRofsSample } from './test-support/rofs-sample.ts';
import { ZLIB_WASM_URL } from './squashfs-compressors.ts';
import { ZSTD_WASM_URL } from './zstd.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  requireTools('/usr/bin/chromium');
  const worker = await build({
    entryPoints: [fileURLToPath(new URL('./test-support/rofs-browser-worker.ts', import.meta.url))],
    bundle: true, format: 'esm', write: false, target: 'es2022',
  });
  const files: Record<string, [string, Buffer]> = {
    '/': ['text/html', Buffer.from('<!doctype html><title>rofs</title>')],
    '/worker.js': ['text/javascript', Buffer.from(worker.outputFiles[0]!.contents)],
    '/mkfs.erofs.wasm': ['application/wasm', readFileSync(MKFS_EROFS_WASM_URL)],
    '/zstd.wasm': ['application/wasm', readFileSync(ZSTD_WASM_URL)],
    '/zlib.wasm': ['application/wasm', readFileSync(ZLIB_WASM_URL)],
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
});

describe('squashfs and erofs in a Chromium Web Worker', () => {
  it('build the same image as under Node', async () => {
    const node = buildRofsSample(loadNodeTool);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      const result = await page.evaluate(async () => {
        type Reply = { digest?: string; sizes?: number[]; ms?: number; error?: string };
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
      console.log(`Chromium worker: ${result.ms?.toFixed(0)} ms for the sample layout`);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
