/**
 * Issue 14, as a new user met it: each test is the repro (it failed before the fix) and then
 * what the app does now.
 */
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';
import { FILE_SYSTEMS } from '../workers/model/registry.ts';

const MiB = 1024 * 1024;

test('1. undo and redo walk the history one edit at a time; a toast undoes only its own action', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('mbr-disk');
  await expect.poll(() => editor.rowLabels()).toEqual(['FIRMWARE', 'NIXOS_SD', 'data3', 'data4', 'data5']);

  await editor.selectRow(0);
  await editor.setField('Minimum size', '40M');
  await editor.setField('Maximum size', '40M');
  await editor.setField('Label', 'BOOT');
  await expect(editor.mapRegion('BOOT')).toHaveAttribute('data-size', String(40 * MiB));

  // Ctrl+Z (outside a text field) undoes the last edit only: the label, and the sizes stay.
  await editor.row(0).focus();
  await page.keyboard.press('Control+z');
  await expect.poll(() => editor.rowLabels()).toEqual(['FIRMWARE', 'NIXOS_SD', 'data3', 'data4', 'data5']);
  await expect(editor.mapRegion('FIRMWARE')).toHaveAttribute('data-size', String(40 * MiB));
  await expect(page.getByTestId('undo')).toHaveAttribute('title', /Undo: Partition 1 \(FIRMWARE\) › Maximum size/);
  // Then the maximum, then the minimum: back to the preset's 30 MiB.
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await expect(editor.mapRegion('FIRMWARE')).toHaveAttribute('data-size', String(30 * MiB));
  // Redo brings them back, in order.
  await page.keyboard.press('Control+Shift+z');
  await page.getByTestId('redo').click();
  await expect(editor.mapRegion('FIRMWARE')).toHaveAttribute('data-size', String(40 * MiB));
  await page.getByTestId('redo').click();
  await expect.poll(() => editor.rowLabels()).toEqual(['BOOT', 'NIXOS_SD', 'data3', 'data4', 'data5']);
  await expect(page.getByTestId('redo')).toBeDisabled();

  // A move is a step of its own.
  await editor.row(1).click();
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => editor.rowLabels()).toEqual(['BOOT', 'data3', 'NIXOS_SD', 'data4', 'data5']);
  await page.getByTestId('undo').click();
  await expect.poll(() => editor.rowLabels()).toEqual(['BOOT', 'NIXOS_SD', 'data3', 'data4', 'data5']);

  // Remove data5: the toast offers Undo; its Undo restores data5 and keeps everything else.
  await editor.selectRow(4);
  await page.keyboard.press('Delete');
  await expect(editor.undoToast).toContainText('Removed partition data5');
  await editor.undoToast.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => editor.rowLabels()).toEqual(['BOOT', 'NIXOS_SD', 'data3', 'data4', 'data5']);
  await expect(editor.mapRegion('BOOT')).toHaveAttribute('data-size', String(40 * MiB));
  // After another edit the toast is gone: its Undo could no longer undo only its own action.
  await editor.selectRow(3);
  await page.keyboard.press('Delete');
  await expect(editor.undoToast).toContainText('Removed partition data4');
  await editor.selectRow(0);
  await editor.setField('Label', 'FW');
  await expect(editor.undoToast).toBeHidden();
});

test('2. the presets are reached by keyboard and arrow keys load nothing', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await expect(editor.partitionRows).toHaveCount(4);
  await editor.preset.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  // Nothing was loaded: no "replaced" toast, nothing to undo (the first preset has 4 rows too).
  await expect(editor.undoToast).toBeHidden();
  await expect(editor.partitionRows).toHaveCount(4);
  await expect(editor.startScreen).toBeHidden();

  // Enter opens the cards; Tab reaches every one of them, Enter opens it as a new layout.
  await page.keyboard.press('Enter');
  await expect(editor.startScreen).toBeVisible();
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const preset = await page.evaluate(() => document.activeElement?.getAttribute('data-preset'));
    if (preset) seen.add(preset);
    if (preset === 'example:iso-hybrid') break;
  }
  for (const id of ['example:gpt-disk', 'example:mbr-disk', 'example:hybrid-mbr', 'example:blobs-at-offsets', 'example:esp-vfat', 'example:iso-hybrid', 'nixos:sd-card', 'nixos:installer-iso']) {
    expect(seen, id).toContain(id);
  }
  await page.keyboard.press('Enter');
  await expect(editor.startScreen).toBeHidden();
  await expect(editor.mapRegion('EFIBOOT')).toBeVisible();
  // The layout that was open is still there, under its own name.
  await expect(editor.layoutSelect.locator('option')).toHaveCount(2);
});

test('3. a confirmed edit survives an immediate reload; unconfirmed bad text is not called saved', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(1);
  await editor.setField('Label', 'rootfs-new');
  await page.reload();
  await editor.waitForReady();
  await expect.poll(() => editor.rowLabels()).toEqual(['ESP', 'rootfs-new', 'swap', 'home']);

  await editor.selectRow(1);
  await editor.field('Minimum size').fill('12Q');
  await expect(editor.saveStatus).toHaveText('1 field not saved');
  await page.keyboard.press('Escape');
  await expect(editor.saveStatus).toHaveText('saved');
});

