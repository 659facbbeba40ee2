/**
 * StorePaths= in the app with real Nix offline (Debian nix-bin, busybox derivations): a closure
 * copied to a signed zstd file cache, served beside the app on the same origin (so the CSP's
 * connect-src 'self' covers it), fetched and verified in the build worker, laid into an ext4 root;
 * then read back with debugfs and checked by real `nix-store --load-db` / `--verify --check-contents`.
 * The second case builds a path no cache has on the job server (server/nix/) and builds with it.
 *
 * Each test starts its own app server (startStaticServer with a `before` handler) on the built app
 * in dist/web, which Playwright's webServer has just built.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNixJobHandler, NixJobService } from '../server/nix/index.ts';
import { startStaticServer, type RunningServer } from '../server/static.ts';
import { makeNixEnv, writeTestExpression, type NixEnv } from '../workers/nix/test-support/nix-env.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const distWeb = fileURLToPath(new URL('../dist/web/', import.meta.url));
const TOKEN = 'e2e-token-0123456789abcdef';

interface SfdiskJson {
  partitiontable: { partitions: { start: number; size: number }[] };
}

function extractPartition(image: string, index: number): string {
  const table = (JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as SfdiskJson).partitiontable;
  const p = table.partitions[index]!;
  const out = `${image}.p${index + 1}`;
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
  return out;
}

/** Serves a file binary cache under /nix/cache/ (what the job server's handler does for its own). */
function cacheHandler(cacheDir: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith('/nix/cache/')) return false;
    const file = normalize(join(cacheDir, path.slice('/nix/cache/'.length)));
    if (!file.startsWith(cacheDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
    return true;
  };
}

/** The ext4 root (partition 2) of the downloaded image, extracted and checked by real Nix. */
function checkClosureInImage(env: NixEnv, imagePath: string, app: string): void {
  const rootFs = extractPartition(imagePath, 1);
  expect(spawnSync('e2fsck', ['-fn', rootFs]).status).toBe(0);
  const x = `${rootFs}.extract`;
  mkdirSync(x);
  execFileSync('debugfs', ['-R', `rdump / ${x}`, rootFs], { stdio: 'pipe' });
  const registration = readFileSync(join(x, 'nix-path-registration'), 'utf8');
  expect(registration).toContain(`${app}\n`);
  const nixStore = (args: string[], input?: string) => spawnSync('nix-store', args, { env: env.env, encoding: 'utf8', input });
  const load = nixStore(['--store', x, '--load-db'], registration);
  expect(load.status, load.stderr).toBe(0);
  const verify = nixStore(['--store', x, '--verify', '--check-contents']);
  expect(verify.status, verify.stderr).toBe(0);
  expect(verify.stderr).not.toMatch(/modified|error|warning/i);
  const valid = nixStore(['--store', x, '--check-validity', app]);
  expect(valid.status, valid.stderr).toBe(0);
}

async function ext4RootWithStorePath(editor: EditorPage, storePath: string): Promise<void> {
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(1);
  await editor.setField('File system', 'ext4');
  await editor.setField('Label', 'root');
  await editor.inspector.getByText(/^All repart settings/).click();
  await editor.setField('Nix store paths', storePath);
}

async function setCaches(editor: EditorPage, substituters: string, keys: string): Promise<void> {
  const panel = editor.page.getByTestId('nix-panel');
  if ((await panel.locator('details').getAttribute('open')) === null) await panel.locator('summary').click();
  await panel.getByTestId('nix-substituters').fill(substituters);
  await panel.getByTestId('nix-keys').fill(keys);
  await panel.getByTestId('nix-save').click();
}

test('a StorePaths= closure from a signed zstd cache is built into an ext4 root that real Nix verifies', async ({ page }) => {
  test.setTimeout(240_000);
  const env = makeNixEnv('partwright-e2e-1');
  let app: RunningServer | undefined;
  try {
    const file = writeTestExpression(env.dir);
    const appPath = env.build(file, 'app');
    const cacheDir = join(env.dir, 'cache');
    env.copyToCache([appPath], cacheDir, 'zstd');
    app = await startStaticServer({ rootDir: distWeb, port: 0, before: cacheHandler(cacheDir) });
    const origin = app.url.replace(/\/$/, '');

    const editor = new EditorPage(page);
    await editor.goto(app.url);
    await ext4RootWithStorePath(editor, appPath);
    // No job server here: the default is cache.nixos.org alone; point it at this origin's cache.
    await expect(page.getByTestId('nix-substituters')).toHaveValue('https://cache.nixos.org');

    // A key that did not sign the cache: nothing is built, and the message names the path and key.
    await setCaches(editor, `${origin}/nix/cache`, `other-1:${Buffer.alloc(32, 7).toString('base64')}`);
    await editor.build();
    await expect(page.getByTestId('nix-missing')).toContainText(appPath);
    await expect(page.getByTestId('nix-missing')).toContainText('partwright-e2e-1');
    await expect(editor.buildResult).toHaveCount(0);

    await setCaches(editor, `${origin}/nix/cache`, env.publicKey);
    await editor.build();
    await expect(editor.buildResult).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('nix-missing')).toHaveCount(0);
    checkClosureInImage(env, await (await editor.download('raw')).path(), appPath);
  } finally {
    await app?.close();
    env.cleanup();
  }
});

