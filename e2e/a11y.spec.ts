/**
 * Every screen scanned with axe (WCAG 2.x A/AA rules): no serious or critical violations. Each scan
 * leaves a full-page screenshot in test-results/ (390 px and 1366 px wide, light and dark).
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

async function scan(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  expect(bad, `${name}: axe violations`).toEqual([]);
}

for (const colorScheme of ['light', 'dark'] as const) {
  for (const width of [390, 1366]) {
    test(`every screen at ${width} px, ${colorScheme}: axe finds nothing serious`, async ({ page }, testInfo) => {
      test.setTimeout(180_000);
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: width < 500 ? 844 : 860 });
      const editor = new EditorPage(page);
      await editor.goto();
      await editor.waitForReady(false);
      await expect(editor.startScreen).toBeVisible();
      await scan(page, testInfo, `start-${width}-${colorScheme}`);

      await editor.presetCard('example:blobs-at-offsets').click();
      await expect(editor.partitionRows).toHaveCount(2);
      await scan(page, testInfo, `editor-${width}-${colorScheme}`);

      // A field holding text it cannot use, and a label warning.
      await editor.selectRow(0);
      await editor.setField('Minimum size', '-5M');
      await expect(editor.buildButton).toBeDisabled();
      await scan(page, testInfo, `invalid-${width}-${colorScheme}`);
      await editor.field('Minimum size').press('Escape');
      await editor.setField('Minimum size', '64M');

      // Built: the result, the commands for writing a card, verify.
      await editor.setDiskSize('auto');
      await editor.sha256.uncheck();
      await editor.build();
      await expect(editor.buildResult).toBeVisible({ timeout: 60_000 });
      await scan(page, testInfo, `built-${width}-${colorScheme}`);

      // The start screen as a dialog over a layout.
      await editor.preset.click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await scan(page, testInfo, `presets-dialog-${width}-${colorScheme}`);
      await editor.presetCard('example:esp-vfat').click();
      await editor.selectRow(0);
      await expect(editor.contentsEntries.first()).toContainText('4 files');
      await scan(page, testInfo, `contents-${width}-${colorScheme}`);

      // First boot open, with a clear-text password refused at its field.
      const firstBoot = page.getByTestId('cloud-init');
      await firstBoot.locator('summary').click();
      await firstBoot.getByLabel('User', { exact: true }).fill('ada');
      await firstBoot.getByLabel('Password hash').fill('hunter2');
      await expect(editor.buildButton).toBeDisabled();
      await scan(page, testInfo, `first-boot-${width}-${colorScheme}`);

      await editor.loadPreset('nixos:installer-iso');
      await expect(editor.partitionRows).not.toHaveCount(0);
      await scan(page, testInfo, `iso-${width}-${colorScheme}`);
    });
  }
}
