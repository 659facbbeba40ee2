import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const swPath = fileURLToPath(new URL('../dist/web/sw.js', import.meta.url));

test('after one visit the app loads and builds with the network off', async ({ page, context }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  // The service worker has precached the whole build (app, engine worker, preset files).
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 30_000 });
  const manifest = await page.evaluate(async () => (await fetch('/manifest.webmanifest')).json() as Promise<{ icons: { sizes: string }[] }>);
  expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

  await context.setOffline(true);
  await page.reload();
  await editor.waitForReady();
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  // An ext4 root needs mke2fs.wasm: precached too.
  await editor.selectRow(1);
  await editor.setField('File system', 'ext4');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const image = await (await editor.download('raw')).path();
  const table = JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: { partitions: { name?: string; start: number }[] } };
  expect(table.partitiontable.partitions.map((p) => p.name)).toEqual(['ESP', 'root-x86-64']);
  expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', '--offset', String(table.partitiontable.partitions[1]!.start * 512), image], { encoding: 'utf8' }).trim()).toBe('ext4');
});

test('a new version of the app is offered, and taken only when the user asks', async ({ page, context }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 30_000 });
  // The second visit is the one the service worker controls.
  await page.reload();
  await editor.waitForReady();

  // A deploy: the service worker script changes. The build the server serves gets a comment added
  // (functionally the same worker, so tests running beside this one are unaffected), then restored.
  const original = readFileSync(swPath, 'utf8');
  try {
    writeFileSync(swPath, `${original}\n// next version\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  } finally {
    writeFileSync(swPath, original);
  }
  const prompt = page.getByTestId('update-prompt');
  await expect(prompt).toContainText('A new version of Partwright is available', { timeout: 30_000 });
  // Nothing happens behind the user's back: the new worker waits until the user says Reload.
  const waiting = () => page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting);
  expect(await waiting()).toBe(true);
  await expect(editor.partitionRows).toHaveCount(4);
  await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
  await editor.waitForReady();
  await expect(prompt).toBeHidden();
  expect(await waiting()).toBe(false);
});
