import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests against the production build, served by the real server (server/main.ts) on a
 * free port, in Debian's Chromium (`apt-get install chromium`). Playwright never downloads a browser
 * here: set CHROMIUM_PATH to use another Chromium.
 */
export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    browserName: 'chromium',
    trace: 'on-first-retry',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: 'npx --no-install vite build --logLevel warn && exec npx --no-install tsx server/main.ts --port 0',
    // The server prints its URL; the named group lands in process.env.PARTWRIGHT_URL (e2e/fixtures.ts).
    wait: { stdout: /Partwright is running at (?<partwright_url>http:\/\/127\.0\.0\.1:\d+\/)/ },
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 120_000,
    reuseExistingServer: false,
  },
});
