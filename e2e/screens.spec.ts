/**
 * Screenshots of the main screens in light and dark, kept as test artifacts (test-results/) so a
 * reviewer can see the editor without running it.
 */
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

for (const colorScheme of ['light', 'dark'] as const) {
  test(`screens (${colorScheme})`, async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme });
    await page.setViewportSize({ width: 1360, height: 860 });
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.loadPreset('blobs-at-offsets');
    await expect(editor.partitionRows).toHaveCount(2);
    await editor.mapRegion('spl').hover();
    await expect(editor.mapInfo).toContainText('start 8 192 B');
    await page.screenshot({ path: testInfo.outputPath(`editor-${colorScheme}.png`), fullPage: true });

    await editor.sha256.uncheck();
    await editor.build();
    await expect(editor.buildResult).toBeVisible({ timeout: 30_000 });
    await page.screenshot({ path: testInfo.outputPath(`built-${colorScheme}.png`), fullPage: true });

    await editor.selectRow(0);
    await editor.setField('Maximum size', '1M');
    await expect(editor.buildButton).toBeDisabled();
    await page.screenshot({ path: testInfo.outputPath(`invalid-${colorScheme}.png`), fullPage: true });

    // Contents: the ESP preset's files staged, the tree open.
    await editor.loadPreset('esp-vfat');
    await editor.selectRow(0);
    await expect(editor.contentsEntries.first()).toContainText('4 files');
    await editor.contentsEntries.first().locator('summary').click();
    await page.screenshot({ path: testInfo.outputPath(`contents-${colorScheme}.png`), fullPage: true });

    // Table=iso: the map shows the ISO and its El Torito EFI image.
    await editor.loadPreset('iso-hybrid');
    await expect(editor.mapRegion('EFIBOOT')).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath(`iso-${colorScheme}.png`), fullPage: true });
  });
}
