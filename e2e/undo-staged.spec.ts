/**
 * Issue 14: Undo brings back the staged files an action removed. A removed file of a staged folder,
 * a removed CopyFiles= entry (its whole staged folder) and a removed input file come back with Undo,
 * also after a reload; their bytes are deleted only once the step can no longer be undone.
 */
import { expect, test } from './fixtures.ts';
import { EditorPage } from './pages/editor-page.ts';

/** The OPFS folders staged for the open layout (`%2Fcontent`, `.trash`). */
async function opfsFolders(page: import('@playwright/test').Page, layout: string): Promise<string[]> {
  return page.evaluate(async (name) => {
    let dir = await navigator.storage.getDirectory();
    try {
      for (const part of ['contents', encodeURIComponent(name)]) dir = await dir.getDirectoryHandle(part);
    } catch {
      return [];
    }
    const out: string[] = [];
    for await (const [n, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) if (h.kind === 'directory') out.push(n);
    return out.sort();
  }, layout);
}

test('undo restores a removed staged file and a removed CopyFiles= folder; their bytes stay until the step is gone', async ({ page }) => {
  test.setTimeout(90_000);
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('esp-vfat');
  await editor.selectRow(0);
  const entry = editor.contentsEntries.first();
  await expect(entry).toContainText('/content');
  await expect(entry).toContainText('4 files');
  await editor.waitForSaved();

  // One file of the staged folder: removed, then Undo (the toast's) puts it back, bytes and all.
  await entry.locator('summary').click();
  await entry.getByRole('button', { name: 'Remove /loader/loader.conf' }).click();
  await expect(entry).toContainText('3 files');
  await expect(editor.undoToast).toContainText('Removed loader/loader.conf from /content');
  await editor.undoToast.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('4 files');
  await expect(entry.getByTestId('contents-tree').getByTitle('/loader/loader.conf')).toHaveText('loader.conf');
  // Redo removes it again, Undo once more brings it back.
  await page.getByTestId('redo').click();
  await expect(entry).toContainText('3 files');
  await page.getByTestId('undo').click();
  await expect(entry).toContainText('4 files');

  // The whole CopyFiles= entry: its folder is not deleted while Undo can bring it back.
  await page.getByRole('button', { name: 'Remove /content' }).click();
  await expect(editor.contentsEntries).toHaveCount(0);
  expect(await opfsFolders(page, 'esp-vfat')).toContain(encodeURIComponent('/content'));
  await editor.undoToast.getByRole('button', { name: 'Undo' }).click();
  await expect(editor.contentsEntries).toHaveCount(1);
  await expect(editor.contentsEntries.first()).toContainText('4 files');
  await expect(editor.buildStatus).not.toContainText('Add the contents');
  await expect(editor.buildButton).toBeEnabled();
  await editor.waitForSaved();

  // Staged in OPFS: a reload keeps the restored files.
  await page.reload();
  await editor.waitForReady(false);
  await editor.selectRow(0);
  await expect(editor.contentsEntries.first()).toContainText('4 files');

  // Removed for good: after a reload (the history is gone) the folder's bytes are freed.
  await page.getByRole('button', { name: 'Remove /content' }).click();
  await expect(editor.contentsEntries).toHaveCount(0);
  await editor.waitForSaved();
  await page.reload();
  await editor.waitForReady(false);
  await expect.poll(() => opfsFolders(page, 'esp-vfat')).toEqual([]);
});

test('undo restores a removed input file', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.goto();
  await editor.waitForReady();
  await editor.loadPreset('blobs-at-offsets');
  const slot = page.locator('[data-testid="input-slot"][data-path="blobs/spl.bin"]');
  await expect(slot).toContainText('spl.bin ·');
  await slot.getByRole('button', { name: 'Remove' }).click();
  await expect(slot).toContainText('missing');
  await expect(editor.buildButton).toBeDisabled();
  await expect(editor.undoToast).toContainText('Removed file blobs/spl.bin');
  await editor.undoToast.getByRole('button', { name: 'Undo' }).click();
  await expect(slot).toContainText('spl.bin ·');
  await expect(editor.buildButton).toBeEnabled();
});
