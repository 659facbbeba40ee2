#!/usr/bin/env node
// The `partwright` command: runs the prebuilt bundle dist/cli/partwright.mjs (cli/main.ts and the
// engine, made by `npm run build` through scripts/build-cli.mjs). A missing or stale bundle (a fresh
// clone, an edited source) is rebuilt first; PARTWRIGHT_FROM_SOURCE=1 runs the TypeScript through
// tsx instead (development only: ~0.5 s slower to start).
import { ensureCliBundle } from '../../scripts/build-cli.mjs';

const bundle = process.env.PARTWRIGHT_FROM_SOURCE === '1' ? undefined : await ensureCliBundle();
let main;
if (bundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
