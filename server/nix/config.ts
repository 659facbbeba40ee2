/**
 * The Nix job server's configuration. Clients name an installable by its id in `installables`;
 * only those run, so no Nix code from a client is ever evaluated.
 */
import { readFileSync } from 'node:fs';

/** A flake output (`path:/srv/images#packages.x86_64-linux.sd`) or an attribute of an expression file. */
export type InstallableSpec = { flake: string } | { file: string; attr: string };

export interface NixJobConfig {
  /** id → what it builds. Ids are `[A-Za-z0-9._-]+`. */
  installables: Record<string, InstallableSpec>;
  /** Where the SQLite database lives. */
  databaseFile: string;
  /** The file binary cache `nix copy` fills and the server publishes. */
  cacheDir: string;
  /** A key from `nix-store --generate-binary-cache-key` (its public half goes to clients). */
  secretKeyFile: string;
  /** Bearer token for submitting and cancelling jobs. */
  submitToken: string;
  /** Builds at once (default 1). */
  maxConcurrent?: number;
  /** Jobs waiting beyond the running ones; more is HTTP 429 (default 8). */
  maxQueued?: number;
  /** `nix build --timeout` in seconds (default 3600). */
  buildTimeoutSeconds?: number;
  /** Keep at most this much log per job (default 4 MiB). */
  maxLogBytes?: number;
  /** `--store` for every nix call (a chroot store such as `/srv/nix-root`), else the default store. */
  store?: string;
  /** Extra environment for nix (NIX_CONF_DIR, NIX_CONFIG, …). */
  nixEnv?: Record<string, string>;
  /** The nix binary (default `nix`). */
  nixBin?: string;
  /** nix-cache-info `Priority`: lower is preferred; cache.nixos.org has 40 (default 41). */
  cachePriority?: number;
}

export const INSTALLABLE_ID = /^[A-Za-z0-9._-]{1,100}$/;

export function validateNixJobConfig(config: NixJobConfig): NixJobConfig {
  for (const [id, spec] of Object.entries(config.installables)) {
    if (!INSTALLABLE_ID.test(id)) throw new Error(`installable id "${id}" must match ${INSTALLABLE_ID}`);
    if ('flake' in spec) {
      if (!/^[^\s]+#[^\s]+$/.test(spec.flake)) throw new Error(`installable ${id}: flake "${spec.flake}" must be FLAKEREF#OUTPUT`);
    } else if (!spec.file || !/^[A-Za-z0-9_'".-]+$/.test(spec.attr)) {
      throw new Error(`installable ${id}: needs file and an attribute path`);
    }
  }
  if (!config.submitToken || config.submitToken.length < 16) throw new Error('submitToken must be at least 16 characters');
  return config;
}

export function loadNixJobConfig(file: string): NixJobConfig {
  return validateNixJobConfig(JSON.parse(readFileSync(file, 'utf8')) as NixJobConfig);
}

/** The arguments that name `spec` on a nix command line, with `suffix` appended to the attribute. */
export function installableArgs(spec: InstallableSpec, suffix = ''): string[] {
  return 'flake' in spec ? [`${spec.flake}${suffix}`] : ['-f', spec.file, `${spec.attr}${suffix}`];
}
