/**
 * dm-verity hash tree in headless Chromium (Debian's, a Web Worker) over 256 MiB of data (no holes),
 * with the engine's JS SHA-256 (before), hash-wasm, and sha256-lanes.wasm (what the engine uses),
 * beside `veritysetup format` on the same bytes with the same salt in the same run. The worker's
 * figure is the tree alone (the data is in memory); the root hashes must equal veritysetup's.
 *   node --import tsx bench/verity-chromium.ts      (VERITY_BENCH_MIB=512 for more data)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ensureGnuTime, measure } from './measure.ts';
import { SHA256_LANES_WASM_URL } from '../workers/tools/sha256-lanes.ts';

ensureGnuTime();
const MiB = 1 << 20;
const dataBytes = Number(process.env.VERITY_BENCH_MIB ?? 256) * MiB;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-verityc-'));
const data = path.join(work, 'data.img');
const fd = fs.openSync(data, 'w');
const chunk = Buffer.alloc(MiB);
for (let i = 0; i < dataBytes / MiB; i++) {
  const seed = createHash('sha512').update(`chunk ${i}`).digest();
  for (let o = 0; o < MiB; o += seed.length) seed.copy(chunk, o);
  chunk.writeUInt32LE(i, 0);
  fs.writeSync(fd, chunk);
}
fs.closeSync(fd);
const salt = Array.from({ length: 32 }, (_, i) => i);
const saltHex = salt.map((b) => b.toString(16).padStart(2, '0')).join('');
const nativeOut = path.join(work, 'native.hash');
const native = measure('veritysetup', ['veritysetup', 'format', data, nativeOut, `--salt=${saltHex}`, '--uuid=0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d', '--hash=sha256'], work);
// The root hash from a second, untimed run (GNU time keeps the first one's output to itself).
const nativeRoot = /Root hash:\s+([0-9a-f]{64})/.exec(execFileSync('veritysetup', ['format', data, path.join(work, 'again.hash'), `--salt=${saltHex}`, '--uuid=0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d', '--hash=sha256'], { encoding: 'utf8' }))?.[1];

const worker = await build({ entryPoints: [path.join(import.meta.dirname, 'browser/verity-worker.ts')], bundle: true, format: 'esm', write: false, target: 'es2022' });
const files: Record<string, [string, () => Uint8Array]> = {
  '/': ['text/html', () => Buffer.from('<!doctype html><title>bench</title>')],
  '/worker.js': ['text/javascript', () => worker.outputFiles[0]!.contents],
  '/sha256-lanes.wasm': ['application/wasm', () => fs.readFileSync(SHA256_LANES_WASM_URL)],
  '/data.img': ['application/octet-stream', () => fs.readFileSync(data)],
};
const server = createServer((req, res) => {
  const f = files[req.url ?? ''];
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': f[0] }).end(f[1]());
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/`);
const which = (process.env.VERITY_BENCH_HASHERS ?? 'js,hash-wasm,lanes').split(',');
const result = await page.evaluate(({ salt, which }) => new Promise<{ results?: Record<string, { ms: number; rootHash: string }>; error?: string }>((resolve) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.postMessage({ dataUrl: '/data.img', lanesUrl: '/sha256-lanes.wasm', salt, which });
}), { salt, which });
await browser.close();
server.close();
if (result.error) throw new Error(result.error);
console.log(`dm-verity tree, ${dataBytes / MiB} MiB, 4096-byte blocks — headless Chromium (Web Worker) vs veritysetup format ${native.wallS.toFixed(2)} s`);
for (const [name, r] of Object.entries(result.results!)) {
  console.log(`${name.padEnd(10)} chromium ${(r.ms / 1000).toFixed(2).padStart(6)} s | ratio ${(r.ms / 1000 / native.wallS).toFixed(2)}× (goal ≤ 1.5×)${r.rootHash === nativeRoot ? ', same root hash' : `, ROOT HASH DIFFERS (${r.rootHash} vs ${nativeRoot})`}`);
}
fs.rmSync(work, { recursive: true, force: true });
