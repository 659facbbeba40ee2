/**
 * `npx tsx server/main.ts [--port N] [--root DIR] [--nix-config FILE]`: serves the built app on 127.0.0.1,
 * and with a Nix job configuration (or PARTWRIGHT_NIX_CONFIG) the Nix fallback build jobs under /nix/.
 * The port comes from `--port`, else `PORT`, else 8080; 0 picks any free port. `npm start` runs this
 * after building (scripts/start.sh).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startStaticServer } from './static.ts';
import { createNixJobHandler, loadNixJobConfig, NixJobService, validateNixJobConfig } from './nix/index.ts';

const DEFAULT_PORT = 8080;
const DEFAULT_ROOT = fileURLToPath(new URL('../dist/web', import.meta.url));

function parsePort(text: string, from: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new Error(`${from} must be a port number from 0 to 65535 (0 picks a free port), not "${text}"`);
  }
  return port;
}

export async function main(argv: readonly string[]): Promise<number> {
  let port: number;
  let rootDir: string;
  let nixConfig: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { port: { type: 'string' }, root: { type: 'string' }, 'nix-config': { type: 'string' } },
      strict: true,
    });
    port =
      values.port !== undefined
        ? parsePort(values.port, '--port')
        : process.env.PORT
          ? parsePort(process.env.PORT, 'PORT')
          : DEFAULT_PORT;
    rootDir = values.root ?? DEFAULT_ROOT;
    nixConfig = values['nix-config'] ?? process.env.PARTWRIGHT_NIX_CONFIG;
  } catch (error) {
    console.error(`partwright server: ${(error as Error).message}`);
    console.error('usage: npx tsx server/main.ts [--port N] [--root DIR] [--nix-config FILE]');
    return 2;
  }

  if (!existsSync(`${rootDir}/index.html`)) {
    console.error(`partwright server: ${rootDir}/index.html not found; build the app first with: npx vite build`);
    return 1;
  }

  // The Nix fallback build jobs (server/nix/) beside the app, when configured.
  let nix: { service: NixJobService; handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> } | undefined;
  if (nixConfig !== undefined) {
    let config = loadNixJobConfig(nixConfig);
    if (process.env.PARTWRIGHT_NIX_TOKEN) config = validateNixJobConfig({ ...config, submitToken: process.env.PARTWRIGHT_NIX_TOKEN });
    const service = new NixJobService(config);
    service.start();
    nix = { service, handler: createNixJobHandler({ service }) };
  }

  let running;
  try {
    running = await startStaticServer({ rootDir, port, ...(nix ? { before: nix.handler } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      console.error(`partwright server: port ${port} is in use; choose another with --port N or PORT=N (0 = any free port)`);
      return 1;
    }
    throw error;
  }

  console.log(`Partwright is running at ${running.url}`);
  if (nix) console.log(`Nix build jobs at ${running.url}nix/ (binary cache at ${running.url}nix/cache)`);
  const stop = (): void => {
    void running.close().then(async () => {
      await nix?.service.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
