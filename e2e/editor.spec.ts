import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const MiB = 1024 * 1024;
const ESP_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    partitions: { node: string; start: number; size: number; type: string; name?: string }[];
  };
}

test('compose from a preset, edit a size, and the map and plan follow', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();

  await editor.loadPreset('mbr-disk');
  await expect(editor.partitionRows).toHaveCount(5);
  await expect.poll(() => editor.rowLabels()).toEqual(['FIRMWARE', 'NIXOS_SD', 'data3', 'data4', 'data5']);
  await expect(editor.diskSummary).toContainText('MBR · 512 B sectors · 2 GiB');
  // The preset opened as a new layout: the one that was open is kept.
  await expect(editor.layoutSelect).toHaveValue('mbr-disk');

  // FIRMWARE: 30 MiB at the 8 MiB first-partition offset, drawn to scale with its exact bytes.
  const firmware = editor.mapRegion('FIRMWARE');
  await expect(firmware).toHaveAttribute('data-offset', String(8 * MiB));
  await expect(firmware).toHaveAttribute('data-size', String(30 * MiB));
  await firmware.hover();
  await expect(editor.mapInfo).toContainText('start 8 388 608 B LBA 16384');

  await editor.selectRow(0);
  await editor.setField('Minimum size', '48M');
  await editor.setField('Maximum size', '48M');
  await expect(firmware).toHaveAttribute('data-size', String(48 * MiB));
  await expect(editor.row(0)).toContainText('48 MiB');
  await expect(editor.inspector.getByTestId('planned')).toContainText('size 50 331 648 B');

  // A size the engine refuses shows its message next to the field and blocks the build.
  await editor.setField('Maximum size', '16M');
  await expect(editor.inspector).toContainText('SizeMinBytes= larger than SizeMaxBytes=');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('SizeMinBytes= larger than SizeMaxBytes=');
  // Text the field cannot parse is refused on the spot.
  await editor.setField('Maximum size', '12Q');
  await expect(editor.inspector).toContainText('Failed to parse size value');
});

test('build, download the raw image and check it with sfdisk', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('gpt-disk');
  await expect(editor.partitionRows).toHaveCount(4);

  // Shrink the example so the download stays small: ESP 32M, root ≥ 64M, swap 16M, auto size.
  await editor.selectRow(0);
  await editor.setField('Minimum size', '32M');
  await editor.setField('Maximum size', '32M');
  await editor.selectRow(1);
  await editor.setField('Minimum size', '64M');
  await editor.selectRow(2);
  await editor.setField('Minimum size', '16M');
  await editor.setField('Maximum size', '16M');
  await editor.setDiskSize('auto');
  await expect(editor.diskSummary).toContainText('(auto)');

  // The whole-image SHA-256 is off by default (time ∝ image size); ask for it.
  await expect(editor.sha256).not.toBeChecked();
  await editor.sha256.check();
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const shown = (await editor.buildResult.locator('.line .hash').getAttribute('title')) ?? '';
  // Per-partition data hashes (bmap) come with every build.
  await expect(editor.buildResult.getByTestId('partition-digest').first()).toHaveText(/^[0-9a-f]{16}$/);
  expect(shown).toMatch(/^[0-9a-f]{64}$/);
  await expect(editor.buildResult.locator('tbody tr')).toHaveCount(4);

  const [download] = await Promise.all([page.waitForEvent('download'), editor.buildResult.getByRole('button', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.img$/);
  const path = await download.path();
  const table = (JSON.parse(execFileSync('sfdisk', ['--json', path], { encoding: 'utf8' })) as SfdiskJson).partitiontable;
  expect(table.label).toBe('gpt');
  expect(table.partitions.map((p) => p.name)).toEqual(['ESP', 'nixos', 'swap', 'home']);
  expect(table.partitions[0]).toMatchObject({ start: 2048, size: (32 * MiB) / 512, type: ESP_GUID });
  expect(table.partitions[2]).toMatchObject({ size: (16 * MiB) / 512 });

  // The bytes downloaded are the bytes hashed in the worker.
  const bytes = readFileSync(path);
  expect(bytes.length).toBe(statSync(path).size);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(shown);
});

test('cancel a running build, then build again', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('mbr-disk');
  await expect(editor.partitionRows).toHaveCount(5);

  // Hashing 2 GiB takes seconds: long enough to cancel.
  await editor.sha256.check();
  await editor.build();
  await expect(editor.buildProgress).toContainText('SHA-256', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor.buildProgress).toBeHidden();
  await expect(editor.buildStatus).toContainText('Build cancelled');

  await editor.sha256.uncheck();
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  await expect(editor.buildResult).toContainText('2 GiB');
  await expect(editor.buildResult.locator('tbody tr')).toHaveCount(5);
});

