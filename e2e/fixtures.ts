/**
 * The `test` every spec uses: the base URL of the server Playwright started (see playwright.config.ts)
 * and a check that the page logged no console errors and threw no uncaught exceptions.
 */
import { test as base, expect } from '@playwright/test';

const baseURL = process.env.PARTWRIGHT_URL;

export const test = base.extend<{ pageErrors: string[] }>({
  baseURL: async ({}, use) => {
    if (!baseURL) throw new Error('PARTWRIGHT_URL is not set: run the specs with `npx playwright test` so the server starts');
    await use(baseURL);
  },
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
      await use(errors);
      expect(errors, 'the page logged errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
