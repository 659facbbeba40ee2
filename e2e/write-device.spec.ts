/**
 * After a build: the commands that write the download to a card, per OS, and the verify step — a
 * read-back of the "device" checked against the bmap's hashes in the worker.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

test('write with the shown bmaptool command, read back, verify; a changed byte is found', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('blobs-at-offsets');
  // The smallest disk that holds the layout: the "device" file stays small.
  await editor.setDiskSize('auto');
  await expect(editor.diskSummary).toContainText('(auto)');
  await editor.sha256.uncheck();
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });

  await page.getByTestId('output-format').selectOption('bmap');
  const write = page.getByTestId('write-to-device');
  await write.getByRole('tab', { name: 'Linux' }).click();
  const commands = write.getByTestId('write-commands');
  await expect(commands).toContainText('sudo bmaptool copy --bmap blobs-at-offsets.img.bmap blobs-at-offsets.img /dev/sdX');
  await write.getByRole('tab', { name: 'macOS' }).click();
  await expect(commands).toContainText('sudo dd if=blobs-at-offsets.img of=/dev/rdisk4 bs=4m');
  await write.getByRole('tab', { name: 'Windows' }).click();
  await expect(commands).toContainText('Raspberry Pi Imager');
  await page.getByTestId('output-format').selectOption('raw');
  await write.getByRole('tab', { name: 'Linux' }).click();
  await expect(commands).toContainText('sudo dd if=blobs-at-offsets.img of=/dev/sdX bs=4M conv=sparse,fsync status=progress');

  // Download raw + bmap and write them as the command says, onto a "device" full of old data.
  await page.getByTestId('output-format').selectOption('bmap');
  const downloads: import('@playwright/test').Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await editor.buildResult.getByRole('button', { name: 'Download' }).click();
  await expect.poll(() => downloads.length).toBe(2);
  const img = await downloads.find((d) => d.suggestedFilename().endsWith('.img'))!.path();
  const bmap = await downloads.find((d) => d.suggestedFilename().endsWith('.bmap'))!.path();
  const device = testInfo.outputPath('device.img');
  writeFileSync(device, Buffer.alloc(readFileSync(img).length + 65536, 0xa5));
  execFileSync('bmaptool', ['copy', '--bmap', bmap, img, device], { stdio: 'pipe' });

  await write.getByTestId('readback-input').setInputFiles(device);
  await write.getByTestId('verify').click();
  await expect(write.getByTestId('verify-outcome')).toContainText('Verified: all');
  await expect(write.getByTestId('verify-outcome')).toContainText('match the built image');

  // With the downloaded .bmap, and a byte changed in the first mapped block.
  const changed = testInfo.outputPath('device-changed.img');
  copyFileSync(device, changed);
  const fd = openSync(changed, 'r+');
  writeSync(fd, Buffer.from([0x5a]), 0, 1, 510);
  closeSync(fd);
  await write.getByTestId('readback-input').setInputFiles(changed);
  await write.getByTestId('bmap-input').setInputFiles(bmap);
  await write.getByTestId('verify').click();
  await expect(write.getByTestId('verify-outcome')).toContainText('ranges differ (first at block 0, byte 0)');
});
