/**
 * ext4 in headless Chromium: 512 MiB in 5,000 files into a 2 GiB ext4 by mke2fs.wasm in a Web
 * Worker (Debian's Chromium), beside native `mke2fs -d` on the same tree in the same run. Chromium's
 * peak memory is the largest RSS any of its processes reached, sampled every 100 ms.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ensureGnuTime, measure } from './measure.ts';
import { MKE2FS_WASM_URL } from '../workers/tools/mke2fs-module.ts';

ensureGnuTime();
const TOTAL = 512 << 20;
const COUNT = 5000;
const SIZE = 2 * 2 ** 30;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-ext4c-'));

// The same tree on disk for native mke2fs (same sizes and bytes as the worker generates).
let written = 0;
for (let i = 0; i < COUNT; i++) {
  const sizeBytes = i === COUNT - 1 ? TOTAL - written : Math.floor((TOTAL / COUNT) * (0.5 + ((i * 7919) % 1000) / 1000));
  written += sizeBytes;
  const dir = path.join(work, 'tree', `d${String(i % 50).padStart(2, '0')}`);
  fs.mkdirSync(dir, { recursive: true });
  const buf = Buffer.alloc(sizeBytes);
  for (let j = 0; j < sizeBytes; j++) buf[j] = (j + i) & 0xff;
  fs.writeFileSync(path.join(dir, `f${i}.bin`), buf);
}
const native = measure('mke2fs', ['sh', '-c', `truncate -s 2G '${work}/n.ext4' && mke2fs -q -t ext4 -d '${work}/tree' '${work}/n.ext4'`], work);

const worker = await build({ entryPoints: [path.join(import.meta.dirname, 'browser/ext4-worker.ts')], bundle: true, format: 'esm', write: false, target: 'es2022' });
const files: Record<string, [string, Uint8Array]> = {
  '/': ['text/html', Buffer.from('<!doctype html><title>bench</title>')],
  '/worker.js': ['text/javascript', worker.outputFiles[0]!.contents],
  '/mke2fs.wasm': ['application/wasm', fs.readFileSync(MKE2FS_WASM_URL)],
};
const server = createServer((req, res) => {
  const f = files[req.url ?? ''];
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
let peakKiB = 0;
const sampler = setInterval(() => {
  try {
    const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
    for (const l of out.split('\n')) peakKiB = Math.max(peakKiB, Number(l.trim()) || 0);
  } catch { /* no process yet */ }
}, 100);
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/`);
const t0 = Date.now();
const result = await page.evaluate(({ size, total, count }) => new Promise<{ ms?: number; error?: string }>((resolve) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.postMessage({ wasmUrl: '/mke2fs.wasm', sizeBytes: size, totalBytes: total, count });
}), { size: SIZE, total: TOTAL, count: COUNT });
const wallS = (Date.now() - t0) / 1000;
clearInterval(sampler);
await browser.close();
server.close();
if (result.error) throw new Error(result.error);
console.log('ext4 2 GiB, 5,000 files, 512 MiB — headless Chromium (Web Worker) vs native');
console.log(`chromium worker    ${(result.ms! / 1000).toFixed(2)} s in mke2fs (${wallS.toFixed(2)} s with wasm load), largest process ${(peakKiB / 1024).toFixed(0)} MiB`);
console.log(`mke2fs -d          ${native.wallS.toFixed(2)} s, ${(native.peakRssKiB / 1024).toFixed(1)} MiB`);
console.log(`ratio chromium/native: ${(result.ms! / 1000 / native.wallS).toFixed(2)}× (goal ≤ 1.5×)`);
fs.rmSync(work, { recursive: true, force: true });