test('a build that cannot run says why', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(0);
  // A file system the engine does not make (an imported layout): Build says why before it runs.
  await editor.importInput.setInputFiles([{ name: 'xfs.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ table: 'gpt', partitions: [{ type: 'root', format: 'xfs', sizeMinBytes: 64 * MiB }] })) }]);
  await expect(editor.partitionRows).toHaveCount(1);
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('Format=xfs: Partwright makes vfat, ext4');
});

test('reload restores the layout exactly', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('hybrid-mbr');
  await expect(editor.partitionRows).toHaveCount(2);
  await editor.selectRow(1);
  await editor.setField('Label', 'rootfs-b');
  await editor.setField('Weight', '250');
  await editor.setDiskSize('3G');
  await expect(editor.diskSummary).toContainText('3 GiB');
  await editor.waitForSaved();
  const before = ['ESP', 'rootfs-b'];
  await expect.poll(() => editor.rowLabels()).toEqual(before);

  await page.reload();
  await editor.waitForReady();
  await expect.poll(() => editor.rowLabels()).toEqual(before);
  await expect(editor.diskSummary).toContainText('HYBRID · 512 B sectors · 3 GiB');
  await editor.selectRow(1);
  await expect(editor.field('Label')).toHaveValue('rootfs-b');
  await expect(editor.field('Weight')).toHaveValue('250');
});

test('the partition list works from the keyboard', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('gpt-disk');
  await expect.poll(() => editor.rowTypes()).toEqual(['esp', 'root', 'swap', 'home']);

  await editor.row(0).focus();
  await page.keyboard.press('ArrowDown');
  await expect(editor.row(1)).toHaveAttribute('aria-selected', 'true');
  await expect(editor.row(1)).toBeFocused();
  await expect(editor.inspector).toContainText('nixos');

  // Alt+↓ moves root below swap; the selection and focus follow it.
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => editor.rowTypes()).toEqual(['esp', 'swap', 'root', 'home']);
  await expect(editor.row(2)).toHaveAttribute('aria-selected', 'true');
  await expect(editor.row(2)).toBeFocused();

  await page.keyboard.press('End');
  await expect(editor.row(3)).toBeFocused();
  await page.keyboard.press('Delete');
  await expect.poll(() => editor.rowTypes()).toEqual(['esp', 'swap', 'root']);
  await expect(editor.undoToast).toContainText('Removed partition home');
  await page.keyboard.press('Control+z');
  await expect.poll(() => editor.rowTypes()).toEqual(['esp', 'swap', 'root', 'home']);

  // The map order follows the list: root now sits after swap on the disk.
  const mapLabels = () =>
    editor.mapRegions.evaluateAll((els) => els.filter((e) => e.getAttribute('data-kind') === 'partition').map((e) => e.getAttribute('data-label')));
  await expect.poll(mapLabels).toEqual(['ESP', 'swap', 'nixos', 'home']);
});

test('the last image says when the layout on screen is no longer the one it was built from', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('gpt-disk');
  await editor.selectRow(0);
  await editor.setField('Minimum size', '32M');
  await editor.setField('Maximum size', '32M');
  await editor.selectRow(1);
  await editor.setField('Minimum size', '64M');
  await editor.setDiskSize('auto');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const stale = editor.buildResult.getByTestId('stale-result');
  await expect(stale).toBeHidden();

  // An edit: the image is still there to download, and says it predates the edit.
  await editor.selectRow(1);
  await editor.setField('Minimum size', '65M');
  await expect(stale).toHaveText('This image was built before your latest changes to the layout; Build again to include them.');
  await expect(editor.buildResult.getByRole('button', { name: 'Download' })).toBeEnabled();
  // Back to what was built: nothing to say.
  await editor.setField('Minimum size', '64M');
  await expect(stale).toBeHidden();

  // Another layout opened: the image names the layout it came from.
  await editor.loadPreset('mbr-disk');
  await expect(stale).toContainText('This image was built from the layout “');
  await expect(stale).toContainText('not the one open now');
});
