/**
 * The engine's presets in the app: a card opens the layout with a slot for every file the preset
 * needs (from the engine's preset definition, with what each is for), Build says which is missing,
 * a file can be dropped onto its slot, and a reload keeps the preset and its staged files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vmDisk, installerIso } from '../workers/model/presets/index.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';
import { fillPresetSlots } from './pages/preset-build.ts';

test('a preset shows its files as slots, Build waits for them, and a reload keeps them', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady(false);
  await editor.presetCard(`nixos:${vmDisk.name}`).click();
  await expect(editor.startScreen).toBeHidden();

  const slots = page.getByTestId('preset-slot');
  await expect(slots).toHaveCount(vmDisk.inputs.length);
  for (const input of vmDisk.inputs) {
    const slot = page.locator(`[data-testid="preset-slot"][data-path="${input.path}"]`);
    await expect(slot).toContainText(input.description);
    await expect(slot.getByTestId('slot-state')).toHaveText('missing');
  }
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('Choose the file /boot/vmlinuz first (Linux kernel (bzImage)): the vm-disk preset needs it.');

  // Dropped onto its slot (not imported as a layout, which a drop elsewhere does).
  const kernel = page.locator('[data-testid="preset-slot"][data-path="/boot/vmlinuz"]');
  const transfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(4096).fill(7)], 'vmlinuz-6.1'));
    return dt;
  });
  await kernel.dispatchEvent('dragover', { dataTransfer: transfer });
  await kernel.dispatchEvent('drop', { dataTransfer: transfer });
  await expect(kernel.getByTestId('slot-state')).toHaveText('vmlinuz-6.1 · 4 KiB');
  await expect(editor.notice).toBeHidden();
  await expect(editor.buildStatus).toContainText('Choose the file /boot/initrd first');

  const dir = mkdtempSync(join(tmpdir(), 'pw-presets-'));
  try {
    const files: Record<string, string> = {};
    for (const input of vmDisk.inputs.filter((i) => i.path !== '/boot/vmlinuz')) {
      const at = join(dir, input.path.replaceAll('/', '_'));
      if (input.kind === 'dir') {
        mkdirSync(at);
        writeFileSync(join(at, 'hostname'), 'vm\n');
      } else writeFileSync(at, new Uint8Array(512).fill(1));
      files[input.path] = at;
    }
    await fillPresetSlots(page, files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await expect(editor.buildButton).toBeEnabled();
  await editor.waitForSaved();

  await page.reload();
  await editor.waitForReady(false);
  await expect(slots).toHaveCount(vmDisk.inputs.length);
  await expect(kernel.getByTestId('slot-state')).toHaveText('vmlinuz-6.1 · 4 KiB');
  await expect(page.locator('[data-testid="preset-slot"][data-path="/rootfs"]').getByTestId('slot-state')).toHaveText(/^1 file/);
  await expect(editor.buildButton).toBeEnabled();

  // Removing a file blocks Build again, and stays removed after a reload.
  await kernel.getByRole('button', { name: 'Remove the file for /boot/vmlinuz' }).click();
  await expect(editor.buildButton).toBeDisabled();
  await page.reload();
  await editor.waitForReady(false);
  await expect(kernel.getByTestId('slot-state')).toHaveText('missing');
});

test('the ISO preset: its boot files are slots, its own loader files need nothing', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady(false);
  await editor.presetCard(`nixos:${installerIso.name}`).click();
  await expect(page.getByTestId('preset-slot')).toHaveCount(installerIso.inputs.length);
  // ISOHybridMBR= is the preset's slot, not listed twice.
  await expect(page.getByTestId('input-slot')).toHaveCount(0);
  // The ISO's contents: the kernel comes from its slot, isolinux.cfg from the preset itself.
  await editor.selectRow(0);
  await expect(editor.contentsEntries.filter({ hasText: '/boot/vmlinuz' })).toContainText('choose it in the Build panel');
  await expect(editor.contentsEntries.filter({ hasText: '/iso/isolinux.cfg' })).toContainText('from the installer-iso preset');
  // An example opened next is a plain layout: no preset slots.
  await editor.loadPreset('gpt-disk');
  await expect(page.getByTestId('preset-inputs')).toHaveCount(0);
});

test('the preset is part of the layout: a share link reopens it with its slots, undo of opening it takes it away', async ({ page, browser }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady(false);
  await editor.presetCard(`nixos:${vmDisk.name}`).click();
  await expect(editor.startScreen).toBeHidden();
  const slots = page.getByTestId('preset-slot');
  await expect(slots).toHaveCount(vmDisk.inputs.length);
  const url = await editor.copyShareLink();

  const other = await browser.newContext();
  try {
    const fresh = new EditorPage(await other.newPage());
    await fresh.goto(url.slice(url.indexOf('/#')));
    await fresh.shareDialog.getByRole('button', { name: 'Open shared layout' }).click();
    await expect(fresh.partitionRows).toHaveCount(vmDisk.spec.partitions.length);
    await expect(fresh.page.getByTestId('preset-slot')).toHaveCount(vmDisk.inputs.length);
    await expect(fresh.buildStatus).toContainText('the vm-disk preset needs it');
  } finally {
    await other.close();
  }

  // Opening the preset was one step: undoing it leaves the empty layout without the preset's slots.
  await expect(page.getByTestId('undo')).toHaveAttribute('title', /Undo: Started from/);
  await page.getByTestId('undo').click();
  await expect(editor.partitionRows).toHaveCount(0);
  await expect(page.getByTestId('preset-inputs')).toBeHidden();
  await expect(slots).toHaveCount(0);
});
