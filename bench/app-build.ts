/**
 * The app's build of its default example (8 GiB GPT) end to end in Debian's Chromium: production
 * build served by server/main.ts, Build clicked, until the result shows. Once with the defaults (per-
 * partition bmap hashes only) and once with the whole-image SHA-256 ticked (what every build did
 * before it became opt-in), beside systemd-repart writing the same table. Goal: ≤ 2 s.
 * Chromium's memory: the largest RSS of any of its processes, sampled every 100 ms.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
ensureGnuTime();
execFileSync('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
const server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/main.ts'), '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
});

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
let peakKiB = 0;
const sampler = setInterval(() => {
  const r = spawnSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
  for (const l of (r.stdout ?? '').split('\n')) peakKiB = Math.max(peakKiB, Number(l.trim()) || 0);
}, 100);

async function buildOnce(wholeImageSha256: boolean): Promise<{ wallS: number; engineS: number; peakMiB: number; text: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
  // A first visit opens on the start screen: pick the default example, as a new user does.
  const card = page.locator('[data-testid="preset-card"][data-preset="example:gpt-disk"]').first();
  if (await page.getByTestId('start-screen').isVisible()) await card.click();
  await page.getByTestId('start-screen').waitFor({ state: 'hidden' });
  const box = page.getByLabel('SHA-256');
  if (wholeImageSha256) await box.check();
  else await box.uncheck();
  peakKiB = 0;
  const t0 = Date.now();
  await page.getByRole('button', { name: /^Build/ }).click();
  const result = page.getByTestId('build-result');
  await result.waitFor({ timeout: 600_000 });
  const wallS = (Date.now() - t0) / 1000;
  const text = (await result.locator('.line').first().textContent()) ?? '';
  const engineS = Number(/· ([\d.]+) s/.exec(text)?.[1] ?? NaN);
  const peakMiB = peakKiB / 1024;
  await context.close();
  return { wallS, engineS, peakMiB, text: text.replace(/\s+/g, ' ').trim() };
}

// The server and Chromium go away however the runs end (a failed run must not leave them behind).
let fresh: Awaited<ReturnType<typeof buildOnce>>;
let hashed: Awaited<ReturnType<typeof buildOnce>>;
try {
  fresh = await buildOnce(false);
  hashed = await buildOnce(true);
} finally {
  clearInterval(sampler);
  await browser.close();
  server.kill();
}

// The same layout (examples/gpt-disk is the app's default) written by systemd-repart.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-app-'));
const repart = measure('repart', ['systemd-repart', '--empty=create', '--size=8G', '--dry-run=no', '--no-pager', `--definitions=${path.join(root, 'examples/gpt-disk')}`, path.join(work, 'r.img')], work);
fs.rmSync(work, { recursive: true, force: true });

console.log('app: default example (8 GiB GPT) built in Chromium, Build click to result');
console.log(`default (bmap hashes)     ${fresh.wallS.toFixed(2)} s end to end (${fresh.engineS.toFixed(1)} s in the worker), largest Chromium process ${fresh.peakMiB.toFixed(0)} MiB · goal ≤ 2 s: ${fresh.wallS <= 2 ? 'met' : 'NOT met'}`);
console.log(`+ whole-image SHA-256     ${hashed.wallS.toFixed(2)} s end to end (${hashed.engineS.toFixed(1)} s in the worker), largest Chromium process ${hashed.peakMiB.toFixed(0)} MiB`);
console.log(`systemd-repart (same table, --empty=create) ${repart.wallS.toFixed(2)} s, ${(repart.peakRssKiB / 1024).toFixed(1)} MiB`);
console.log(`ratio app default/systemd-repart: ${(fresh.wallS / Math.max(0.01, repart.wallS)).toFixed(1)}×`);
