/**
 * Contents given as archives keep their metadata in the browser: a tar.gz of examples/ext4-root's
 * rootfs (made by real tar, with an executable and the bin → usr/bin symlink) dropped onto the
 * partition, built by mke2fs.wasm in the worker, read back by e2fsck and debugfs, and byte-identical
 * to the CLI's build of the same folder. A picked folder, which loses all that, is flagged.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools } from '../workers/test-support/debian.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const rootfs = join(repo, 'examples/ext4-root/rootfs');

interface SfdiskJson {
  partitiontable: { partitions: { start: number; size: number }[] };
}

function extractPartition(image: string, index: number): string {
  const p = (JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as SfdiskJson).partitiontable.partitions[index]!;
  const out = `${image}.p${index + 1}`;
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
  return out;
}

function debugfs(fsImage: string, request: string): string {
  return execFileSync('debugfs', ['-R', request, fsImage], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Opens examples/ext4-root as the app imports a repart.d directory (its rootfs is then missing). */
async function openExt4Root(editor: EditorPage): Promise<void> {
  const dir = join(repo, 'examples/ext4-root');
  await editor.importInput.setInputFiles(readdirSync(dir).filter((f) => f.endsWith('.conf')).map((f) => join(dir, f)));
  await expect(editor.partitionRows).toHaveCount(3);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Drops `bytes` as a file named `name` onto the contents box, as the browser delivers a drop. */
async function dropFile(editor: EditorPage, name: string, bytes: Buffer): Promise<void> {
  await editor.contents.evaluate(
    (target, { name, base64 }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name));
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, base64: bytes.toString('base64') },
  );
}

/** Each kind of archive, made from examples/ext4-root/rootfs by the real tool. */
const ARCHIVES: { name: string; command: (out: string) => string }[] = [
  { name: 'rootfs.tar.gz', command: (out) => `tar -czf ${out} .` },
  { name: 'rootfs.tar.zst', command: (out) => `tar --zstd -cf ${out} .` },
  { name: 'rootfs.cpio', command: (out) => `find . | cpio --quiet -o -H newc > ${out}` },
  { name: 'rootfs.zip', command: (out) => `zip -q -r -y ${out} .` },
];

let work: string;
let cliSha256: string;

