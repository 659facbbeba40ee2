/**
 * squashfs and erofs in headless Chromium: 256 MiB (ROFS_BENCH_MIB) in 3,000 files (half noise, half
 * text) made in a Web Worker (Debian's Chromium) as the app makes them — squashfs by the TypeScript
 * writer with its blocks compressed in nested workers (gzip: zlib.wasm, zstd: zstd.wasm, xz:
 * xz.wasm; min(cores, 4) workers), erofs by mkfs.erofs.wasm (lz4hc) — beside native `mksquashfs`
 * (same compressor, default level and 128 KiB blocks, all cores) and `mkfs.erofs -zlz4hc` on the same
 * bytes. Runs are interleaved (native, Chromium, native, Chromium…; ROFS_BENCH_RUNS rounds, default 3)
 * and medians printed with the load average. The worker's figure is the maker alone (the tree is in
 * memory); Chromium's CPU time is the user + system time all its processes used during the row (on a
 * loaded machine wall time mostly measures how many threads each side runs against the others' load;
 * CPU time does not); Chromium's peak memory is the largest sum of the RSS of all its processes sampled during
 * the row, beside native peak RSS. ROFS_BENCH_ROWS: a comma list of rows (default all; add
 * "squashfs gzip 1" etc. for the one-thread writer, compared with mksquashfs -processors 1).
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ensureGnuTime, measure, type Run } from './measure.ts';
import { benchFiles } from './browser/rofs-data.ts';
import { MKFS_EROFS_WASM_URL } from '../workers/tools/mkfs-erofs-module.ts';
import { XZ_WASM_URL, ZLIB_WASM_URL } from '../workers/tools/squashfs-compressors.ts';
import { ZSTD_WASM_URL } from '../workers/tools/zstd.ts';

ensureGnuTime();
const TOTAL = Number(process.env.ROFS_BENCH_MIB ?? 256) << 20;
const COUNT = Math.min(3000, Math.max(100, Math.round(TOTAL / (256 << 20) * 3000)));
const RUNS = Number(process.env.ROFS_BENCH_RUNS ?? 3);
const ROWS = (process.env.ROFS_BENCH_ROWS ?? 'squashfs gzip,squashfs zstd,squashfs xz,erofs lz4hc').split(',').map((r) => r.trim());
const EPOCH = 1_700_000_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-rofsc-'));
for (const f of benchFiles(TOTAL, COUNT)) {
  fs.mkdirSync(path.join(work, 'tree', f.dir), { recursive: true });
  fs.writeFileSync(path.join(work, 'tree', f.dir, f.name), f.bytes);
}
const env = { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) };
const tree = path.join(work, 'tree');

/** The native command of a row (its output file last). */
function nativeCommand(row: string): { cmd: string[]; out: string } {
  const [format, name, single] = row.split(' ');
  if (format === 'erofs') return { cmd: ['mkfs.erofs', '--quiet', '-x', '-1', '-zlz4hc', path.join(work, 'e.erofs'), tree], out: path.join(work, 'e.erofs') };
  const out = path.join(work, `${name}.sqfs`);
  return { cmd: ['mksquashfs', tree, out, '-comp', name!, '-b', '131072', '-noappend', '-quiet', '-no-progress', ...(single ? ['-processors', '1'] : [])], out };
}

