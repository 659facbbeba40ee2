/**
 * squashfs and erofs in headless Chromium: 256 MiB (ROFS_BENCH_MIB) in 3,000 files (half noise, half
 * text) made by the squashfs writer (gzip: zlib.wasm, zstd: zstd.wasm, xz: xz.wasm) and mkfs.erofs.wasm
 * (lz4hc) in a Web Worker (Debian's Chromium), beside native `mksquashfs -processors 1` and
 * `mkfs.erofs -zlz4hc` on the same bytes in the same run. The worker's figure is the maker alone (the
 * tree is in memory). Native CPU time (user + system) is printed too: on a loaded machine the wall
 * clock mostly measures the others' load, and a browser worker has no CPU clock to compare it with.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ensureGnuTime, measure } from './measure.ts';
import { benchFiles } from './browser/rofs-data.ts';
import { MKFS_EROFS_WASM_URL } from '../workers/tools/mkfs-erofs-module.ts';
import { XZ_WASM_URL, ZLIB_WASM_URL } from '../workers/tools/squashfs-compressors.ts';
import { ZSTD_WASM_URL } from '../workers/tools/zstd.ts';

ensureGnuTime();
const TOTAL = Number(process.env.ROFS_BENCH_MIB ?? 256) << 20;
const COUNT = Math.min(3000, Math.max(100, Math.round(TOTAL / (256 << 20) * 3000)));
const EPOCH = 1_700_000_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-rofsc-'));
for (const f of benchFiles(TOTAL, COUNT)) {
  fs.mkdirSync(path.join(work, 'tree', f.dir), { recursive: true });
  fs.writeFileSync(path.join(work, 'tree', f.dir, f.name), f.bytes);
}
const env = { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) };
const tree = path.join(work, 'tree');
const native: Record<string, { wallS: number; cpuS: number; bytes: number }> = {};
for (const [name, cmd, out] of [
  ['squashfs gzip', ['mksquashfs', tree, path.join(work, 'g.sqfs'), '-comp', 'gzip', '-noappend', '-quiet', '-no-progress', '-processors', '1'], 'g.sqfs'],
  ['squashfs zstd', ['mksquashfs', tree, path.join(work, 'z.sqfs'), '-comp', 'zstd', '-noappend', '-quiet', '-no-progress', '-processors', '1'], 'z.sqfs'],
  ['squashfs xz', ['mksquashfs', tree, path.join(work, 'x.sqfs'), '-comp', 'xz', '-noappend', '-quiet', '-no-progress', '-processors', '1'], 'x.sqfs'],
  ['erofs lz4hc', ['mkfs.erofs', '--quiet', '-x', '-1', '-zlz4hc', path.join(work, 'e.erofs'), tree], 'e.erofs'],
] as const) {
  const r = measure(name, [...cmd], work, env);
  native[name] = { wallS: r.wallS, cpuS: r.cpuS, bytes: fs.statSync(path.join(work, out)).size };
}

const worker = await build({ entryPoints: [path.join(import.meta.dirname, 'browser/rofs-worker.ts')], bundle: true, format: 'esm', write: false, target: 'es2022' });
const files: Record<string, [string, Uint8Array]> = {
  '/': ['text/html', Buffer.from('<!doctype html><title>bench</title>')],
  '/worker.js': ['text/javascript', worker.outputFiles[0]!.contents],
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
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/`);
const result = await page.evaluate(({ total, count, epoch }) => new Promise<{ results?: Record<string, { ms: number; bytes: number }>; error?: string }>((resolve) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.postMessage({ totalBytes: total, count, epoch });
}), { total: TOTAL, count: COUNT, epoch: EPOCH });
await browser.close();
server.close();
if (result.error) throw new Error(result.error);
console.log(`squashfs / erofs, ${COUNT} files, ${TOTAL >> 20} MiB — headless Chromium (Web Worker) vs native (one thread)`);
for (const [name, r] of Object.entries(result.results!)) {
  const n = native[name]!;
  console.log(`${name.padEnd(14)} chromium ${(r.ms / 1000).toFixed(2).padStart(7)} s ${(r.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB | native ${n.wallS.toFixed(2).padStart(7)} s (cpu ${n.cpuS.toFixed(2)} s) ${(n.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB | ratio ${(r.ms / 1000 / n.wallS).toFixed(2)}× (goal ≤ 1.5×)`);
}
fs.rmSync(work, { recursive: true, force: true });
