import { expect, type Locator, type Page } from '@playwright/test';

/** The build panel's "Flash device" flow (web/components/FlashPanel.svelte). */
export class FlashPanel {
  readonly page: Page;
  readonly toggle: Locator;
  readonly panel: Locator;
  readonly note: Locator;
  readonly device: Locator;
  readonly partition: Locator;
  readonly flashButton: Locator;
  readonly progress: Locator;
  readonly done: Locator;
  readonly error: Locator;

  constructor(page: Page) {
    this.page = page;
    this.toggle = page.getByRole('button', { name: /^Flash device/ });
    this.panel = page.getByTestId('flash-panel');
    this.note = page.getByTestId('flash-note');
    this.device = page.getByTestId('flash-device');
    this.partition = page.getByRole('textbox', { name: 'Device partition' });
    this.flashButton = this.panel.getByRole('button', { name: 'Flash', exact: true });
    this.progress = page.getByTestId('flash-progress');
    this.done = page.getByTestId('flash-done');
    this.error = page.getByTestId('flash-error');
  }

  async open(): Promise<void> {
    await this.toggle.click();
    await expect(this.panel).toBeVisible();
  }

  /** "Connect device": the stand-in's requestDevice resolves at once; then the device info shows. */
  async connect(): Promise<void> {
    await this.panel.getByRole('button', { name: 'Connect device' }).click();
    await expect(this.device).toContainText('max-download-size');
  }

  async flash(): Promise<void> {
    await expect(this.flashButton).toBeEnabled();
    await this.flashButton.click();
  }
}