test('4. the File system field offers what the engine makes, and refuses the rest at the field', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(1);
  const fs = editor.field('File system');
  const options = await fs.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
  expect(options).toEqual(['', ...FILE_SYSTEMS.map((f) => f.name)]);
  expect(options).not.toContain('xfs');

  // A layout that names another file system (imported) says so at the field, and Build says why.
  await editor.importInput.setInputFiles([{ name: 'banana.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ table: 'gpt', partitions: [{ type: 'linux-generic', format: 'banana', sizeMinBytes: 16 * MiB }] })) }]);
  await expect(editor.partitionRows).toHaveCount(1);
  await editor.selectRow(0);
  await expect(editor.inspector.getByTestId('field-messages')).toContainText('Format=banana: Partwright makes vfat, ext4');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('Format=banana');
  await editor.field('File system').selectOption('ext4');
  await expect(editor.buildButton).toBeEnabled();
});

test('5. a FAT label the volume cannot hold is said at the field', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(0);
  await editor.field('File system').selectOption('vfat');
  await editor.setField('Label', 'FIRMWARE PARTITION');
  const messages = editor.inspector.getByTestId('field-messages');
  await expect(messages).toContainText('the volume will be labelled “FIRMWARE PA” while the partition name stays “FIRMWARE PARTITION”');
  await editor.setField('Label', 'BÖÖT');
  await expect(messages).toContainText('non-ASCII characters become “_” (“B__T”)');
  // A warning, not an error: it still builds.
  await expect(editor.buildButton).toBeEnabled();
});

test('6. text a field cannot use blocks the build and is kept when the selection moves', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(1);
  await editor.setField('Minimum size', '-5M');
  await expect(editor.inspector.getByTestId('field-messages')).toContainText('-5M');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('Partition 2 (nixos) › Minimum size');

  await editor.selectRow(2);
  await editor.selectRow(1);
  await expect(editor.field('Minimum size')).toHaveValue('-5M');
  await expect(editor.buildButton).toBeDisabled();
  await editor.setField('Minimum size', '600M');
  await expect(editor.buildButton).toBeEnabled();
});

test('7. errors appear at the field just edited, in the table type’s words', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.selectRow(1);
  await editor.setDiskSize('4G');
  await editor.setField('Minimum size', '100G');
  const fieldMessages = editor.field('Minimum size').locator('xpath=ancestor::div[contains(@class,"field")]').getByTestId('field-messages');
  await expect(fieldMessages).toContainText("Can't fit requested partitions");
  await expect(fieldMessages).toContainText(/Lower this value, or raise Disk size to at least 101\.03 GiB \(108 476 256 256 B\)/);

  await editor.loadPreset('mbr-disk');
  await editor.selectRow(1);
  await editor.setField('Label', 'x'.repeat(61));
  const labelMessages = editor.inspector.getByTestId('field-messages');
  await expect(labelMessages).toContainText('an MBR table stores no partition names');
  await expect(labelMessages).not.toContainText('GPT');
});

test('8. the SD card preset is for arm64, and Architecture is in sight', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('mbr-disk');
  const arch = page.getByLabel('Architecture', { exact: true });
  await expect(arch).toBeVisible();
  await expect(arch).toHaveValue('arm64');
});

test('9. no stale notices, the toast covers nothing, and 390 px fits', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.importInput.setInputFiles([{ name: 'one.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ table: 'gpt', partitions: [{ type: 'esp', sizeMinBytes: 32 * MiB }] })) }]);
  await expect(editor.notice).toContainText('Imported one.json');
  await page.getByRole('button', { name: 'New…' }).click();
  await page.getByRole('dialog').getByTestId('start-blank').click();
  await expect(editor.startScreen).toBeVisible();
  await expect(editor.notice).toBeHidden();

  await editor.loadPreset('gpt-disk');
  await editor.selectRow(3);
  await page.keyboard.press('Delete');
  await expect(editor.undoToast).toBeVisible();
  const overlap = async () => {
    const a = await editor.undoToast.boundingBox();
    const b = await editor.buildButton.boundingBox();
    return !!a && !!b && a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  };
  for (const [width, height] of [[1366, 768], [390, 844]] as const) {
    await page.setViewportSize({ width, height });
    await editor.buildButton.scrollIntoViewIfNeeded();
    expect(await overlap(), `toast over Build at ${width} px`).toBe(false);
  }

  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const cut = await editor.diskSummary.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
  expect(cut, 'the disk summary is cut').toBe(false);
});

test('10. a first run shows what to do: preset cards with the files they need, and the steps', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady(false);
  await expect(editor.startScreen).toBeVisible();
  await expect(editor.partitionRows).toHaveCount(0);
  const steps = page.getByTestId('step-strip');
  await expect(steps.locator('[aria-current="step"]')).toHaveAttribute('data-step', 'layout');

  // The NixOS kinds list their inputs from the engine's preset definitions.
  const sd = editor.presetCard('nixos:sd-card').locator('xpath=..');
  await expect(sd).toContainText('/firmware/');
  await expect(sd).toContainText('/rootfs/');
  await expect(editor.presetCard('example:blobs-at-offsets').locator('xpath=..')).toContainText('blobs/');

  await editor.presetCard('nixos:sd-card').click();
  await expect(editor.partitionRows).toHaveCount(2);
  // Its contents are not staged yet: the strip says so.
  await expect(steps.locator('[aria-current="step"]')).toHaveAttribute('data-step', 'contents');
  await expect(steps).toContainText('/firmware');
});
