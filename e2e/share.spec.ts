import { deflateRawSync } from 'node:zlib';
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

/** A `#layout=` fragment made the way the app makes it, from any JSON text (hostile or not). */
function linkFor(json: string): string {
  return `/#layout=${deflateRawSync(Buffer.from(json, 'utf8')).toString('base64url')}`;
}

test('a share link opened in a fresh browser asks, then opens the layout', async ({ page, browser }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('gpt-disk');
  // Six partitions: the four of the example and two more.
  await page.getByRole('button', { name: '+ partition' }).click();
  await editor.setField('Label', 'data-a');
  await page.getByRole('button', { name: '+ partition' }).click();
  await editor.setField('Label', 'data-b');
  await editor.setField('File system', 'ext4');
  await expect(editor.partitionRows).toHaveCount(6);
  // Wait for the engine's plan of six partitions: unlabelled rows show the planned default label.
  await expect(editor.mapRegions.and(page.locator('[data-kind="partition"]'))).toHaveCount(6);
  const labels = await editor.rowLabels();
  expect(labels).toEqual(['ESP', 'data-a', 'data-b', 'nixos', 'swap', 'home']);

  const url = await editor.copyShareLink();
  expect(url.length).toBeLessThan(2000);

  const other = await browser.newContext();
  try {
    const fresh = new EditorPage(await other.newPage());
    await fresh.goto(url.slice(url.indexOf('/#')));
    await expect(fresh.shareDialog).toBeVisible();
    await expect(fresh.shareDialog).toContainText('6 partitions');
    await expect(fresh.shareDialog).toContainText('data-b');
    // Nothing changes before the answer: the first-visit (empty) layout is still open behind the dialog.
    await expect(fresh.startScreen).toBeAttached();
    await expect(fresh.partitionRows).toHaveCount(0);
    await fresh.shareDialog.getByRole('button', { name: 'Open shared layout' }).click();
    await expect(fresh.partitionRows).toHaveCount(6);
    await expect.poll(() => fresh.rowLabels()).toEqual(labels);
    await expect(fresh.layoutSelect).toHaveValue('shared');
    // The link is consumed: reloading does not ask again and keeps the opened layout.
    expect(fresh.page.url()).not.toContain('#layout=');
    await fresh.waitForSaved();
    await fresh.page.reload();
    await fresh.waitForReady();
    await expect(fresh.shareDialog).toBeHidden();
    await expect.poll(() => fresh.rowLabels()).toEqual(labels);
  } finally {
    await other.close();
  }
});

test('declining a share link keeps the current layout', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto(linkFor(JSON.stringify({ table: 'mbr', partitions: [{ type: 'linux-generic', label: 'only' }] })));
  await expect(editor.shareDialog).toBeVisible();
  await editor.shareDialog.getByRole('button', { name: 'Keep current' }).click();
  await expect(editor.shareDialog).toBeHidden();
  await editor.waitForReady();
  await expect(editor.partitionRows).toHaveCount(4);
});

const HOSTILE: { name: string; hash: string; message: RegExp }[] = [
  { name: 'unknown key', hash: linkFor('{"table":"gpt","partitions":[],"evil":1}'), message: /unknown key "evil"/ },
  { name: '__proto__', hash: linkFor('{"table":"gpt","partitions":[],"__proto__":{"polluted":true}}'), message: /key "__proto__" is not allowed/ },
  { name: 'absurd size', hash: linkFor('{"table":"gpt","sizeBytes":1e300,"partitions":[]}'), message: /sizeBytes/ },
  { name: 'not base64url', hash: '/#layout=%3Cscript%3E', message: /not valid base64url/ },
  { name: 'not deflate', hash: `/#layout=${Buffer.from('hello world').toString('base64url')}`, message: /not a compressed layout/ },
  { name: 'too long', hash: `/#layout=${'A'.repeat(40_000)}`, message: /too long/ },
  { name: 'a zip bomb', hash: linkFor(`{"table":"gpt","partitions":[],"x":"${' '.repeat(4_000_000)}"}`), message: /larger than/ },
  { name: 'not JSON', hash: linkFor('{"table":'), message: /not valid JSON/ },
];

for (const c of HOSTILE) {
  test(`a hostile share link (${c.name}) gives a message and changes nothing`, async ({ page }) => {
    const editor = new EditorPage(page);
    await editor.goto();
    await editor.waitForReady();
    await editor.loadPreset('mbr-disk');
    await expect(editor.partitionRows).toHaveCount(5);
    await editor.waitForSaved();

    await editor.goto(c.hash);
    await editor.waitForReady();
    await expect(editor.notice).toContainText('This share link cannot be opened');
    await expect(editor.notice).toContainText(c.message);
    await expect(editor.shareDialog).toBeHidden();
    await expect(editor.partitionRows).toHaveCount(5);
    expect(await page.evaluate(() => ({}) as Record<string, unknown>)).not.toHaveProperty('polluted');
  });
}

test('a label holding markup is shown as text, never run', async ({ page }) => {
  const editor = new EditorPage(page);
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const label = '<img src=x onerror=alert(1)>';
  await editor.goto(linkFor(JSON.stringify({ table: 'gpt', partitions: [{ type: 'esp', label, sizeMinBytes: 1048576 }] })));
  await expect(editor.shareDialog).toContainText(label);
  await editor.shareDialog.getByRole('button', { name: 'Open shared layout' }).click();
  await expect(editor.row(0)).toContainText(label);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(dialogs).toBe(0);
});