test('a store path in no cache is built on the job server, then fetched from its cache into the image', async ({ page }) => {
  test.setTimeout(240_000);
  const env = makeNixEnv('partwright-e2e-server-1');
  let app: RunningServer | undefined;
  let service: NixJobService | undefined;
  try {
    const nonce = `${Date.now()}`;
    const file = writeTestExpression(env.dir, `served = mk "pw-served" "/bin/busybox mkdir -p $out/bin; echo served-${nonce} > $out/bin/served; /bin/busybox ln -s \${lib} $out/lib"; slow = mk "pw-slow-${nonce}" "/bin/busybox sleep 60; echo > $out";`);
    // The out path without building it (evaluation only).
    const storePath = env.nix(['eval', '--raw', '--store', env.storeRoot, '-f', file, 'served.outPath']).trim();
    expect(storePath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-pw-served$/);
    const serverDir = join(env.dir, 'server');
    mkdirSync(serverDir);
    service = new NixJobService({
      installables: { served: { file, attr: 'served' }, single: { file, attr: 'single' }, slow: { file, attr: 'slow' } },
      databaseFile: join(serverDir, 'jobs.sqlite'),
      cacheDir: join(serverDir, 'cache'),
      secretKeyFile: env.secretKeyFile,
      submitToken: TOKEN,
      store: env.storeRoot,
      nixEnv: { NIX_CONF_DIR: env.confDir, HOME: env.dir },
      maxConcurrent: 1,
      maxQueued: 4,
      buildTimeoutSeconds: 120,
    });
    service.start();
    app = await startStaticServer({ rootDir: distWeb, port: 0, before: createNixJobHandler({ service }) });
    const origin = app.url.replace(/\/$/, '');

    const editor = new EditorPage(page);
    await editor.goto(app.url);
    await ext4RootWithStorePath(editor, storePath);
    // With a job server beside the app, its cache and key come first by default.
    await expect(page.getByTestId('nix-substituters')).toHaveValue(`${origin}/nix/cache\nhttps://cache.nixos.org`);
    await expect(page.getByTestId('nix-keys')).toHaveValue(`${env.publicKey}\ncache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=`);
    // This machine is offline: keep only the server's cache.
    await setCaches(editor, `${origin}/nix/cache`, env.publicKey);

    await editor.build();
    const missing = page.getByTestId('nix-missing');
    await expect(missing).toContainText(storePath);
    await expect(editor.buildResult).toHaveCount(0);
    await missing.getByRole('button', { name: 'Build on server' }).click();
    const form = page.getByTestId('nix-server-build');
    await form.getByTestId('nix-token').fill(TOKEN);
    // A job cancelled while it runs: the panel shows it cancelled and nothing is built.
    await form.getByTestId('nix-installable').selectOption('slow');
    await form.getByRole('button', { name: 'Build on server' }).click();
    await expect(page.getByTestId('nix-job-state')).toContainText(/slow (queued|running)/);
    await page.getByTestId('nix-cancel-job').click();
    await expect(page.getByTestId('nix-job-state')).toContainText('slow cancelled', { timeout: 30_000 });
    await expect(page.getByTestId('nix-cancel-job')).toHaveCount(0);
    await expect(page.getByTestId('nix-panel').getByRole('alert')).toContainText('cancelled');
    await expect(editor.buildResult).toHaveCount(0);
    await form.getByTestId('nix-installable').selectOption('served');
    await form.getByRole('button', { name: 'Build on server' }).click();
    await expect(page.getByTestId('nix-job-state')).toContainText('succeeded', { timeout: 120_000 });
    // The build then starts by itself with the server's result.
    await expect(editor.buildResult).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('nix-missing')).toHaveCount(0);
    const token = await page.evaluate(() => sessionStorage.getItem('partwright-nix-token'));
    expect(token).toBe(TOKEN);
    checkClosureInImage(env, await (await editor.download('raw')).path(), storePath);
  } finally {
    await app?.close();
    await service?.close();
    env.cleanup();
  }
});
