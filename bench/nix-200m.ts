/**
 * Fetch, verify and unpack a 200 MiB zstd closure from a binary cache on 127.0.0.1 with Partwright's
 * client (Node), beside `nix copy --from` into a fresh store, in the same run: MiB/s and peak memory.
 * Needs Debian's nix-bin (installed when run as root). Then the same in a Web Worker in Debian's
 * Chromium (the cache served from the page's origin), unpacking into memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeNixEnv, serveDirectory } from '../workers/nix/test-support/nix-env.ts';

const root = path.resolve(import.meta.dirname, '..');
const env = makeNixEnv('partwright-bench-1');
const expr = path.join(env.dir, 'big.nix');
fs.writeFileSync(expr, `derivation { name = "pw-big"; system = "x86_64-linux"; builder = "/bin/busybox";
  args = [ "sh" "-c" "/bin/busybox mkdir -p $out && i=0; while [ $i -lt 200 ]; do /bin/busybox dd if=/dev/urandom of=$out/f$i bs=1M count=1 2>/dev/null; i=$((i+1)); done" ]; }`);
const big = env.build(expr, '');
const cacheDir = path.join(env.dir, 'cache');
env.copyToCache([big], cacheDir, 'zstd');
const served = await serveDirectory(cacheDir);

function timed(cmd: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ wallS: number; peakRssKiB: number }> {
  return new Promise((resolve, reject) => {
    const timeFile = path.join(env.dir, `t-${Date.now()}`);
    const p = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, ...cmd], { env: { ...env.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${cmd[0]} failed: ${err}`));
      const [w, m] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ');
      resolve({ wallS: Number(w), peakRssKiB: Number(m) });
    });
  });
}

const narBytes = 200 * 2 ** 20;
const ours = await timed(['node', '--import', 'tsx', path.join(root, 'bench/nix-fetch.ts'), served.url, env.publicKey, big, path.join(env.dir, 'ours')]);
const theirs = await timed(['nix', 'copy', '--from', served.url, '--to', path.join(env.dir, 'fresh'), big, '--option', 'trusted-public-keys', env.publicKey]);
const row = (name: string, r: { wallS: number; peakRssKiB: number }) =>
  `${name.padEnd(18)} ${r.wallS.toFixed(2).padStart(7)} s ${(narBytes / 2 ** 20 / r.wallS).toFixed(0).padStart(5)} MiB/s ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;
console.log('Nix closure, 200 MiB NAR, zstd cache on 127.0.0.1');
console.log(row('partwright (Node)', ours));
console.log(row('nix copy --from', theirs));
console.log(`ratio partwright/nix: time ${(ours.wallS / theirs.wallS).toFixed(2)}× (goal: ≥ 100 MiB/s in Node)`);

// Chromium: the worker bundle and the cache on one origin (the app's CSP would list the cache).
const { build } = await import('esbuild');
const { chromium } = await import('playwright-core');
const { createServer } = await import('node:http');
const bundle = await build({ entryPoints: [path.join(import.meta.dirname, 'browser/nix-worker.ts')], bundle: true, format: 'esm', write: false, target: 'es2022' });
const pageServer = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
  if (url === '/worker.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0]!.contents);
  // The zstd decoder (libzstd in WASM), served as the app serves its tools.
  if (url === '/zstd.wasm') return void res.writeHead(200, { 'content-type': 'application/wasm' }).end(fs.readFileSync(new URL('../wasm/zstd/zstd.wasm', import.meta.url)));
  const file = path.join(cacheDir, decodeURIComponent(url.replace(/^\/cache\//, '')));
  if (!url.startsWith('/cache/') || !file.startsWith(cacheDir) || !fs.existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200).end(fs.readFileSync(file));
});
await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
let peakKiB = 0;
const sampler = setInterval(() => {
  const r = spawnSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
  for (const l of (r.stdout ?? '').split('\n')) peakKiB = Math.max(peakKiB, Number(l.trim()) || 0);
}, 100);
const page = await browser.newPage();
await page.goto(`${origin}/`);
const result = await page.evaluate(({ cache, key, storePath }) => new Promise<{ ms?: number; error?: string }>((resolve) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.postMessage({ cache, key, storePath });
}), { cache: `${origin}/cache`, key: env.publicKey, storePath: big });
clearInterval(sampler);
await browser.close();
pageServer.close();
if (result.error) throw new Error(result.error);
console.log(`partwright (Chromium) ${(result.ms! / 1000).toFixed(2)} s ${(narBytes / 2 ** 20 / (result.ms! / 1000)).toFixed(0).padStart(5)} MiB/s, largest Chromium process ${(peakKiB / 1024).toFixed(0)} MiB (goal: ≥ 50 MiB/s)`);
await served.close();
env.cleanup();
