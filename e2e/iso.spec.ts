import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));

test('Table=iso: the map shows the ISO and its El Torito EFI image, and the preset builds an ISO xorriso reads', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('iso-hybrid');
  await expect(editor.partitionRows).toHaveCount(2);
  await expect(editor.diskSummary).toContainText('ISO');
  await expect(editor.mapRegion('PARTWRIGHT_ISO')).toContainText('ISO9660 · PARTWRIGHT_ISO');
  await expect(editor.mapRegion('EFIBOOT')).toContainText('EFI /boot/efi.img');
  await expect(editor.mapInfo).toContainText('no BIOS entry');
  await editor.mapRegion('EFIBOOT').click();
  await expect(editor.inspector).toContainText('becomes the El Torito EFI image /boot/efi.img');
  await expect(editor.contentsEntries.first()).toContainText('/esp');

  await editor.build();
  await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('iso-report')).toContainText('El Torito EFI');
  const iso = await (await editor.download('raw')).path();

  const report = execFileSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(report).toMatch(/El Torito boot img :\s+1\s+UEFI/);
  const pvd = execFileSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' });
  expect(pvd).toContain('Volume id: PARTWRIGHT_ISO');
  const readme = execFileSync('isoinfo', ['-R', '-i', iso, '-x', '/README.txt']);
  expect(readme.equals(readFileSync(`${examples}iso-hybrid/content/README.txt`))).toBe(true);
  expect(execFileSync('isoinfo', ['-R', '-f', '-i', iso], { encoding: 'utf8' })).toContain('/boot/efi.img');
});
