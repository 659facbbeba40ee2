/**
 * `npm run test:boot`: only the boot tests. Boots run one at a time (TCG takes a core; two boots at
 * once on CI's two cores would double every boot's time).
 */
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['test/boot/**/*.boot.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
