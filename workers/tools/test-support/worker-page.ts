/**
 * A page for the browser tests of the WASM tools: the test's worker entry bundled by esbuild and the
 * .wasm files it fetches, served on 127.0.0.1 (Chromium loads them as it would from the app).
 */
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerPage {
  /** `http://127.0.0.1:PORT`: `/` is the page, `/worker.js` the worker, `/NAME.wasm` each tool. */
  base: string;
  close(): Promise<void>;
}

/** More for a page: further worker entries (served name → source), cross-origin isolation (SharedArrayBuffer) as the app has it. */
export interface WorkerPageOptions {
  workers?: Record<string, URL>;
  isolated?: boolean;
}

const bundle = async (entry: URL) => Buffer.from((await build({ entryPoints: [fileURLToPath(entry)], bundle: true, format: 'esm', write: false, target: 'es2022' })).outputFiles[0]!.contents);

/** Serves `workerEntry` (bundled) and `wasm` (served name → file URL). */
export async function serveWorkerPage(workerEntry: URL, title: string, wasm: Record<string, URL>, options: WorkerPageOptions = {}): Promise<WorkerPage> {
  const files: Record<string, [string, Buffer]> = {
    '/': ['text/html', Buffer.from(`<!doctype html><title>${title}</title>`)],
    '/worker.js': ['text/javascript', await bundle(workerEntry)],
  };
  for (const [name, url] of Object.entries(options.workers ?? {})) files[`/${name}`] = ['text/javascript', await bundle(url)];
  // The app's headers (server/static.ts), for SharedArrayBuffer.
  const isolation = options.isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' } : {};
  for (const [name, url] of Object.entries(wasm)) files[`/${name}`] = ['application/wasm', readFileSync(url)];
  const server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': f[0], ...isolation }).end(f[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
