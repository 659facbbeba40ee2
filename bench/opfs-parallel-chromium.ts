/**
 * File systems at once in the browser: the app's build (OPFS host in a Web Worker, headless Debian
 * Chromium) with the smaller file system made in a nested build worker beside the larger one (the
 * store file shared `readwrite-unsafe`) vs one file system after another, on layouts where two
 * comparable file systems can overlap:
 *   esp+root  ESP vfat 256 MiB (128 MiB in 200 files) + ext4 root 512 MiB (160 MiB in 1,000 files)
 *   2×ext4    two ext4 of 512 MiB (160 MiB in 1,000 files each)
 * in two kinds of browser profile: `disk` (a real profile folder, as a user's browser: OPFS files
 * on disk, the sync access handle's reads and writes go straight to the file) and `incognito`
 * (what Playwright's browser.newPage() gives, as the e2e tests run: OPFS in the browser process's
 * memory, every read and write a round trip to it). Runs interleaved (one at a time, at once, …),
 * BENCH_RUNS each (default 3), medians, load average at each run; the same SHA-256 is required of
 * every run of a layout. Build time as the engine worker saw it (trees made before, not timed), and
 * its part before the image is hashed (SHA-256 and per-partition bmap digests, which read the whole
 * image in one thread after the file systems: the same in both); each file system built alone too.
 * At once can at best save the smaller file system's time (one build worker beside the engine's
 * own, on a 2-core machine), and only from the part before hashing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { ImageSpec } from '../workers/model/spec.ts';
import { MKE2FS_WASM_URL } from '../workers/tools/mke2fs-module.ts';
import { serveWorkerPage } from '../workers/tools/test-support/worker-page.ts';
import type { OpfsParallelReply } from '../workers/tools/test-support/opfs-parallel-worker.ts';
import type { BenchRequest, BenchTree } from './browser/opfs-esp-root-worker.ts';

const MiB = 2 ** 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Fraction of the trees' bytes (a quick look: BENCH_SCALE=0.1). */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const PROFILES = (process.env.BENCH_PROFILES ?? 'disk,incognito').split(',');
const ext4 = (label: string, type: string, source: string) => ({ type, label, format: 'ext4' as const, sizeMinBytes: 512 * MiB, sizeMaxBytes: 512 * MiB, copyFiles: [{ source, target: '/' }] });
const cases: { name: string; spec: ImageSpec; trees: Record<string, BenchTree> }[] = [
  {
    name: 'esp+root',
    spec: {
      table: 'gpt',
      sourceDateEpoch: 1_700_000_000,
      partitions: [{ type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 256 * MiB, sizeMaxBytes: 256 * MiB, copyFiles: [{ source: 'esp', target: '/' }] }, ext4('root', 'root', 'a')],
    },
    trees: { esp: { totalBytes: Math.round(128 * MiB * SCALE), files: 200 }, a: { totalBytes: Math.round(160 * MiB * SCALE), files: 1000 } },
  },
  {
    name: '2×ext4',
    spec: { table: 'gpt', sourceDateEpoch: 1_700_000_000, partitions: [ext4('root', 'root', 'a'), ext4('srv', 'srv', 'b')] },
    trees: { a: { totalBytes: Math.round(160 * MiB * SCALE), files: 1000 }, b: { totalBytes: Math.round(160 * MiB * SCALE), files: 1000 } },
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const served = await serveWorkerPage(new URL('./browser/opfs-esp-root-worker.ts', import.meta.url), 'bench', { 'mke2fs.wasm': MKE2FS_WASM_URL }, {
  workers: { 'build-worker.js': new URL('../workers/hosts/opfs/build-worker.ts', import.meta.url) },
  isolated: true,
});
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
try {
  for (const profile of PROFILES) {
    let context: BrowserContext;
    let close: () => Promise<void>;
    if (profile === 'disk') {
      const dir = mkdtempSync(join(tmpdir(), 'pw-bench-profile-'));
      context = await chromium.launchPersistentContext(dir, { executablePath, args });
      close = async () => {
        await context.close();
        rmSync(dir, { recursive: true, force: true });
      };
    } else {
      const browser = await chromium.launch({ executablePath, args });
      context = await browser.newContext();
      close = () => browser.close();
    }
    try {
      const page = await context.newPage();
      await page.goto(`${served.base}/`);
      await page.evaluate(() => {
        (globalThis as unknown as { bench: Worker }).bench = new Worker('/worker.js', { type: 'module' });
      });
      const build = (request: BenchRequest) => page.evaluate((message) => new Promise<OpfsParallelReply>((resolve) => {
        const w = (globalThis as unknown as { bench: Worker }).bench;
        w.onmessage = (e) => resolve(e.data as OpfsParallelReply);
        w.onerror = (e) => resolve({ error: e.message });
        w.postMessage(message);
      }), request);
      for (const c of cases) {
        const warm = await build({ spec: c.spec, trees: c.trees, workers: 0 }); // makes the trees (not counted)
        if (warm.error) throw new Error(warm.error);
        const seq: OpfsParallelReply[] = [];
        const par: OpfsParallelReply[] = [];
        const loads: string[] = [];
        for (let i = 0; i < RUNS; i++) {
          for (const workers of [0, 1]) {
            const r = await build({ spec: c.spec, trees: c.trees, workers });
            if (r.error) throw new Error(r.error);
            if (r.sha256 !== warm.sha256) throw new Error(`${c.name}: ${workers ? 'parallel' : 'sequential'} run ${i} gave another image`);
            if (workers && (!r.shared || r.spawned !== 1)) throw new Error(`${c.name}: the parallel run did not share the store (shared ${r.shared}: ${r.unshared}, workers ${r.spawned})`);
            (workers ? par : seq).push(r);
            loads.push(load());
          }
        }
        // Each file system alone (the same layout with only that partition): what at once could reach.
        const alone: string[] = [];
        for (const p of c.spec.partitions) {
          const r = await build({ spec: { ...c.spec, partitions: [p] }, trees: c.trees, workers: 0 });
          if (r.error) throw new Error(r.error);
          alone.push(`${p.label} ${(r.madeMs! / 1000).toFixed(2)} s`);
        }
        const secs = (rs: OpfsParallelReply[], key: 'ms' | 'madeMs') => median(rs.map((r) => r[key]!)) / 1000;
        const list = (rs: OpfsParallelReply[]) => rs.map((r) => (r.ms! / 1000).toFixed(2)).join(' ');
        const [s, p] = [secs(seq, 'ms'), secs(par, 'ms')];
        console.log(`${profile.padEnd(9)} ${c.name.padEnd(8)} one at a time ${s.toFixed(2)} s [${list(seq)}]  at once ${p.toFixed(2)} s [${list(par)}]  at once / one at a time ${(p / s).toFixed(2)}×`);
        const [sm, pm] = [secs(seq, 'madeMs'), secs(par, 'madeMs')];
        console.log(`          file systems and tables (before hashing): one at a time ${sm.toFixed(2)} s, at once ${pm.toFixed(2)} s, ${(pm / sm).toFixed(2)}×; build worker start → answer ${par.map((r) => (r.workerMs![0]! / 1000).toFixed(2)).join(' ')} s; alone: ${alone.join(', ')}`);
        console.log(`          load average per run: ${loads.join(' | ')}; sha256 ${warm.sha256!.slice(0, 16)}… (all runs)`);
      }
    } finally {
      await close();
    }
  }
} finally {
  await served.close();
}
