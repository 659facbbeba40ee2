/**
 * repart's run options as layout settings: a repart.d layout with CopyFrom=, GrainSize= and
 * DeferPartitions= in [X-Partwright-Disk] (examples/copy-from) imported into the app. The inputs
 * panel asks for the CopyFrom= image (Build stays disabled with the reason until it is chosen), the
 * disk panel shows the settings, and the image built in the browser and downloaded has the SHA-256
 * of `partwright build` of the same layout and of the CLI's flag form (--copy-from, --grain-size,
 * --defer-partitions).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'cli/bin/partwright.mjs');
const EXAMPLE = join(ROOT, 'examples/copy-from');
const EPOCH = '1700000000';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function cliBuild(args: string[], out: string): string {
  execFileSync(process.execPath, [CLI, 'build', ...args, '-o', out], { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: 'pipe' });
  return sha256(out);
}

test('CopyFrom=, GrainSize=, DeferPartitions= in a layout: the app asks for the image, builds, and the download equals the CLI build', async ({ page }) => {
  test.setTimeout(240_000);
  const work = mkdtempSync(join(tmpdir(), 'pw-copy-from-'));
  try {
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.importRepartDir(readdirSync(EXAMPLE).filter((f) => f.endsWith('.conf')).sort().map((f) => join(EXAMPLE, f)));

    // The disk panel shows the run options from [X-Partwright-Disk].
    await page.getByText('More disk settings').click();
    await expect(page.locator('#disk-grainSizeBytes')).toHaveValue('1M');
    await expect(page.locator('#disk-deferPartitions')).toHaveValue('home');
    await expect(page.locator('#disk-copyFrom')).toHaveValue('src.img');
    await expect(page.locator('#disk-copyFrom-msg')).toContainText('their partitions are placed before them');

    // A slot for the CopyFrom= image; Build waits for it.
    const slot = page.locator('[data-testid="input-slot"][data-path="src.img"]');
    await expect(slot).toContainText('CopyFrom=src.img');
    await expect(slot).toContainText('missing');
    await expect(editor.buildButton).toBeDisabled();
    await expect(editor.buildStatus).toContainText('src.img');
    await editor.chooseInput('src.img', join(EXAMPLE, 'src.img'));
    // With the image the app plans as the build does: src.img's partition first, root after it on the 1 MiB grain.
    await expect(editor.mapRegion('data')).toHaveAttribute('data-offset', String(1 << 20));
    await expect(editor.mapRegion('root')).toHaveAttribute('data-offset', String(4 << 20));
    await expect(page.locator('#disk-copyFrom-msg')).toHaveCount(0);
    await editor.setSourceDateEpoch(EPOCH);
    await editor.waitForSaved();
    await expect(editor.buildStatus).toContainText('Ready');

    const workerSha = await editor.buildSha256(180_000);
    const download = await editor.download('raw');
    const downloaded = join(work, 'app.img');
    await download.saveAs(downloaded);
    const appSha = sha256(downloaded);
    expect(appSha).toBe(workerSha);
    // Two partitions written: src.img's "data" and root; home is deferred.
    const table = JSON.parse(execFileSync('sfdisk', ['--json', downloaded], { encoding: 'utf8' })) as { partitiontable: { partitions: { name?: string; start: number }[] } };
    expect(table.partitiontable.partitions.map((p) => p.name)).toEqual(['data', 'root']);
    expect(table.partitiontable.partitions.every((p) => p.start % 2048 === 0)).toBe(true);

    // The CLI: the same layout, and the flag form of the same options.
    expect(cliBuild([EXAMPLE], join(work, 'cli.img'))).toBe(appSha);
    const flags = join(work, 'flags');
    execFileSync('mkdir', ['-p', flags]);
    writeFileSync(join(flags, '10-root.conf'), readFileSync(join(EXAMPLE, '10-root.conf'), 'utf8').replace(/\n\[X-Partwright-Disk\][\s\S]*$/, '\n[X-Partwright-Disk]\nTable=gpt\n'));
    writeFileSync(join(flags, '20-home.conf'), readFileSync(join(EXAMPLE, '20-home.conf')));
    expect(cliBuild([flags, '--copy-from', join(EXAMPLE, 'src.img'), '--grain-size', '1M', '--defer-partitions', 'home'], join(work, 'flags.img'))).toBe(appSha);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('Empty=force with BaseImage= in a layout: the app starts the base image over on its size, as partwright build --empty force does', async ({ page }) => {
  test.setTimeout(240_000);
  const work = mkdtempSync(join(tmpdir(), 'pw-empty-'));
  try {
    const base = join(ROOT, 'examples/base-image/base.img');
    const conf = join(work, '10-swap.conf');
    // No Size=: the disk takes the base image's 16 MiB; its ESP is gone.
    writeFileSync(conf, '[Partition]\nType=swap\nSizeMinBytes=4M\nSizeMaxBytes=4M\n\n[X-Partwright-Disk]\nBaseImage=base.img\nEmpty=force\n');
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.importRepartDir([conf]);
    await editor.chooseInput('base.img', base);
    await editor.setSourceDateEpoch(EPOCH);
    await editor.waitForSaved();
    await expect(editor.buildStatus).toContainText('Ready');
    const workerSha = await editor.buildSha256(180_000);
    const downloaded = join(work, 'app.img');
    await (await editor.download('raw')).saveAs(downloaded);
    expect(sha256(downloaded)).toBe(workerSha);
    const table = JSON.parse(execFileSync('sfdisk', ['--json', downloaded], { encoding: 'utf8' })) as { partitiontable: { partitions: { type: string }[] } };
    expect(table.partitiontable.partitions.map((p) => p.type)).toEqual(['0657FD6D-A4AB-43C4-84E5-0933C84B4F4F']);
    expect(readFileSync(downloaded).length).toBe(16 << 20);

    execFileSync('cp', [base, join(work, 'base.img')]);
    expect(cliBuild([work], join(work, 'cli.img'))).toBe(workerSha);
    const flags = join(work, 'flags');
    execFileSync('mkdir', ['-p', flags]);
    writeFileSync(join(flags, '10-swap.conf'), '[Partition]\nType=swap\nSizeMinBytes=4M\nSizeMaxBytes=4M\n');
    expect(cliBuild([flags, '--base', base, '--empty', 'force'], join(work, 'flags.img'))).toBe(workerSha);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
