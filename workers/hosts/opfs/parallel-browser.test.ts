/**
 * File systems made in nested build workers in Chromium (hosts/opfs/build-workers.ts): ESP (vfat) +
 * ext4 root + a second ext4 built through the app's OPFS host in a real Web Worker, with the store
 * file opened `readwrite-unsafe` by each build worker, is byte-for-byte the image built one file
 * system at a time there, and the image the CLI's host (Node) builds; the data ranges and
 * per-partition digests the store reports after merging the workers' chunk maps match too. A build
 * worker that cannot start fails the build with a coded error, and leaves no handle on the store open.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../build/run-build.ts';
import type { ImageSpec } from '../../model/spec.ts';
import { MKE2FS_WASM_URL } from '../../tools/mke2fs-module.ts';
import { serveWorkerPage, type WorkerPage } from '../../tools/test-support/worker-page.ts';
import type { OpfsParallelReply, OpfsParallelRequest } from '../../tools/test-support/opfs-parallel-worker.ts';
import { requireTools } from '../../test-support/debian.ts';
import { createNodeHost } from '../node/index.ts';
import { readPlain } from '../../tools/test-support/plain-tree.ts';

const EPOCH = 1_700_000_000;
const MiB = 2 ** 20;
let tmp: string;
let served: WorkerPage | undefined;

const spec: ImageSpec = {
  table: 'gpt',
  sourceDateEpoch: EPOCH,
  sizeBytes: 640 * MiB,
  partitions: [
    { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB, copyFiles: [{ source: 'esp', target: '/' }] },
    // Fixed sizes before the growing root: no 64 KiB chunk of the store is shared by two of them
    // (partitions that share one are made by the engine worker itself).
    { type: 'home', label: 'home', format: 'ext4', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB, makeDirectories: ['/alice'], copyFiles: [{ source: 'root/usr/d3', target: '/alice/d3' }] },
    { type: 'root', label: 'root', format: 'ext4', sizeMinBytes: 96 * MiB, copyFiles: [{ source: 'root', target: '/' }] },
  ],
};

beforeAll(async () => {
  requireTools('/usr/bin/chromium');
  tmp = mkdtempSync(join(tmpdir(), 'pw-opfs-parallel-'));
  const boot = join(tmp, 'esp', 'EFI', 'BOOT');
  mkdirSync(boot, { recursive: true });
  writeFileSync(join(boot, 'BOOTX64.EFI'), Buffer.alloc(3 * MiB, 'efi-stub'));
  for (let d = 0; d < 20; d++) {
    const dir = join(tmp, 'root', 'usr', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 15; f++) writeFileSync(join(dir, `f${f}`), Buffer.alloc(1000 * (f + 1) * (d + 1), `${d}:${f}`));
    symlinkSync(`d${d}/f0`, join(tmp, 'root', 'usr', `l${d}`));
  }
  // Times before the epoch are kept as they are: fixed ones, so both hosts see the same.
  const fix = (p: string) => {
    for (const n of readdirSync(p)) {
      const c = join(p, n);
      if (!lstatSync(c).isSymbolicLink()) {
        if (lstatSync(c).isDirectory()) fix(c);
        utimesSync(c, EPOCH - 1000, EPOCH - 1000);
      }
    }
  };
  fix(tmp);
  served = await serveWorkerPage(new URL('../../tools/test-support/opfs-parallel-worker.ts', import.meta.url), 'opfs-parallel', { 'mke2fs.wasm': MKE2FS_WASM_URL }, {
    workers: { 'build-worker.js': new URL('./build-worker.ts', import.meta.url) },
    isolated: true,
  });
});

afterAll(async () => {
  await served?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('file systems in nested build workers in Chromium (OPFS store)', () => {
  it('ESP + ext4 + ext4: parallel and one at a time build the same bytes, and the same as the CLI host', async () => {
    const host = createNodeHost({ resolve: (p) => join(tmp, p), storePath: join(tmp, 'node.store'), parallel: false });
    let node;
    try {
      node = await runBuild(spec, host, { sha256: true, partitionDigests: true });
      node = { sha256: node.sha256, dataRanges: node.image.dataRanges(), partitionDigests: node.partitionDigests };
    } finally {
      host.dispose();
    }
    const trees = { esp: readPlain(join(tmp, 'esp'), 'esp'), root: readPlain(join(tmp, 'root'), 'root'), 'root/usr/d3': readPlain(join(tmp, 'root', 'usr', 'd3'), 'd3') };

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${served!.base}/`);
      expect(await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)).toBe(true);
      const build = (workers: number, workerUrl?: string) => page.evaluate((request: OpfsParallelRequest) => new Promise<OpfsParallelReply>((resolve) => {
        const { Worker } = globalThis as unknown as { Worker: new (url: string, options: { type: 'module' }) => {
          onmessage: (e: { data: OpfsParallelReply }) => void; onerror: (e: { message: string }) => void; postMessage(m: unknown): void; terminate(): void;
        } };
        const w = new Worker('/worker.js', { type: 'module' });
        w.onmessage = (e) => { w.terminate(); resolve(e.data); };
        w.onerror = (e) => resolve({ error: e.message });
        w.postMessage(request);
      }), { spec, trees, workers, ...(workerUrl ? { workerUrl } : {}) });
      const sequential = await build(0);
      expect(sequential.error).toBeUndefined();
      const parallel = await build(2);
      expect(parallel.error).toBeUndefined();
      // The store was shared (readwrite-unsafe) and both other file systems went to build workers.
      expect(parallel.shared).toBe(true);
      expect(parallel.spawned).toBe(2);
      expect(sequential.spawned).toBe(0);
      const facts = (r: OpfsParallelReply) => ({ sha256: r.sha256, dataRanges: r.dataRanges, partitionDigests: r.partitionDigests });
      expect(facts(parallel)).toEqual(facts(sequential));
      expect(facts(sequential)).toEqual(node);

      // A build worker that cannot start (its script is missing) fails the build with a coded
      // error, not a build that never ends; every handle on the store was closed: the next build
      // removes that store file (an open handle would keep it), and leaves only its own.
      const failed = await build(2, '/no-such-build-worker.js');
      expect(failed.code).toBe('io');
      expect(failed.error).toMatch(/build worker failed/);
      expect(failed.buildFiles).toHaveLength(1);
      const after = await build(2);
      expect(after.error).toBeUndefined();
      expect(after.sha256).toBe(sequential.sha256);
      expect(after.buildFiles).toHaveLength(1);
      expect(after.buildFiles).not.toEqual(failed.buildFiles);
    } finally {
      await browser.close();
    }
  }, 600_000);
});
