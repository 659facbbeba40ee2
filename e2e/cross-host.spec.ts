/**
 * @cross-host: the same layout, inputs and SOURCE_DATE_EPOCH give the same image in Chromium's
 * worker (the app, OPFS host) and in the CLI (Node host): one build job, two hosts.
 *
 * Every examples/ folder is imported into the app as its repart.d `*.conf` files, and everything it
 * names is given through the app's inputs: each build-input slot (BaseImage=, ISOHybridMBR=, blob
 * Source=, CopyBlocks=) gets the example's file, each CopyFiles= source a tar of the example's folder
 * (`tar --sort=name`, so modes, owners, times and symlinks come along), a verity signature the key
 * and certificate the CLI gets. Built with SHA-256 on, the image must hash as `partwright build
 * examples/NAME` does with the same epoch and key. The app's presets that bring their own files
 * (blobs, content folders) are built too and compared with the CLI's build of their exported JSON.
 * Boot files of iso-hybrid come from `bash scripts/assets.sh` (run here when missing).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, lchownSync, lutimesSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools } from '../workers/test-support/debian.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'cli/bin/partwright.mjs');
const EPOCH = '1700000000';
/** Every examples/ layout (a folder of repart.d `*.conf` files). */
const EXAMPLES = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && readdirSync(join(ROOT, 'examples', d.name)).some((f) => f.endsWith('.conf')))
  .map((d) => d.name)
  .sort();
/** The app's presets that come with files of their own (web/lib/presets.ts: blobs, content folders). */
const PRESETS_WITH_FILES = ['blobs-at-offsets', 'esp-vfat', 'iso-hybrid'];
/** gpt-disk is 8 GiB: the worker hashes it all, holes included. */
const SLOW = new Set(['gpt-disk']);

let work: string;
let key: string;
let cert: string;

test.beforeAll(() => {
  requireTools('tar', 'openssl', 'sha256sum', 'flock');
  // Each Playwright worker runs this: one at a time, the first fetches, the others find them in place.
  execFileSync('flock', [join(tmpdir(), 'partwright-assets.lock'), 'bash', join(ROOT, 'scripts/assets.sh')], { cwd: ROOT, stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'pw-cross-'));
  key = join(work, 'key.pem');
  cert = join(work, 'cert.pem');
  // RSA: PKCS#1 v1.5 signatures are deterministic, so the signature partition is the same bytes too.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=cross-host', '-days', '3650'], { stdio: 'pipe' });
});

test.afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function cliSha256(args: string[], out: string): string {
  execFileSync(process.execPath, [CLI, 'build', ...args, '-o', out], { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: 'pipe' });
  const sha = execFileSync('sha256sum', [out], { encoding: 'utf8' }).split(' ')[0]!;
  rmSync(out, { force: true });
  return sha;
}

/**
 * A copy of examples/NAME whose files and folders have the metadata a checkout lacks, so both hosts
 * must carry it alike: times on both sides of SOURCE_DATE_EPOCH (2001 to 2029, about three years
 * apart in name order: older ones are kept, newer ones clamped), several modes, and (as root) several
 * owners.
 */
const OWNERS: readonly (readonly [number, number])[] = [[0, 0], [1000, 100], [65534, 65534]];

function exampleCopy(name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true, verbatimSymlinks: true });
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.name.endsWith('.conf'))
    .map((e) => ({ path: join(e.parentPath, e.name), e }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const asRoot = process.getuid?.() === 0;
  entries.forEach(({ path, e }, i) => {
    if (e.isFile()) chmodSync(path, [0o644, 0o600, 0o755, 0o640][i % 4]!);
    else if (e.isDirectory()) chmodSync(path, [0o755, 0o750, 0o700][i % 3]!);
    const [uid, gid] = OWNERS[i % OWNERS.length]!;
    if (asRoot) lchownSync(path, uid, gid);
    const seconds = 1_000_000_000 + ((i * 97_000_000) % 900_000_000);
    lutimesSync(path, seconds, seconds);
  });
  return dir;
}

/** A tar of `dir` made by real tar, entries sorted, metadata (modes, owners, times, symlinks) kept. */
function tarOf(dir: string, out: string): string {
  execFileSync('tar', ['--sort=name', '-C', dir, '-cf', out, '.'], { stdio: 'pipe' });
  return out;
}

for (const name of EXAMPLES) {
  test(`examples/${name}: imported in the browser and given its files, the same bytes as the CLI @cross-host`, async ({ page }) => {
    test.setTimeout(SLOW.has(name) ? 900_000 : 300_000);
    const dir = exampleCopy(name);
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.importRepartDir(readdirSync(dir).filter((f) => f.endsWith('.conf')).sort().map((f) => join(dir, f)));

    // Every file the layout names, from the example's folder (paths are relative to it).
    for (const path of await editor.inputPaths()) await editor.chooseInput(path, join(dir, path));
    // Every CopyFiles= source (absolute: CopySource=. puts them in the example's folder), as a tar.
    const rows = await editor.partitionRows.count();
    for (let i = 0; i < rows; i++) {
      await editor.selectRow(i);
      for (const source of await editor.missingContentSources()) {
        const archive = tarOf(join(dir, source), join(work, `${name}-${source.replace(/[^A-Za-z0-9]+/g, '_')}.tar`));
        await editor.chooseContentsArchive(source, archive);
      }
    }
    await editor.setSourceDateEpoch(EPOCH);
    const signs = await editor.setVeritySigning(key, cert);
    await editor.waitForSaved();
    await expect(editor.buildStatus).toContainText('Ready');

    const browserSha = await editor.buildSha256(SLOW.has(name) ? 780_000 : 240_000);
    const cliSha = cliSha256([dir, ...(signs ? ['--private-key', key, '--certificate', cert] : [])], join(work, `${name}.img`));
    expect(cliSha, `${name}: browser ${browserSha}, CLI ${cliSha}`).toBe(browserSha);
  });
}

for (const id of PRESETS_WITH_FILES) {
  test(`preset ${id}: the browser and the CLI build the same bytes from its exported layout @cross-host`, async ({ page }) => {
    test.setTimeout(300_000);
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.loadPreset(id);
    await editor.waitForSaved();
    await editor.setSourceDateEpoch(EPOCH);
    const browserSha = await editor.buildSha256(240_000);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const dir = mkdtempSync(join(work, `preset-${id}-`));
    // The preset's files (blobs, content folders) beside the layout, as the app has them staged.
    cpSync(join(ROOT, 'examples', id), dir, { recursive: true });
    const layout = join(dir, 'layout.json');
    writeFileSync(layout, readFileSync(await download.path()));
    const cliSha = cliSha256([layout], join(dir, 'cli.img'));
    expect(cliSha, `${id}: browser ${browserSha}, CLI ${cliSha}`).toBe(browserSha);
  });
}
