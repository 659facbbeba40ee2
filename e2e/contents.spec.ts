import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));

interface SfdiskJson {
  partitiontable: { label: string; partitions: { start: number; size: number; name?: string }[] };
}

/** A folder to drop: a few files at different depths, one of them binary and not tiny. */
function makePayload(): { dir: string; files: Record<string, Buffer> } {
  const root = mkdtempSync(join(tmpdir(), 'partwright-contents-'));
  const dir = join(root, 'payload');
  const files: Record<string, Buffer> = {
    'hello.txt': Buffer.from('hello from the browser\n'),
    'EFI/Linux/notes.md': Buffer.from('# notes\n'.repeat(50)),
    'data/deep/random.bin': randomBytes(300 * 1024 + 17),
  };
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return { dir, files };
}

/** The first partition of a downloaded image, extracted with dd. */
function extractPartition(image: string, index: number): string {
  const table = (JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as SfdiskJson).partitiontable;
  const p = table.partitions[index]!;
  const out = `${image}.p${index + 1}`;
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
  return out;
}

function mcopy(fat: string, path: string): Buffer {
  return execFileSync('mcopy', ['-n', '-i', fat, `::${path}`, '-'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 64 << 20 });
}

test('drop a folder onto the ESP, build, and read the files back from the FAT', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await expect(editor.partitionRows).toHaveCount(2);
  await editor.selectRow(0);
  // The preset's own CopyFiles=/content:/ comes staged with it.
  await expect(editor.contentsEntries).toHaveCount(1);
  await expect(editor.contentsEntries.first()).toContainText('/content');
  await expect(editor.contentsEntries.first()).toContainText('4 files');

  const payload = makePayload();
  await editor.addFolder(payload.dir);
  await expect(editor.contentsEntries).toHaveCount(2);
  const entry = editor.contentsEntries.nth(1);
  await expect(entry).toContainText('/payload');
  await expect(entry).toContainText('3 files');
  await expect(entry.getByLabel('Target of /payload')).toHaveValue('/');
  await entry.locator('summary').click();
  // A tree: each file's name under its folders, its path in the file system on hover.
  await expect(entry.getByTestId('contents-tree').getByTitle('/data/deep/random.bin')).toHaveText('random.bin');
  await expect(entry.getByTestId('contents-tree').getByTitle('/data/deep', { exact: true })).toHaveText('deep/');
  await editor.waitForSaved();

  // Staged in OPFS: a reload keeps the folder and its files.
  await page.reload();
  await editor.waitForReady();
  await editor.selectRow(0);
  await expect(editor.contentsEntries).toHaveCount(2);
  await expect(editor.contentsEntries.nth(1)).toContainText('3 files');

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const download = await editor.download('raw');
  const image = await download.path();

  const fat = extractPartition(image, 0);
  const fsck = execFileSync('fsck.fat', ['-n', fat], { encoding: 'utf8' });
  expect(fsck).not.toMatch(/differ|invalid|corrupt|lost/i);
  for (const [path, bytes] of Object.entries(payload.files)) expect(mcopy(fat, `/${path}`).equals(bytes), path).toBe(true);
  expect(mcopy(fat, '/EFI/BOOT/BOOTX64.EFI').equals(readFileSync(`${examples}esp-vfat/content/EFI/BOOT/BOOTX64.EFI`))).toBe(true);
});

test('a target path puts the folder below it, and removing the entry removes its files', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries).toHaveCount(1);
  const payload = makePayload();
  await editor.addFolder(payload.dir);
  const entry = editor.contentsEntries.nth(1);
  await expect(entry).toContainText('3 files');
  const target = entry.getByLabel('Target of /payload');
  await target.fill('/extra');
  await target.press('Enter');
  // Remove the preset's content: only the payload, under /extra, goes in.
  await editor.contentsEntries.first().getByRole('button', { name: 'Remove /content' }).click();
  await expect(editor.contentsEntries).toHaveCount(1);

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  const fat = extractPartition(await (await editor.download('raw')).path(), 0);
  expect(mcopy(fat, '/extra/hello.txt').equals(payload.files['hello.txt']!)).toBe(true);
  const listing = execFileSync('mdir', ['-/', '-b', '-i', fat, '::/'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  expect(listing).not.toContain('BOOTX64');
});

