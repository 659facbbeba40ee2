/**
 * `npx tsx server/nix/main.ts --config nix-jobs.json [--port N]`: the Nix fallback job server on
 * 127.0.0.1 (API under /nix/, the binary cache under /nix/cache/). The token may come from
 * PARTWRIGHT_NIX_TOKEN instead of the file. SIGINT/SIGTERM stop it; running builds are queued again
 * and resume on the next start. A config example:
 *
 *   { "installables": { "sd-image": { "flake": "path:/srv/images#packages.aarch64-linux.sd" },
 *                       "hello":    { "file": "/srv/images/default.nix", "attr": "hello" } },
 *     "databaseFile": "/var/lib/partwright/nix-jobs.sqlite",
 *     "cacheDir": "/var/lib/partwright/cache",
 *     "secretKeyFile": "/var/lib/partwright/cache-key.sec",
 *     "submitToken": "…", "maxConcurrent": 1, "maxQueued": 8, "buildTimeoutSeconds": 3600 }
 */
import { parseArgs } from 'node:util';
import { loadNixJobConfig, validateNixJobConfig } from './config.ts';
import { startNixJobServer } from './http.ts';
import { NixJobService } from './job-service.ts';

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, port: { type: 'string' } }, strict: true });
  if (!values.config) {
    console.error('usage: npx tsx server/nix/main.ts --config FILE [--port N]');
    return 2;
  }
  let config = loadNixJobConfig(values.config);
  if (process.env.PARTWRIGHT_NIX_TOKEN) config = validateNixJobConfig({ ...config, submitToken: process.env.PARTWRIGHT_NIX_TOKEN });
  const service = new NixJobService(config);
  service.start();
  const server = await startNixJobServer({ service, port: Number(values.port ?? 8081) });
  console.log(`partwright nix jobs: ${server.url}/nix/ (cache at ${server.url}/nix/cache)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await service.close();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    console.error(`partwright nix jobs: ${(e as Error).message}`);
    process.exit(1);
  });
}