const bundle = async (entry: string) => (await build({ entryPoints: [path.join(import.meta.dirname, entry)], bundle: true, format: 'esm', write: false, target: 'es2022' })).outputFiles[0]!.contents;
const files: Record<string, [string, Uint8Array]> = {
  '/': ['text/html', Buffer.from('<!doctype html><title>bench</title>')],
  '/worker.js': ['text/javascript', await bundle('browser/rofs-worker.ts')],
  '/build-worker.js': ['text/javascript', await bundle('../workers/hosts/opfs/build-worker.ts')],
  '/zlib.wasm': ['application/wasm', fs.readFileSync(ZLIB_WASM_URL)],
  '/zstd.wasm': ['application/wasm', fs.readFileSync(ZSTD_WASM_URL)],
  '/xz.wasm': ['application/wasm', fs.readFileSync(XZ_WASM_URL)],
  '/mkfs.erofs.wasm': ['application/wasm', fs.readFileSync(MKFS_EROFS_WASM_URL)],
};
const server = createServer((req, res) => {
  const f = files[req.url ?? ''];
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * Sum over the descendants of `pid` (this process's: the browser Playwright started) of their RSS
 * (KiB) and their CPU time (user + system, seconds, all threads: the Web Worker and its nested
 * workers are threads of the page's renderer).
 */
function descendants(pid: number): { rssKiB: number; cpuS: number } {
  const children = new Map<number, number[]>();
  const figures = new Map<number, { rssKiB: number; cpuS: number }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'));
      figures.set(Number(d), { rssKiB: m ? Number(m[1]) : 0, cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S });
    } catch { /* gone */ }
  }
  const total = { rssKiB: 0, cpuS: 0 };
  const visit = (p: number) => {
    total.rssKiB += figures.get(p)?.rssKiB ?? 0;
    total.cpuS += figures.get(p)?.cpuS ?? 0;
    for (const c of children.get(p) ?? []) visit(c);
  };
  for (const c of children.get(pid) ?? []) visit(c);
  return total;
}

try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.evaluate(() => { (globalThis as unknown as { bench: Worker }).bench = new Worker('/worker.js', { type: 'module' }); });
  const ask = (message: unknown) => page.evaluate((m) => new Promise<Record<string, unknown>>((resolve) => {
    const w = (globalThis as unknown as { bench: Worker }).bench;
    w.onmessage = (e) => resolve(e.data);
    w.postMessage(m);
  }), message);
  const setup = await ask({ setup: { totalBytes: TOTAL, count: COUNT, epoch: EPOCH } });
  if (setup.error) throw new Error(String(setup.error));
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`squashfs / erofs, ${COUNT} files, ${TOTAL >> 20} MiB — headless Chromium (Web Worker; squashfs blocks in ${setup.workers} nested workers, ${setup.cores} cores) vs native, ${RUNS} interleaved rounds; load average at start ${load()}`);
  const results = new Map<string, { ours: Array<{ s: number; cpuS: number; peakKiB: number; overKiB: number; bytes: number }>; native: Array<Run & { bytes: number }> }>();
  for (let round = 0; round < RUNS; round++) {
    for (const row of ROWS) {
      const r = results.get(row) ?? { ours: [], native: [] };
      results.set(row, r);
      const n = nativeCommand(row);
      fs.rmSync(n.out, { force: true });
      const native = measure(row, n.cmd, work, env);
      r.native.push({ ...native, bytes: fs.statSync(n.out).size });
      fs.rmSync(n.out, { force: true });
      const before = descendants(process.pid);
      let peak = before.rssKiB;
      const sampler = setInterval(() => { peak = Math.max(peak, descendants(process.pid).rssKiB); }, 100);
      const ours = await ask({ row }).finally(() => clearInterval(sampler));
      if (ours.error) throw new Error(String(ours.error));
      const cpuS = descendants(process.pid).cpuS - before.cpuS;
      r.ours.push({ s: Number(ours.ms) / 1000, cpuS, peakKiB: peak, overKiB: peak - before.rssKiB, bytes: Number(ours.bytes) });
      console.log(`  round ${round + 1} ${row.padEnd(16)} chromium ${(Number(ours.ms) / 1000).toFixed(2)} s (cpu ${cpuS.toFixed(2)} s) | native ${native.wallS.toFixed(2)} s (cpu ${native.cpuS.toFixed(2)} s) | load ${load()}`);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
  console.log(`medians of ${RUNS} (load average at end ${load()}):`);
  for (const [row, r] of results) {
    const ours = median(r.ours.map((o) => o.s));
    const native = median(r.native.map((o) => o.wallS));
    const single = row.split(' ')[2] !== undefined;
    const versus = row.startsWith('erofs') ? 'mkfs.erofs' : single ? 'mksquashfs -processors 1' : 'mksquashfs (all cores)';
    const cpu = median(r.ours.map((o) => o.cpuS));
    const nativeCpu = median(r.native.map((o) => o.cpuS));
    console.log(`${row.padEnd(16)} chromium ${ours.toFixed(2).padStart(6)} s (cpu ${cpu.toFixed(2)} s), peak ${mib(median(r.ours.map((o) => o.peakKiB)))} (+${mib(median(r.ours.map((o) => o.overKiB)))} over the page with its tree), ${(r.ours[0]!.bytes / 2 ** 20).toFixed(1)} MiB | ${versus} ${native.toFixed(2).padStart(6)} s (cpu ${nativeCpu.toFixed(2)} s), peak ${mib(median(r.native.map((o) => o.peakRssKiB)))}, ${(r.native[0]!.bytes / 2 ** 20).toFixed(1)} MiB | ratio ${(ours / native).toFixed(2)}× (goal ≤ 1.5×), CPU ratio ${(cpu / nativeCpu).toFixed(2)}×`);
  }
} finally {
  await browser.close();
  server.close();
  fs.rmSync(work, { recursive: true, force: true });
}