test.beforeAll(() => {
  requireTools('tar', 'gzip', 'zstd', 'cpio', 'zip', 'sfdisk', 'e2fsck', 'debugfs');
  work = mkdtempSync(join(tmpdir(), 'partwright-archive-e2e-'));
  // The CLI builds the same layout from the folder itself (lstat: modes, owners, times, symlinks).
  const cliImage = join(work, 'cli.img');
  execFileSync('node', [join(repo, 'cli/bin/partwright.mjs'), 'build', join(repo, 'examples/ext4-root'), '-o', cliImage], { stdio: 'pipe', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  cliSha256 = sha256(cliImage);
});

for (const { name, command } of ARCHIVES) {
  test(`${name} of ext4-root keeps /bin a symlink and hello 0755, and equals the CLI build byte for byte`, async ({ page }) => {
    test.setTimeout(240_000);
    const archive = join(work, name);
    execFileSync('sh', ['-c', command(archive)], { cwd: rootfs, env: { ...process.env, TZ: 'UTC' } });

    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await openExt4Root(editor);
    await editor.selectRow(1);
    const entry = editor.contentsEntries.first();
    await expect(entry).toContainText('/rootfs');
    await expect(entry).toContainText('missing');

    // Dropped, the archive fills the missing /rootfs (both ext4 partitions copy it).
    await dropFile(editor, name, readFileSync(archive));
    await expect(entry).toContainText(`archive ${name}`);
    await expect(editor.contentsEntries).toHaveCount(1);
    await expect(editor.page.getByTestId('contents-warning')).toHaveCount(0);
    await editor.waitForSaved();

    await editor.build();
    await expect(editor.buildResult).toBeVisible({ timeout: 180_000 });
    const image = join(work, `${name}.img`);
    await (await editor.download('raw')).saveAs(image);

    for (const index of [1, 2]) {
      const root = extractPartition(image, index);
      execFileSync('e2fsck', ['-fn', root], { stdio: 'pipe' });
      const bin = debugfs(root, 'stat /bin');
      expect(bin).toMatch(/Type: symlink/);
      expect(bin).toMatch(/Fast link dest: "usr\/bin"/);
      expect(debugfs(root, 'stat /usr/bin/hello')).toMatch(/Type: regular\s+Mode:\s+0755/);
      expect(debugfs(root, 'stat /etc/hostname')).toMatch(/Mode:\s+0644/);
      const dumped = join(work, `${name}-hello-${index}`);
      debugfs(root, `dump /usr/bin/hello ${dumped}`);
      expect(readFileSync(dumped).equals(readFileSync(join(rootfs, 'usr/bin/hello')))).toBe(true);
    }
    expect(sha256(image)).toBe(cliSha256);
  });
}

test('a picked folder: flagged for ext4 (not vfat); its files get SOURCE_DATE_EPOCH as the CLI applies it, same image', async ({ page }) => {
  test.setTimeout(240_000);
  // A layout like ext4-root whose rootfs holds only what a picker can carry: 0644 files, 0755
  // directories, no symlinks. One file is older than the layout's SOURCE_DATE_EPOCH (1700000000),
  // which the CLI keeps; the other is newer, which becomes the epoch.
  const layout = join(work, 'picked-layout');
  const tree = join(layout, 'rootfs');
  execFileSync('sh', ['-c', `mkdir -p ${tree}/etc ${tree}/usr/bin && cp ${repo}/examples/ext4-root/*.conf ${layout}/`]);
  writeFileSync(join(tree, 'etc/hostname'), 'old\n');
  writeFileSync(join(tree, 'usr/bin/tool'), 'new\n');
  utimesSync(join(tree, 'etc/hostname'), 1_600_000_000, 1_600_000_000);
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', tree]);

  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.importInput.setInputFiles(readdirSync(layout).filter((f) => f.endsWith('.conf')).map((f) => join(layout, f)));
  await expect(editor.partitionRows).toHaveCount(3);
  await editor.selectRow(1);
  const entry = editor.contentsEntries.first();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), entry.getByRole('button', { name: 'Choose folder…' }).click()]);
  await chooser.setFiles(tree);
  await expect(entry).toContainText('2 files');
  const warning = entry.getByTestId('contents-warning');
  await expect(warning.first()).toContainText('lost its modes, owners and symlinks');
  await expect(warning.first()).toContainText('/bin is missing or copied');
  await expect(warning.first()).toContainText('drop an archive');

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 180_000 });
  const image = join(work, 'picked.img');
  await (await editor.download('raw')).saveAs(image);
  const root = extractPartition(image, 1);
  execFileSync('e2fsck', ['-fn', root], { stdio: 'pipe' });
  expect(debugfs(root, 'stat /etc/hostname')).toMatch(/mtime: 0x5f5e1000/);
  expect(debugfs(root, 'stat /usr/bin/tool')).toMatch(/mtime: 0x6553f100/);
  const cliImage = join(work, 'picked-cli.img');
  execFileSync('node', [join(repo, 'cli/bin/partwright.mjs'), 'build', layout, '-o', cliImage], { stdio: 'pipe' });
  expect(sha256(image)).toBe(sha256(cliImage));

  // The ESP (vfat) holds no modes or symlinks: nothing to warn about there.
  await editor.selectRow(0);
  await editor.addFolder(join(tree, 'etc'));
  await expect(editor.contentsEntries).toHaveCount(1);
  await expect(page.getByTestId('contents-warning')).toHaveCount(0);
});

test('a damaged archive fails the build with a coded message naming the archive and what is wrong', async ({ page }) => {
  test.setTimeout(120_000);
  const archive = join(work, 'rootfs-cut.tar.gz');
  execFileSync('sh', ['-c', `tar -czf ${archive}.full . && head -c 300 ${archive}.full > ${archive}`], { cwd: rootfs });
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await openExt4Root(editor);
  await editor.selectRow(1);
  await dropFile(editor, 'rootfs.tar.gz', readFileSync(archive));
  await expect(editor.contentsEntries.first()).toContainText('archive rootfs.tar.gz');
  await editor.build();
  await expect(editor.buildStatus).toContainText('Build failed: rootfs.tar.gz', { timeout: 60_000 });
  await expect(editor.buildStatus).toContainText(/gzip stream is corrupt or cut short|ends inside/);
});

test('"Choose archive…" fills a missing source; the archive survives a reload', async ({ page }) => {
  const archive = join(work, 'chosen', 'rootfs.tar');
  execFileSync('sh', ['-c', `mkdir -p ${join(work, 'chosen')} && tar -cf ${archive} .`], { cwd: rootfs });
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await openExt4Root(editor);
  await editor.selectRow(1);
  const entry = editor.contentsEntries.first();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), entry.getByRole('button', { name: 'Choose archive…' }).click()]);
  await chooser.setFiles(archive);
  await expect(entry).toContainText('archive rootfs.tar');
  await expect(editor.buildButton).toBeEnabled();
  await editor.waitForSaved();
  await page.reload();
  await editor.waitForReady();
  await editor.selectRow(1);
  await expect(editor.contentsEntries.first()).toContainText('archive rootfs.tar');
  await expect(page.getByTestId('contents-warning')).toHaveCount(0);
});
