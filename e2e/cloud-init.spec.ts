/** First boot in the app: the cloud-init settings are checked as typed and built into the ESP as a NoCloud seed. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

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
  await panel.getByLabel('User').fill('ada');
  await panel.getByLabel('Password hash').fill('hunter2');
  await expect(panel).toContainText('a plain password is never written');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.buildStatus).toContainText('First boot: Password hash must be a crypt(3) hash');
  await panel.getByLabel('Password hash').fill('');
  await panel.getByLabel('SSH public keys').fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop');
  await panel.getByLabel('Wi-Fi network').fill('home');
  await panel.getByLabel('Wi-Fi password').fill('correct horse');
  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 60_000 });
  const offset = Number((await editor.buildResult.locator('tbody tr').first().locator('td').nth(3).textContent())!.trim()) * 512;
  const img = await (await editor.download('raw')).path();

  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const at = `${img}@@${offset}`;
  const names = spawnSync('mdir', ['-b', '-i', at, '::/'], { encoding: 'utf8', env }).stdout.split('\n');
  expect(names).toEqual(expect.arrayContaining(['::/user-data', '::/meta-data', '::/network-config']));
  const userData = spawnSync('mtype', ['-i', at, '::/user-data'], { encoding: 'utf8', env }).stdout;
  expect(userData).toContain('hostname: "pi-kitchen"');
  const file = testInfo.outputPath('user-data');
  writeFileSync(file, userData);
  const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  expect(schema.status, `${schema.stdout}${schema.stderr}`).toBe(0);
});
