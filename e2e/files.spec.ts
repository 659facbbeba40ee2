import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const confPaths = (name: string) =>
  readdirSync(`${examples}${name}`)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => `${examples}${name}/${f}`);

test('import repart.d files, export them as a zip and import that again', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();

  await editor.importInput.setInputFiles(confPaths('hybrid-mbr'));
  await expect(editor.notice).toContainText('Imported 2 .conf files as “imported”');
  await expect(editor.partitionRows).toHaveCount(2);
  await expect.poll(() => editor.rowLabels()).toEqual(['ESP', 'root']);
  await expect(editor.diskSummary).toContainText('HYBRID');
  // An import opens as a new layout: the one that was open is kept.
  await expect(editor.layoutSelect).toHaveValue('imported');
  await expect(editor.layoutSelect.locator('option')).toHaveText(['imported', 'layout']);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .conf' }).click()]);
  expect(download.suggestedFilename()).toBe('imported-repart.d.zip');
  const zipPath = await download.path();
  // Python's zipfile is the oracle for the archive.
  const read = 'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps({n: z.read(n).decode() for n in z.namelist()}))';
  const files = JSON.parse(execFileSync('python3', ['-c', read, zipPath], { encoding: 'utf8' })) as Record<string, string>;
  expect(Object.keys(files)).toEqual(['repart.d/10-esp.conf', 'repart.d/20-root.conf']);
  expect(files['repart.d/10-esp.conf']).toContain('Type=esp');
  expect(files['repart.d/10-esp.conf']).toContain('HybridMBR=yes');
  expect(files['repart.d/20-root.conf']).toContain('Type=root-arm64');

  // Start over, then import the exported files: the same layout comes back.
  await editor.loadPreset('gpt-disk');
  await expect(editor.partitionRows).toHaveCount(4);
  await editor.importInput.setInputFiles(
    Object.entries(files).map(([name, text]) => ({ name: name.split('/')[1]!, mimeType: 'text/plain', buffer: Buffer.from(text) })),
  );
  await expect(editor.partitionRows).toHaveCount(2);
  await expect.poll(() => editor.rowLabels()).toEqual(['ESP', 'root']);
});

test('a .conf file with errors is refused with its line, and nothing changes', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.importInput.setInputFiles([
    { name: '10-bad.conf', mimeType: 'text/plain', buffer: Buffer.from('[Partition]\nType=esp\nSizeMinBytes=12Q\n') },
  ]);
  await expect(editor.notice).toContainText('Not imported');
  await expect(editor.notice).toContainText('10-bad.conf:3: Failed to parse size value: 12Q');
  await expect(editor.partitionRows).toHaveCount(4);
  await expect(editor.undoToast).toBeHidden();
});

test('export and import layout JSON', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('mbr-disk');
  await expect(editor.partitionRows).toHaveCount(5);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const text = readFileSync(await download.path(), 'utf8');
  const json = JSON.parse(text) as { table: string; partitions: { label?: string }[]; mbr?: { diskId?: number } };
  expect(json.table).toBe('mbr');
  expect(json.mbr?.diskId).toBe(0x2178694e);
  expect(json.partitions.map((p) => p.label)).toEqual(['FIRMWARE', 'NIXOS_SD', 'data3', 'data4', 'data5']);

  await editor.loadPreset('gpt-disk');
  await expect(editor.partitionRows).toHaveCount(4);
  await editor.importInput.setInputFiles([{ name: 'sd.json', mimeType: 'application/json', buffer: Buffer.from(text) }]);
  await expect(editor.partitionRows).toHaveCount(5);
  await expect(editor.diskSummary).toContainText('MBR · 512 B sectors · 2 GiB');
});

test('several named layouts: new, rename, switch, and reload keeps them', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await expect(editor.layoutSelect).toHaveValue('layout');

  await page.getByRole('button', { name: 'Rename' }).click();
  const name = page.getByLabel('Layout name');
  await name.fill('laptop');
  await name.press('Enter');
  await expect(editor.layoutSelect).toHaveValue('laptop');

  // New… offers the start screen; an empty layout shows it in place of the editor.
  await page.getByRole('button', { name: 'New…' }).click();
  await page.getByRole('dialog').getByTestId('start-blank').click();
  await expect(editor.layoutSelect).toHaveValue('layout');
  await expect(editor.partitionRows).toHaveCount(0);
  await expect(editor.startScreen).toBeVisible();
  await editor.startScreen.getByTestId('start-blank').click();
  await expect(editor.partitionRows).toHaveCount(1);
  await editor.waitForSaved();

  await editor.layoutSelect.selectOption('laptop');
  await expect(editor.partitionRows).toHaveCount(4);
  await editor.waitForSaved();
  await page.reload();
  await editor.waitForReady();
  await expect(editor.layoutSelect).toHaveValue('laptop');
  await expect(editor.partitionRows).toHaveCount(4);
  await editor.layoutSelect.selectOption('layout');
  await expect(editor.partitionRows).toHaveCount(1);
});
