import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const GiB = 1024 ** 3;

test('download .gz, qcow2, Android sparse and bmap: each restores to the raw image with its real tool', async ({ page }) => {
  // Five downloads of the ~325 MiB esp-vfat image (the newest repart's FAT32 ESP minimum), each converted.
  test.setTimeout(180_000);
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });

  const raw = await (await editor.download('raw')).path();
  const rawBytes = readFileSync(raw);

  const zst = await editor.download('zst');
  expect(zst.suggestedFilename()).toMatch(/\.img\.zst$/);
  const zstPath = await zst.path();
  execFileSync('zstd', ['-t', '-q', zstPath]);
  expect(execFileSync('zstd', ['-dc', zstPath], { maxBuffer: 1 << 30 }).equals(rawBytes)).toBe(true);
  const gz = await editor.download('gz');
  expect(gz.suggestedFilename()).toMatch(/\.img\.gz$/);
  const gzPath = await gz.path();
  execFileSync('gzip', ['-t', gzPath]);
  expect(execFileSync('gzip', ['-dc', gzPath], { maxBuffer: 1 << 30 }).equals(rawBytes)).toBe(true);

  const qcow2 = await editor.download('qcow2');
  expect(qcow2.suggestedFilename()).toMatch(/\.qcow2$/);
  const qcowPath = await qcow2.path();
  expect(execFileSync('qemu-img', ['info', '--output=json', qcowPath], { encoding: 'utf8' })).toContain('"format": "qcow2"');
  execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, qcowPath]);

  const sparse = await editor.download('android-sparse');
  const restored = `${await sparse.path()}.raw`;
  execFileSync('simg2img', [await sparse.path(), restored]);
  // Android sparse counts whole 4 KiB blocks: an image whose size is not a multiple (the newest
  // repart's --size=auto ends right after the backup GPT) comes back padded with zeros to the block.
  const restoredBytes = readFileSync(restored);
  expect(restoredBytes.length).toBe(Math.ceil(rawBytes.length / 4096) * 4096);
  expect(restoredBytes.subarray(0, rawBytes.length).equals(rawBytes)).toBe(true);
  expect(restoredBytes.subarray(rawBytes.length).every((b) => b === 0)).toBe(true);

  // bmap: two files, the raw image and its block map; bmaptool copies with it and checks the hashes.
  await page.getByTestId('output-format').selectOption('bmap');
  const downloads: import('@playwright/test').Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await editor.buildResult.getByRole('button', { name: 'Download' }).click();
  await expect.poll(() => downloads.length).toBe(2);
  const bmapDownload = downloads.find((d) => d.suggestedFilename().endsWith('.bmap'))!;
  const imgDownload = downloads.find((d) => d.suggestedFilename().endsWith('.img'))!;
  const copied = `${raw}.bmapcopy`;
  execFileSync('bmaptool', ['copy', '--bmap', await bmapDownload.path(), await imgDownload.path(), copied], { stdio: 'pipe' });
  expect(readFileSync(copied).equals(rawBytes)).toBe(true);

  const vhd = await editor.download('vhd');
  execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vpc', raw, await vhd.path()]);
});

test('an 8 GiB disk builds into browser storage without holding the image, and downloads as qcow2', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('gpt-disk');
  await expect(editor.diskSummary).toContainText('8 GiB');
  await editor.sha256.uncheck();
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 60_000 });
  await expect(editor.buildResult).toContainText('8 GiB');
  // The worker's store is a compact OPFS file: the chunks written, not the 8 GiB.
  const stored = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (name.startsWith('build-') && name.endsWith('.store')) return (await (handle as FileSystemFileHandle).getFile()).size;
    }
    return -1;
  });
  expect(stored).toBeGreaterThan(0);
  expect(stored).toBeLessThan(4 * 1024 * 1024);

  const qcow2 = await (await editor.download('qcow2')).path();
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', qcow2], { encoding: 'utf8' })) as { 'virtual-size': number };
  expect(info['virtual-size']).toBe(8 * GiB);
  execFileSync('qemu-img', ['check', qcow2]);
  // The GPT inside reads back: sfdisk sees the four partitions through qemu-img's raw conversion of the table area.
  const head = `${qcow2}.head`;
  execFileSync('qemu-img', ['dd', '-f', 'qcow2', '-O', 'raw', `if=${qcow2}`, `of=${head}`, 'bs=1M', 'count=1']);
  expect(readFileSync(head).subarray(512, 520).toString('latin1')).toBe('EFI PART');
});

test('Save to file… writes the raw image through the File System Access API', async ({ page }) => {
  // The native picker cannot be driven from a test: it is replaced by one that picks an OPFS file,
  // which is a FileSystemFileHandle like the real one (createWritable, seek-writes, truncate).
  await page.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async () =>
      (await navigator.storage.getDirectory()).getFileHandle('picked.img', { create: true });
  });
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  await editor.sha256.check(); // off by default: the whole-image SHA-256 is this test's oracle
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const hash = (await editor.buildResult.locator('.hash').getAttribute('title')) ?? '';
  expect(hash).toMatch(/^[0-9a-f]{64}$/);

  await editor.buildResult.getByRole('button', { name: 'Save to file…' }).click();
  await expect(page.getByTestId('saved-note')).toContainText('Saved picked.img', { timeout: 30_000 });
  const saved = await page.evaluate(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('picked.img')).getFile();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return { size: file.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
  });
  // The disk size the CLI plans for the same layout.
  const planned = JSON.parse(execFileSync(process.execPath, [fileURLToPath(new URL('../cli/bin/partwright.mjs', import.meta.url)), 'plan', fileURLToPath(new URL('../examples/esp-vfat', import.meta.url)), '--json'], { encoding: 'utf8' })) as { diskSizeBytes: number };
  expect(saved.size).toBe(planned.diskSizeBytes);
  expect(saved.sha256).toBe(hash);
});

test('blobs at offsets are read from their staged files in slices and land byte-exact (qcow2 checked with qemu-img)', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('blobs-at-offsets');
  await editor.sha256.uncheck();
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const qcow2 = await (await editor.download('qcow2')).path();
  const head = `${qcow2}.head`;
  execFileSync('qemu-img', ['dd', '-f', 'qcow2', '-O', 'raw', `if=${qcow2}`, `of=${head}`, 'bs=4K', 'count=256']);
  const bytes = readFileSync(head);
  const spl = readFileSync(fileURLToPath(new URL('../examples/blobs-at-offsets/blobs/spl.bin', import.meta.url)));
  const uboot = readFileSync(fileURLToPath(new URL('../examples/blobs-at-offsets/blobs/u-boot.bin', import.meta.url)));
  expect(bytes.subarray(8 * 1024, 8 * 1024 + spl.length).equals(spl)).toBe(true);
  expect(bytes.subarray(40 * 1024, 40 * 1024 + uboot.length).equals(uboot)).toBe(true);
});
