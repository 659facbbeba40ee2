import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['workers/**/*.test.ts', 'cli/**/*.test.ts', 'server/**/*.test.ts', 'web/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Tests shell out to real tools (sfdisk, systemd-repart); two cores here.
    maxWorkers: 2,
  },
});
