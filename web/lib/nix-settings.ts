/**
 * The app's Nix settings and the job server beside it: which binary caches (`substituters`) and
 * keys (`trusted-public-keys`) a `StorePaths=` build reads, kept app-wide in IndexedDB; the job
 * server's allowlist and cache key (GET /nix/installables, same origin); jobs submitted with the
 * token (kept in sessionStorage for the tab, never in layouts or share links), their status and log.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import type { NixCacheSettings } from '../../workers/engine.ts';

export const NIXOS_CACHE = 'https://cache.nixos.org';
export const NIXOS_CACHE_KEY = 'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
/** Where `npm start -- --nix-config FILE` mounts the job server's cache. */
export const SERVER_CACHE_PATH = '/nix/cache';
const SETTINGS_KEY = 'nix-settings';
const TOKEN_KEY = 'partwright-nix-token';

export interface NixServerInfo {
  installables: string[];
  /** The server cache's `NAME:BASE64` key, when it says. */
  publicKey: string | undefined;
  /** Absolute URL of its binary cache. */
  cacheUrl: string;
}

export type NixJobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export interface NixJob {
  id: string;
  installable: string;
  state: NixJobState;
  outPaths: string[];
  cached: boolean;
  error: string | undefined;
}

export const TERMINAL_JOB_STATES: readonly NixJobState[] = ['succeeded', 'failed', 'cancelled'];

/** Words (URLs or keys) from a text field: whitespace or commas between them. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s !== '');
}

/** The job server beside the app, or undefined when this origin has none. */
export async function loadNixServer(origin = location.origin, fetchFn: typeof fetch = fetch): Promise<NixServerInfo | undefined> {
  try {
    const res = await fetchFn(`${origin}/nix/installables`, { headers: { accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return undefined;
    const body = (await res.json()) as { installables?: unknown; publicKey?: unknown };
    if (!Array.isArray(body.installables)) return undefined;
    return {
      installables: body.installables.filter((x): x is string => typeof x === 'string'),
      publicKey: typeof body.publicKey === 'string' ? body.publicKey : undefined,
      cacheUrl: `${origin}${SERVER_CACHE_PATH}`,
    };
  } catch {
    return undefined;
  }
}

/** The server's cache first (when there is one), then cache.nixos.org. */
export function defaultNixSettings(server: NixServerInfo | undefined): NixCacheSettings {
  const substituters = [NIXOS_CACHE];
  const trustedPublicKeys = [NIXOS_CACHE_KEY];
  if (server) {
    substituters.unshift(server.cacheUrl);
    if (server.publicKey) trustedPublicKeys.unshift(server.publicKey);
  }
  return { substituters, trustedPublicKeys };
}

/** Settings with the server's cache and key added when missing (what a server build needs). */
export function withServerCache(settings: NixCacheSettings, server: NixServerInfo): NixCacheSettings {
  const hasKey = !server.publicKey || settings.trustedPublicKeys.includes(server.publicKey);
  if (settings.substituters.includes(server.cacheUrl) && hasKey) return settings;
  return {
    substituters: settings.substituters.includes(server.cacheUrl) ? settings.substituters : [server.cacheUrl, ...settings.substituters],
    trustedPublicKeys: !server.publicKey || settings.trustedPublicKeys.includes(server.publicKey) ? settings.trustedPublicKeys : [server.publicKey, ...settings.trustedPublicKeys],
  };
}

let settingsStore: UseStore | undefined;
const store = () => (settingsStore ??= createStore('partwright-settings', 'settings'));

export async function loadNixSettings(): Promise<NixCacheSettings | undefined> {
  const v = (await get(SETTINGS_KEY, store()).catch(() => undefined)) as NixCacheSettings | undefined;
  return v && Array.isArray(v.substituters) && Array.isArray(v.trustedPublicKeys) ? v : undefined;
}

export async function saveNixSettings(settings: NixCacheSettings): Promise<void> {
  await set(SETTINGS_KEY, { substituters: [...settings.substituters], trustedPublicKeys: [...settings.trustedPublicKeys] }, store());
}

export function loadToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode without storage: the token stays in memory only.
  }
}

async function jobAnswer(res: Response): Promise<NixJob> {
  const body = (await res.json().catch(() => ({}))) as { job?: NixJob; error?: string };
  if (!res.ok || !body.job) {
    const why = body.error ?? `HTTP ${res.status}`;
    throw new Error(res.status === 401 ? `The server refused the token (${why}).` : res.status === 429 ? `The server's build queue is full; try again later (${why}).` : why);
  }
  return body.job;
}

/** POST /nix/jobs: queue a build of an allowlisted installable (or get the job already queued). */
export async function submitNixJob(installable: string, token: string, origin = location.origin): Promise<NixJob> {
  const res = await fetch(`${origin}/nix/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ installable }),
  });
  return jobAnswer(res);
}

/** POST /nix/jobs/ID/cancel: stop a queued or running build (the token is needed). */
export async function cancelNixJob(id: string, token: string, origin = location.origin): Promise<NixJob> {
  const res = await fetch(`${origin}/nix/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return jobAnswer(res);
}

export async function getNixJob(id: string, origin = location.origin): Promise<NixJob> {
  return jobAnswer(await fetch(`${origin}/nix/jobs/${encodeURIComponent(id)}`));
}

/** Streams the job's log (chunked text) until the job ends or `signal` aborts. */
export async function streamNixJobLog(id: string, onText: (text: string) => void, signal: AbortSignal, origin = location.origin): Promise<void> {
  const res = await fetch(`${origin}/nix/jobs/${encodeURIComponent(id)}/log`, { signal });
  if (!res.ok || !res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(value);
  }
}
