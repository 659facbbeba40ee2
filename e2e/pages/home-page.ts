import { expect, type Locator, type Page } from '@playwright/test';

/** The foundation page: engine status line and the partition type list. */
export class HomePage {
  readonly page: Page;
  readonly heading: Locator;
  readonly engineStatus: Locator;
  readonly search: Locator;
  readonly typeRows: Locator;
  readonly typeCount: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
    this.engineStatus = page.getByTestId('engine-status');
    this.search = page.getByRole('searchbox', { name: 'Search partition types' });
    this.typeRows = page.getByTestId('type-row');
    this.typeCount = page.getByTestId('type-count');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
  }

  async waitForEngine(): Promise<void> {
    await expect(this.engineStatus).toContainText('Engine ready');
  }

  async filter(query: string): Promise<void> {
    await this.search.fill(query);
  }

  /** The type ids in the visible rows, in order. */
  async visibleTypeIds(): Promise<string[]> {
    return this.typeRows.locator('td:first-child').allTextContents();
  }
}
