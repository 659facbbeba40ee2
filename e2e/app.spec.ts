import { PARTITION_TYPES } from '../workers/model/partition-types.ts';
import { expect, test } from './fixtures.ts';
import { HomePage } from './pages/home-page.ts';

test('the page loads and the engine worker answers', async ({ page }) => {
  const home = new HomePage(page);
  await home.goto();

  await expect(page).toHaveTitle('Partwright');
  await expect(home.heading).toHaveText('Partwright');
  await expect(home.engineStatus).toContainText(`Engine ready · ${PARTITION_TYPES.length} partition types`);
  await expect(home.typeRows).toHaveCount(PARTITION_TYPES.length);
  await expect(home.typeCount).toHaveText(`${PARTITION_TYPES.length} of ${PARTITION_TYPES.length}`);
});

test('search filters the partition types', async ({ page }) => {
  const home = new HomePage(page);
  await home.goto();
  await home.waitForEngine();

  const esp = PARTITION_TYPES.find((t) => t.id === 'esp');
  expect(esp).toBeDefined();
  await home.filter(esp!.guid.toUpperCase());
  expect(await home.visibleTypeIds()).toEqual(['esp']);

  await home.filter('root arm64');
  const expected = PARTITION_TYPES.filter((t) => t.arch === 'arm64' && t.id.startsWith('root')).map((t) => t.id);
  expect(await home.visibleTypeIds()).toEqual(expected);
  await expect(home.typeCount).toHaveText(`${expected.length} of ${PARTITION_TYPES.length}`);

  await home.filter('no-such-type');
  await expect(home.typeRows).toHaveCount(0);
  await expect(page.getByText('No partition type matches “no-such-type”.')).toBeVisible();

  await home.filter('');
  await expect(home.typeRows).toHaveCount(PARTITION_TYPES.length);
});

test('the server isolates the page and serves its manifest', async ({ page, request }) => {
  const home = new HomePage(page);
  await home.goto();
  await home.waitForEngine();
  // COOP + COEP from server/static.ts make the page cross-origin isolated (SharedArrayBuffer later).
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

  const manifest = await request.get('/manifest.webmanifest');
  expect(manifest.headers()['content-type']).toContain('application/manifest+json');
  expect(await manifest.json()).toMatchObject({ name: 'Partwright' });
  const health = await request.get('/healthz');
  expect(await health.json()).toMatchObject({ status: 'ok' });
});
