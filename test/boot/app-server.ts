/**
 * The app as users get it, for the browser-built boots: the production build (vite build, into a
 * temporary folder so a Playwright run's dist/web is left alone) served by the real server
 * (server/main.ts) on 127.0.0.1 with a free port, and Debian's Chromium driven by playwright-core,
 * as playwright.config.ts does for the e2e specs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO } from './assets.ts';

export interface ServedApp {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** Seconds the production build took. */
  buildSeconds: number;
  close(): Promise<void>;
}

export async function serveApp(): Promise<ServedApp> {
  const outDir = mkdtempSync(join(tmpdir(), 'partwright-app-'));
  const started = performance.now();
  execFileSync('npx', ['--no-install', 'vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  const buildSeconds = (performance.now() - started) / 1000;
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--root', outDir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Partwright is running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${out}`)));
  });
  return {
    url,
    buildSeconds,
    async close() {
      await new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium (CHROMIUM_PATH overrides), with the flags playwright.config.ts uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
