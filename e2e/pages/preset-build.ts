/**
 * Builds an engine preset in the app as a user does: its card on the start screen, a file (or a
 * folder, for contents) into each of its slots, Build, then the raw image downloaded. Locators only
 * (no `expect`): the Playwright specs and the boot tests (playwright-core under Vitest) share it.
 */
import type { Page } from 'playwright-core';

/** Slot path (the preset's input path, e.g. `/boot/vmlinuz`, `/rootfs`) → a host file or folder. */
export type PresetSlotFiles = Record<string, string>;

const POLL_MS = 200;

async function until(what: () => Promise<boolean>, timeoutMs: number, failure: () => Promise<string>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await what()) return;
    if (Date.now() > end) throw new Error(await failure());
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The start page, engine ready and the stored (first-run: empty) layout loaded. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('engine-status').filter({ hasText: 'Engine ready' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('save-status').filter({ hasText: /^saved$/ }).waitFor({ timeout: 60_000 });
}

/** Opens `nixos:<name>` from the start screen (shown on a first run; else through Presets…). */
export async function openPreset(page: Page, name: string): Promise<void> {
  const start = page.getByTestId('start-screen');
  if (!(await start.isVisible())) await page.getByTestId('preset').click();
  await page.locator(`[data-testid="preset-card"][data-preset="nixos:${name}"]`).first().click();
  await start.waitFor({ state: 'hidden' });
  await page.getByTestId('preset-inputs').waitFor();
}

/** Puts each file or folder into its slot and waits until the slot shows it staged. */
export async function fillPresetSlots(page: Page, files: PresetSlotFiles): Promise<void> {
  for (const [path, from] of Object.entries(files)) {
    const slot = page.locator(`[data-testid="preset-slot"][data-path="${path}"]`);
    await slot.locator('input[type="file"]').setInputFiles(from);
    await until(
      async () => !(await slot.getByTestId('slot-state').getAttribute('class'))?.includes('bad'),
      60_000,
      async () => `slot ${path} still shows: ${await slot.getByTestId('slot-state').textContent()}`,
    );
  }
}

export interface AppBuild {
  /** The whole image's SHA-256, when asked for. */
  sha256: string | undefined;
  /** The build's time as the app shows it. */
  seconds: number;
}

/** Builds (with the whole-image SHA-256 when `sha256`), waiting for the result; a blocker or failure throws with the app's words. */
export async function buildInApp(page: Page, options: { sha256?: boolean; timeoutMs?: number } = {}): Promise<AppBuild> {
  const status = page.getByTestId('build-status');
  const button = page.getByRole('button', { name: 'Build ▸' });
  const hash = page.getByLabel('whole-image SHA-256');
  if (options.sha256) await hash.check();
  else await hash.uncheck();
  await until(() => button.isEnabled(), 60_000, async () => `Build stays disabled: ${await status.textContent()}`);
  await button.click();
  const result = page.getByTestId('build-result');
  await until(
    async () => (await result.isVisible()) || ((await status.isVisible()) && /Build failed/.test((await status.textContent()) ?? '')),
    options.timeoutMs ?? 600_000,
    async () => `no build result: ${await status.textContent().catch(() => '')}`,
  );
  if (!(await result.isVisible())) throw new Error(((await status.textContent()) ?? 'build failed').trim());
  const line = (await result.locator('.line').first().textContent()) ?? '';
  const seconds = Number(/([\d.]+) s\b/.exec(line)?.[1] ?? NaN);
  const hashes = result.locator('.hash');
  return { sha256: (await hashes.count()) ? ((await hashes.first().getAttribute('title')) ?? undefined) : undefined, seconds };
}

/** Downloads the last build as a raw image into `to`. */
export async function downloadRaw(page: Page, to: string): Promise<void> {
  await page.getByTestId('output-format').selectOption('raw');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 600_000 }),
    page.getByTestId('build-result').getByRole('button', { name: 'Download' }).click(),
  ]);
  await download.saveAs(to);
}