test('a share link names the contents but carries none: they are listed as missing on open', async ({ page, browser }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await editor.addFolder(makePayload().dir);
  await expect(editor.contentsEntries).toHaveCount(2);
  const url = await editor.copyShareLink();

  const other = await browser.newContext();
  try {
    const fresh = new EditorPage(await other.newPage());
    await fresh.goto(url.slice(url.indexOf('/#')));
    await fresh.shareDialog.getByRole('button', { name: 'Open shared layout' }).click();
    await expect(fresh.notice).toContainText('/content, /payload');
    await expect(fresh.buildStatus).toContainText('Add the contents of CopyFiles=/content');
    await expect(fresh.buildButton).toBeDisabled();
    await fresh.selectRow(0);
    await expect(fresh.contentsEntries.nth(1)).toContainText('missing');

    // Choosing the folders again fills the entries the link named; then it builds.
    for (const [i, dir] of [[0, join(examples, 'esp-vfat', 'content')], [1, makePayload().dir]] as const) {
      const [chooser] = await Promise.all([
        fresh.page.waitForEvent('filechooser'),
        fresh.contentsEntries.nth(i).getByRole('button', { name: 'Choose folder…' }).click(),
      ]);
      await chooser.setFiles(dir);
    }
    await expect(fresh.contentsEntries.nth(0)).toContainText('4 files');
    await expect(fresh.contentsEntries.nth(1)).toContainText('3 files');
    await expect(fresh.contentsEntries).toHaveCount(2);
    await expect(fresh.buildButton).toBeEnabled();
  } finally {
    await other.close();
  }
});

test('files dropped onto the partition are staged as one folder; single files can be removed; a rename keeps them', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries).toHaveCount(1);

  // A drop as the browser delivers one: a DataTransfer holding two files.
  await editor.contents.evaluate((target) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['dropped text\n'], 'drop-a.txt'));
    transfer.items.add(new File([new Uint8Array(5000).fill(7)], 'drop-b.bin'));
    for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  const entry = editor.contentsEntries.nth(1);
  await expect(entry).toContainText('/files');
  await expect(entry).toContainText('2 files');
  // The drop went to the partition, not to the layout importer.
  await expect(editor.notice).toBeHidden();

  await entry.locator('summary').click();
  await entry.getByRole('button', { name: 'Remove /drop-a.txt' }).click();
  await expect(entry).toContainText('1 file ');
  await expect(entry.getByTestId('contents-tree')).not.toContainText('drop-a.txt');

  await page.getByRole('button', { name: 'Rename' }).click();
  const name = page.getByLabel('Layout name');
  await name.fill('firmware');
  await name.press('Enter');
  await expect(editor.layoutSelect).toHaveValue('firmware');
  await editor.waitForSaved();
  await page.reload();
  await editor.waitForReady();
  await expect(editor.layoutSelect).toHaveValue('firmware');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.nth(1)).toContainText('1 file ');
  await expect(editor.buildButton).toBeEnabled();
});

test('a folder dropped onto an ext4 root is built in the browser by mke2fs.wasm; e2fsck and debugfs read it back', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  await editor.selectRow(1);
  await editor.setField('File system', 'ext4');
  await editor.setField('Label', 'root');
  const payload = makePayload();
  await editor.addFolder(payload.dir);
  await expect(editor.contentsEntries.first()).toContainText('3 files');

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 60_000 });
  const root = extractPartition(await (await editor.download('raw')).path(), 1);
  execFileSync('e2fsck', ['-fn', root], { stdio: 'pipe' });
  for (const [path, bytes] of Object.entries(payload.files)) {
    const out = `${root}.${path.replace(/\//g, '_')}`;
    execFileSync('debugfs', ['-R', `dump /${path} ${out}`, root], { stdio: 'pipe' });
    expect(readFileSync(out).equals(bytes), path).toBe(true);
  }
});
