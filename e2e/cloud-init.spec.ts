/**
 * First boot in the app: the cloud-init settings are part of the layout ([X-Partwright-CloudInit]):
 * checked as typed, saved (a reload keeps them), undoable, exported, and built into a vfat partition
 * as a NoCloud seed that the CLI, given the exported layout, builds byte for byte the same.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop';
const HASH = '$6$partwright$7x7nO0zWbQ8WGh0S0nq8cVv8yGkq6oB3yq1m8C2t7o6cX1E7R1w3xQe7b8W7Yx0i7Y0t2r8e5Q9Z0p3s4u5v6.';
const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
const SEED_FILES = ['user-data', 'meta-data', 'network-config'] as const;

/** The seed files at the root of the vfat file system at `offset` of `img` (mtools): user-data and meta-data always. */
function readSeed(img: string, offset: number): Record<string, string> {
  const at = `${img}@@${offset}`;
  const names = spawnSync('mdir', ['-b', '-i', at, '::/'], { encoding: 'utf8', env }).stdout.split('\n');
  expect(names).toEqual(expect.arrayContaining(['::/user-data', '::/meta-data']));
  const present = SEED_FILES.filter((n) => names.includes(`::/${n}`));
  return Object.fromEntries(present.map((n) => [n, spawnSync('mtype', ['-i', at, `::/${n}`], { encoding: 'utf8', env }).stdout]));
}

test('cloud-init settings: a bad hash blocks Build at the field; the built ESP holds the seed', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.sha256.uncheck();
  const panel = page.getByTestId('cloud-init');
  await panel.locator('summary').click();
  await panel.getByLabel('Hostname').fill('pi-kitchen');
  // A hash before its user: kept while editing, shown at the field (the engine's validate()), blocks Build.
  await panel.getByLabel('Password hash').fill(HASH);
  await expect(panel).toContainText('A password hash needs a user to belong to.');
  await expect(editor.buildButton).toBeDisabled();
  await panel.getByLabel('User', { exact: true }).fill('ada');
  await expect(panel).not.toContainText('A password hash needs a user to belong to.');
  await panel.getByLabel('Password hash').fill('hunter2');
  await expect(panel).toContainText('a plain password is never written');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('First boot › Password hash: Password hash must be a crypt(3) hash');
  await panel.getByLabel('Password hash').fill('');
  await panel.getByLabel('SSH public keys').fill(KEY);
  await panel.getByLabel('Wi-Fi network').fill('home');
  await panel.getByLabel('Wi-Fi password').fill('correct horse');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 60_000 });
  const offset = Number((await editor.buildResult.locator('tbody tr').first().locator('td').nth(3).textContent())!.trim()) * 512;
  const img = await (await editor.download('raw')).path();
  const seed = readSeed(img, offset);
  expect(Object.keys(seed)).toEqual(['user-data', 'meta-data', 'network-config']);
  expect(seed['user-data']).toContain('hostname: "pi-kitchen"');
  const file = testInfo.outputPath('user-data');
  writeFileSync(file, seed['user-data']!);
  const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  expect(schema.status, `${schema.stdout}${schema.stderr}`).toBe(0);
});

test('first-boot settings are kept in the layout: a reload keeps them, undo takes one back, and the CLI builds the same seed from the exported layout', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.sha256.uncheck();
  const panel = page.getByTestId('cloud-init');
  await panel.locator('summary').click();
  await panel.getByLabel('Hostname').fill('pi-hall');
  await panel.getByLabel('User', { exact: true }).fill('ada');
  await panel.getByLabel('SSH public keys').fill(KEY);
  await panel.getByLabel('Locale').fill('en_GB.UTF-8');
  await panel.getByLabel('Time zone').fill('Europe/Londn');
  await panel.getByLabel('Time zone').press('Enter');
  // Undo takes back the last setting only.
  await expect(page.getByTestId('undo')).toHaveAttribute('title', 'Undo: First boot › Time zone (Ctrl+Z)');
  await page.getByTestId('undo').click();
  await expect(panel.getByLabel('Time zone')).toHaveValue('');
  await expect(panel.getByLabel('Locale')).toHaveValue('en_GB.UTF-8');
  await panel.getByLabel('Time zone').fill('Europe/London');
  await panel.getByLabel('Seed partition').selectOption('ESP');
  await editor.waitForSaved();

  await page.reload();
  await editor.waitForReady(false);
  await expect(panel).toHaveAttribute('open', '');
  await expect(panel.getByLabel('Hostname')).toHaveValue('pi-hall');
  await expect(panel.getByLabel('User', { exact: true })).toHaveValue('ada');
  await expect(panel.getByLabel('SSH public keys')).toHaveValue(KEY);
  await expect(panel.getByLabel('Time zone')).toHaveValue('Europe/London');
  await expect(panel.getByLabel('Seed partition')).toHaveValue('ESP');

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 120_000 });
  const offset = Number((await editor.buildResult.locator('tbody tr').first().locator('td').nth(3).textContent())!.trim()) * 512;
  const browserSeed = readSeed(await (await editor.download('raw')).path(), offset);
  expect(browserSeed['user-data']).toContain('hostname: "pi-hall"');
  expect(browserSeed['user-data']).toContain('timezone: "Europe/London"');
  const userData = testInfo.outputPath('user-data');
  writeFileSync(userData, browserSeed['user-data']!);
  const schema = spawnSync('cloud-init', ['schema', '--config-file', userData], { encoding: 'utf8' });
  expect(schema.status, `${schema.stdout}${schema.stderr}`).toBe(0);

  // The exported repart.d holds [X-Partwright-CloudInit]; the CLI builds the same seed from it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .conf' }).click()]);
  const read = 'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({n: z.read(n).decode() for n in z.namelist()}))';
  const files = JSON.parse(execFileSync('python3', ['-c', read, await download.path()], { encoding: 'utf8' })) as Record<string, string>;
  const first = Object.values(files)[0]!;
  expect(first).toContain(`[X-Partwright-CloudInit]\nHostname=pi-hall\nUser=ada\nSSHAuthorizedKeys=${KEY}\nLocale=en_GB.UTF-8\nTimezone=Europe/London\nPartition=ESP\n`);
  const dir = mkdtempSync(join(tmpdir(), 'pw-ci-e2e-'));
  try {
    cpSync(join(ROOT, 'examples', 'esp-vfat'), dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name.split('/').pop()!), text);
    const out = join(dir, 'cli.img');
    const json = execFileSync(process.execPath, [join(ROOT, 'cli/bin/partwright.mjs'), 'build', dir, '-o', out, '--json'], { encoding: 'utf8' });
    const esp = (JSON.parse(json) as { plan: { partitions: { offsetBytes: number; label: string }[] } }).plan.partitions.find((p) => p.label === 'ESP')!;
    const cliSeed = readSeed(out, esp.offsetBytes);
    expect(cliSeed).toEqual(browserSeed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
