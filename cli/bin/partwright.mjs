#!/usr/bin/env node
// The `partwright` command: the TypeScript CLI (cli/main.ts) run through tsx's loader, so the CLI,
// the engine and the tests share one source with no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2));
