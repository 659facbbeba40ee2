#!/usr/bin/env node
/**
 * The `partwright` command's prebuilt bundle: cli/main.ts and the engine code it imports, bundled by
 * esbuild into dist/cli/ (one entry plus one chunk per lazily loaded command; npm packages stay
 * imports from node_modules). `npm run build` runs this; cli/bin/partwright.mjs calls
 * ensureCliBundle() so a fresh clone or an edited source rebuilds it (~0.3 s) before the run.
 *
 * dist/cli/inputs.json lists every source file in the bundle: the bundle is stale when one of them
 * is newer than the entry or gone. Chunks have content-hashed names and the entry is renamed into
 * place last, so processes that rebuild at the same moment never see half a bundle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Two levels below the root, as workers/tools/ is: `new URL('../../wasm/…', import.meta.url)` still finds the .wasm files. */
export const CLI_BUNDLE_DIR = path.join(ROOT, 'dist', 'cli');
export const CLI_BUNDLE = path.join(CLI_BUNDLE_DIR, 'partwright.mjs');
const INPUTS = path.join(CLI_BUNDLE_DIR, 'inputs.json');

/** True when the bundle exists and no source file in it changed since it was made. */
export function cliBundleFresh() {
  let builtMs;
  let inputs;
  try {
    builtMs = fs.statSync(CLI_BUNDLE).mtimeMs;
    inputs = JSON.parse(fs.readFileSync(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  for (const rel of inputs) {
    try {
      if (fs.statSync(path.join(ROOT, rel)).mtimeMs > builtMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Bundle cli/main.ts into dist/cli/. Returns the entry's path. */
export async function buildCliBundle() {
  const { build } = await import('esbuild');
  const started = Date.now();
  const result = await build({
    absWorkingDir: ROOT,
    // The zstd worker thread is an entry of its own: workers/hosts/node/zstd-parallel.ts starts it from next to itself.
    // So is the build's file system worker (build-workers.ts starts build-worker.mjs).
    entryPoints: { partwright: 'cli/main.ts', 'zstd-worker': 'workers/hosts/node/zstd-worker.ts', 'build-worker': 'workers/hosts/node/build-worker.ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: CLI_BUNDLE_DIR,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]',
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.mkdirSync(CLI_BUNDLE_DIR, { recursive: true });
  const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const entry = result.outputFiles.find((f) => f.path === CLI_BUNDLE);
  // Chunks first (content-hashed: a concurrent build writes the same bytes), the entry last.
  for (const f of [...result.outputFiles.filter((f) => f !== entry), entry]) {
    const tmp = `${f.path}.${tag}.tmp`;
    fs.writeFileSync(tmp, f.contents);
    fs.renameSync(tmp, f.path);
  }
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/') && !p.includes('/node_modules/'));
  const tmp = `${INPUTS}.${tag}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(inputs));
  fs.renameSync(tmp, INPUTS);
  // The entry's mtime is the freshness stamp: the moment esbuild began reading, so a source saved
  // during the build counts as newer.
  fs.utimesSync(CLI_BUNDLE, new Date(started), new Date(started));
  // Chunks no current build refers to (left by older builds).
  const keep = new Set(result.outputFiles.map((f) => path.basename(f.path)));
  for (const name of fs.readdirSync(CLI_BUNDLE_DIR)) {
    if (/^chunk-.*\.mjs$/.test(name) && !keep.has(name)) {
      const full = path.join(CLI_BUNDLE_DIR, name);
      // Another process may still be running an older bundle: leave recent chunks alone.
      try {
        if (Date.now() - fs.statSync(full).mtimeMs > 10 * 60_000) fs.rmSync(full, { force: true });
      } catch { /* removed by a concurrent build */ }
    }
  }
  return CLI_BUNDLE;
}

/** The bundle's path, rebuilt first when missing or stale; undefined when esbuild is not installed. */
export async function ensureCliBundle() {
  if (cliBundleFresh()) return CLI_BUNDLE;
  try {
    return await buildCliBundle();
  } catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') return fs.existsSync(CLI_BUNDLE) ? CLI_BUNDLE : undefined;
    throw e;
  }
}

// `node scripts/build-cli.mjs` always rebuilds; `--if-stale` (npm start / npm test set-up) only when needed.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t0 = Date.now();
  if (process.argv.includes('--if-stale') && cliBundleFresh()) process.exit(0);
  const out = await buildCliBundle();
  console.log(`partwright: CLI bundle ${path.relative(ROOT, out)} (${Date.now() - t0} ms)`);
}
