/**
 * Flashing from the app over WebUSB: the fastboot simulator (server/fastboot-sim/) stands in for a
 * board in `fastboot usb 0`, injected as `navigator.usb` before the page loads.
 */
import { readFileSync } from 'node:fs';
import { FastbootSimDevice } from '../server/fastboot-sim/device.ts';
import { installFastbootSim } from './support/fastboot-webusb.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';
import { FlashPanel } from './pages/flash-panel.ts';

const MiB = 1 << 20;
// Newest repart makes an ESP at least 260 MiB (FAT32 on 4 KiB sectors), so the esp-vfat image is ~325 MiB.
const SIM_DISK_BYTES = 512 * MiB;

/** Writes that touch only the partition-table areas: LBA 0 up to the first partition (1 MiB), and the backup GPT at the end. */
function inTableArea(w: { offsetBytes: number; sizeBytes: number }, imageBytes: number): boolean {
  return w.offsetBytes + w.sizeBytes <= MiB || w.offsetBytes >= imageBytes - MiB;
}

async function buildEspPreset(editor: EditorPage): Promise<void> {
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
}

test('flash a built image to a fastboot device: the device holds the image byte for byte, table written last', async ({ page }) => {
  const device = new FastbootSimDevice({ diskSizeBytes: SIM_DISK_BYTES, maxDownloadBytes: MiB, product: 'sim-board', serialNumber: 'PW0001' });
  await installFastbootSim(page, device);
  const editor = new EditorPage(page);
  await buildEspPreset(editor);

  const flash = new FlashPanel(page);
  await flash.open();
  await expect(flash.note).toContainText('cannot write SD cards in card readers or USB sticks');
  await flash.connect();
  await expect(flash.device).toContainText('sim-board');
  await expect(flash.device).toContainText('1 MiB');
  await expect(flash.partition).toHaveValue('mmc0');
  await expect(flash.device).toContainText('512 MiB');
  device.writes.length = 0;

  await flash.flash();
  await expect(flash.done).toBeVisible({ timeout: 60_000 });
  await expect(flash.done).toContainText('"mmc0"');
  // What fastboot can and cannot verify, said plainly.
  await expect(page.getByTestId('flash-verify-note')).toContainText('it has no command to read the written bytes back');
  await expect(flash.error).toHaveCount(0);

  const raw = readFileSync(await (await editor.download('raw')).path());
  expect(raw.length).toBeLessThanOrEqual(SIM_DISK_BYTES);
  const disk = Buffer.from(device.diskBytes());
  expect(disk.subarray(0, raw.length).equals(raw), 'the device holds the built image').toBe(true);
  expect(disk.subarray(raw.length).equals(Buffer.alloc(SIM_DISK_BYTES - raw.length)), 'nothing past the image').toBe(true);

  // The table areas are cleared first and written last: after the last write outside them comes
  // only table-area writes, LBA 0 among them.
  const writes = device.writes.filter((w) => w.kind !== 'erase');
  expect(writes.length).toBeGreaterThan(2);
  expect(inTableArea(writes[0]!, raw.length) && writes[0]!.kind === 'sparse-fill', 'the old table is cleared first').toBe(true);
  const lastData = writes.findLastIndex((w) => !inTableArea(w, raw.length));
  expect(lastData).toBeGreaterThan(0);
  const tail = writes.slice(lastData + 1);
  expect(tail.length).toBeGreaterThan(0);
  expect(tail.every((w) => inTableArea(w, raw.length))).toBe(true);
  expect(tail.some((w) => w.offsetBytes === 0)).toBe(true);
  expect(disk.subarray(512, 520).toString('latin1')).toBe('EFI PART');
});

test('a device that refuses part way: its words are shown, no success, and the disk has no valid table', async ({ page }) => {
  const device = new FastbootSimDevice({ diskSizeBytes: SIM_DISK_BYTES, maxDownloadBytes: MiB, product: 'sim-board' });
  // The first flash: (clearing the table) succeeds, the second is refused.
  device.addFault({ on: 'flash:', action: 'fail', message: 'partition locked', skip: 1 });
  await installFastbootSim(page, device);
  const editor = new EditorPage(page);
  await buildEspPreset(editor);

  const flash = new FlashPanel(page);
  await flash.open();
  await flash.connect();
  await flash.flash();
  await expect(flash.error).toBeVisible({ timeout: 60_000 });
  await expect(flash.error).toContainText('partition locked');
  await expect(flash.error).toContainText('did not finish');
  await expect(flash.done).toHaveCount(0);
  await expect(flash.progress).toHaveCount(0);
  const disk = Buffer.from(device.diskBytes().subarray(0, 1024));
  expect(disk.subarray(512, 520).toString('latin1')).not.toBe('EFI PART');
});
