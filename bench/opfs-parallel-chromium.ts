/**
 * The app's build of bench/esp-root.ts's image in headless Chromium (Debian's): a 64 MiB ESP (vfat,
 * 40 MiB in 60 files) and a 2 GiB ext4 root (512 MiB in 5,000 files) through the OPFS host in a Web
 * Worker, the ESP made in a nested build worker beside the root (readwrite-unsafe OPFS store), then
 * one file system at a time; same SHA-256 required. One run of each, build time as the worker saw it.
 */
import { chromium } from 'playwright-core';
import type { ImageSpec } from '../workers/model/spec.ts';
import { MKE2FS_WASM_URL } from '../workers/tools/mke2fs-module.ts';
import { serveWorkerPage } from '../workers/tools/test-support/worker-page.ts';
import type { OpfsParallelReply } from '../workers/tools/test-support/opfs-parallel-worker.ts';

const MiB = 2 ** 20;
const spec: ImageSpec = {
  table: 'gpt',
  sourceDateEpoch: 1_700_000_000,
  partitions: [
    { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB, copyFiles: [{ source: 'esp', target: '/' }] },
    { type: 'root', label: 'root', format: 'ext4', sizeMinBytes: 2048 * MiB, sizeMaxBytes: 2048 * MiB, copyFiles: [{ source: 'tree', target: '/' }] },
  ],
};

const served = await serveWorkerPage(new URL('./browser/opfs-esp-root-worker.ts', import.meta.url), 'bench', { 'mke2fs.wasm': MKE2FS_WASM_URL }, {
  workers: { 'build-worker.js': new URL('../workers/hosts/opfs/build-worker.ts', import.meta.url) },
  isolated: true,
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage();
  await page.goto(`${served.base}/`);
  // One engine worker for both builds (the trees are made once); a warm-up build of nothing is not needed: parallel runs first.
  await page.evaluate(() => {
    const g = globalThis as unknown as { bench: Worker };
    g.bench = new Worker('/worker.js', { type: 'module' });
  });
  const build = (workers: number) => page.evaluate((message) => new Promise<OpfsParallelReply>((resolve) => {
    const w = (globalThis as unknown as { bench: Worker }).bench;
    w.onmessage = (e) => resolve(e.data as OpfsParallelReply);
    w.onerror = (e) => resolve({ error: e.message });
    w.postMessage(message);
  }), { spec, workers });
  const sequentialFirst = await build(0); // also makes the trees (not timed)
  const parallel = await build(1);
  const sequential = await build(0);
  for (const r of [sequentialFirst, parallel, sequential]) if (r.error) throw new Error(r.error);
  if (parallel.sha256 !== sequential.sha256 || sequentialFirst.sha256 !== sequential.sha256) throw new Error('parallel and sequential images differ');
  console.log('ESP (vfat 64 MiB, 40 MiB/60 files) + ext4 root (2 GiB, 512 MiB/5,000 files) — app build in headless Chromium, OPFS store');
  console.log(`one at a time        ${(sequentialFirst.ms! / 1000).toFixed(2)} s (first, cold), ${(sequential.ms! / 1000).toFixed(2)} s (second)`);
  console.log(`ESP in build worker  ${(parallel.ms! / 1000).toFixed(2)} s (store shared: ${parallel.shared}, workers started: ${parallel.spawned})`);
  console.log(`sha256 ${parallel.sha256} (same in all three)`);
} finally {
  await browser.close();
  await served.close();
}
