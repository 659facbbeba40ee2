import { PARTITION_TYPES } from '../workers/model/partition-types.ts';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

test('the page loads and the engine worker answers', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();

  await expect(page).toHaveTitle('Partwright');
  await expect(editor.heading).toHaveText('Partwright');
  await expect(editor.engineStatus).toContainText(`Engine ready · ${PARTITION_TYPES.length} partition types`);
  // A first visit opens the repart GPT example as a layout of its own.
  await editor.waitForReady();
  await expect(editor.partitionRows).toHaveCount(4);
});

test('the server isolates the page and serves its manifest', async ({ page, request }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  // COOP + COEP from server/static.ts make the page cross-origin isolated (SharedArrayBuffer later).
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

  const manifest = await request.get('/manifest.webmanifest');
  expect(manifest.headers()['content-type']).toContain('application/manifest+json');
  expect(await manifest.json()).toMatchObject({ name: 'Partwright' });
  const health = await request.get('/healthz');
  expect(await health.json()).toMatchObject({ status: 'ok' });
});
