// Measured budgets (issue 7, item 9), printed, not asserted:
//  1. JS shipped before the engine loads: every script the page fetches before it requests the engine
//     worker, gzipped (level 9, what a server's gzip would send at most) — budget 200 KB.
//  2. Frame time while editing a 30-partition layout in Chromium: rAF intervals and long animation
//     frames while the form is typed into, rows are selected and partitions reordered — budget 16 ms.
// Serves the production build (npm run build first, or pass --build) with the real server.
//   node scripts/budgets.mjs [--build]
import { execFileSync, spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--build')) execFileSync('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });

const server = spawn('npx', ['--no-install', 'tsx', 'server/main.ts', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /Partwright is running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`server exited (${code})`)));
});

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  // ---- 1. JS before the engine
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const scripts = [];
  let engineSeen = false;
  let engine;
  page.on('response', async (response) => {
    const u = response.url();
    if (!/\.m?js(\?|$)/.test(u)) return;
    const isEngine = /engine\.worker/.test(u);
    const before = !engineSeen && !isEngine;
    if (isEngine) engineSeen = true;
    const body = await response.body().catch(() => Buffer.alloc(0));
    const entry = { url: u.replace(url, '/'), raw: body.length, gz: gzipSync(body, { level: 9 }).length };
    if (isEngine) engine = entry;
    else if (before) scripts.push(entry);
  });
  await page.goto(url);
  await page.getByTestId('engine-status').filter({ hasText: 'Engine ready' }).waitFor();
  const total = scripts.reduce((n, s) => n + s.gz, 0);
  console.log('JS before the engine loads (gzip -9):');
  for (const s of scripts) console.log(`  ${s.url}  ${kb(s.raw)} raw, ${kb(s.gz)} gz`);
  console.log(`  total ${kb(total)} gz  (budget 200 KB: ${total <= 200_000 ? 'within' : 'OVER'})`);
  if (engine) console.log(`  (engine worker, loaded after: ${engine.url} ${kb(engine.raw)} raw, ${kb(engine.gz)} gz)`);
  await context.close();

  // ---- 2. Editing a 30-partition layout
  const ctx2 = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1400, height: 1000 } });
  const p2 = await ctx2.newPage();
  await p2.goto(url);
  await p2.getByTestId('engine-status').filter({ hasText: 'Engine ready' }).waitFor();
  const layout = {
    table: 'gpt',
    sizeBytes: 64 * 1024 ** 3,
    partitions: Array.from({ length: 30 }, (_, i) => ({ type: i === 0 ? 'esp' : 'linux-generic', label: `part-${i + 1}`, sizeMinBytes: (i + 1) * 64 * 1024 ** 2, ...(i === 0 ? { format: 'vfat' } : {}) })),
  };
  await p2.getByTestId('import-input').setInputFiles({ name: 'thirty.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(layout)) });
  await p2.getByTestId('partition-row').nth(29).waitFor();
  await p2.waitForTimeout(500);
  await p2.evaluate(() => {
    const w = window;
    w.__frames = [];
    w.__loaf = [];
    w.__events = [];
    let last = performance.now();
    const tick = (t) => {
      w.__frames.push(t - last);
      last = t;
      if (!w.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__loaf.push(e.duration); }).observe({ type: 'long-animation-frame', buffered: false });
    } catch { /* older Chromium: rAF intervals only */ }
    // Event Timing: inputs whose handling through the next paint took over 16 ms; their handler time.
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__events.push({ name: e.name, duration: e.duration, processing: e.processingEnd - e.processingStart }); }).observe({ type: 'event', durationThreshold: 16, buffered: false });
  });
  const rows = p2.getByTestId('partition-row');
  for (let i = 0; i < 30; i += 3) {
    await rows.nth(i).click();
    const label = p2.getByRole('region', { name: /^Partition \d/ }).getByLabel('Label', { exact: true });
    await label.pressSequentially(`x${i}`, { delay: 20 });
    await label.press('Enter');
    const min = p2.getByRole('region', { name: /^Partition \d/ }).getByLabel('Minimum size', { exact: true });
    await min.fill(`${100 + i}M`);
    await min.press('Enter');
    await p2.keyboard.press('ArrowDown');
  }
  await p2.waitForTimeout(300);
  const { frames, loaf, events } = await p2.evaluate(() => {
    window.__stop = true;
    return { frames: window.__frames.slice(1), loaf: window.__loaf, events: window.__events };
  });
  const sorted = [...frames].sort((a, b) => a - b);
  const pct = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const over = frames.filter((f) => f > 16.7).length;
  console.log('\nEditing a 30-partition layout (rAF intervals while typing, selecting, resizing):');
  console.log(`  frames ${frames.length}; p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`);
  console.log(`  frames over 16.7 ms: ${over} (${((100 * over) / Math.max(1, frames.length)).toFixed(1)} %)`);
  if (loaf.length) console.log(`  long animation frames (>50 ms): ${loaf.length}, longest ${Math.max(...loaf).toFixed(1)} ms`);
  else console.log('  long animation frames (>50 ms): none');
  const slow = events.filter((e) => e.processing > 16);
  const longestProcessing = Math.max(0, ...events.map((e) => e.processing));
  console.log(`  input handlers (Event Timing) running over 16 ms: ${slow.length}; longest handler ${longestProcessing.toFixed(1)} ms${slow.length ? ` (${[...new Set(slow.map((e) => e.name))].join(', ')})` : ''}`);
  console.log(`  budget 16 ms a frame: ${pct(0.95) <= 16.7 ? 'p95 within' : 'p95 OVER'}`);
  await ctx2.close();
} finally {
  await browser.close();
  process.kill(-server.pid);
}
