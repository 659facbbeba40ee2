/**
 * @cross-host: the same layout, inputs and SOURCE_DATE_EPOCH give the same image in Chromium's
 * worker (the app, OPFS host) and in the CLI (Node host): one build job, two hosts. Each app preset
 * (the examples/ layouts as the app offers them) is built in the page with SHA-256 on, exported as
 * layout JSON, and built from that JSON by `partwright build` next to a copy of the example's files;
 * the SHA-256s must be equal.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EPOCH = '1700000000';
/** The app's presets (web/lib/presets.ts), each an examples/ folder. */
const PRESETS = ['gpt-disk', 'mbr-disk', 'hybrid-mbr', 'blobs-at-offsets', 'esp-vfat', 'iso-hybrid'];

for (const id of PRESETS) {
  test(`${id}: the browser and the CLI build the same bytes @cross-host`, async ({ page }) => {
    test.setTimeout(900_000); // gpt-disk hashes 8 GiB (holes included) in the worker
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.loadPreset(id);
    await editor.waitForSaved();
    const epoch = page.getByTestId('source-date-epoch');
    if (await epoch.isEnabled()) {
      await epoch.fill(EPOCH);
      await epoch.press('Enter');
      await epoch.blur();
    }
    // The whole-image SHA-256 is off by default (it costs time for the holes too); this test needs it.
    await editor.sha256.check();
    await editor.build();
    await expect(editor.buildResult).toBeVisible({ timeout: 780_000 });
    const browserSha = await editor.buildResult.locator('.hash').getAttribute('title');
    expect(browserSha).toMatch(/^[0-9a-f]{64}$/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const dir = mkdtempSync(join(tmpdir(), `pw-cross-${id}-`));
    try {
      // The example's files (blobs, content folders) beside the layout, as the app has them staged.
      cpSync(join(ROOT, 'examples', id), dir, { recursive: true });
      const layout = join(dir, 'layout.json');
      writeFileSync(layout, readFileSync(await download.path()));
      const out = join(dir, 'cli.img');
      execFileSync(process.execPath, [join(ROOT, 'cli/bin/partwright.mjs'), 'build', layout, '-o', out], { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: 'pipe' });
      const cliSha = execFileSync('sha256sum', [out], { encoding: 'utf8' }).split(' ')[0];
      expect(cliSha, `${id}: browser ${browserSha}, CLI ${cliSha}`).toBe(browserSha);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
