import { describe, expect, it } from 'vitest';
import { defaultNixSettings, loadNixServer, NIXOS_CACHE, NIXOS_CACHE_KEY, splitList, withServerCache } from './nix-settings.ts';

const server = { installables: ['hello'], publicKey: 'builds-1:AAAA', cacheUrl: 'http://127.0.0.1:8080/nix/cache' };

describe('Nix settings', () => {
  it('defaults to cache.nixos.org, after the job server cache beside the app when there is one', () => {
    expect(defaultNixSettings(undefined)).toEqual({ substituters: [NIXOS_CACHE], trustedPublicKeys: [NIXOS_CACHE_KEY] });
    expect(defaultNixSettings(server)).toEqual({ substituters: [server.cacheUrl, NIXOS_CACHE], trustedPublicKeys: ['builds-1:AAAA', NIXOS_CACHE_KEY] });
  });

  it('adds the server cache and key for a server build only when missing', () => {
    const s = { substituters: ['https://c.example'], trustedPublicKeys: ['c-1:BBBB'] };
    expect(withServerCache(s, server)).toEqual({ substituters: [server.cacheUrl, 'https://c.example'], trustedPublicKeys: ['builds-1:AAAA', 'c-1:BBBB'] });
    const already = defaultNixSettings(server);
    expect(withServerCache(already, server)).toBe(already);
  });

  it('splits lists on whitespace and commas', () => {
    expect(splitList(' a\n b, c  ')).toEqual(['a', 'b', 'c']);
    expect(splitList('')).toEqual([]);
  });

  it('finds the job server from GET /nix/installables, and none when the origin has no JSON there', async () => {
    const json = (body: unknown) => async () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    expect(await loadNixServer('http://x', json({ installables: ['hello', 3], publicKey: 'k-1:AA' }) as typeof fetch)).toEqual({ installables: ['hello'], publicKey: 'k-1:AA', cacheUrl: 'http://x/nix/cache' });
    expect(await loadNixServer('http://x', (async () => new Response('<html>', { headers: { 'content-type': 'text/html' } })) as typeof fetch)).toBeUndefined();
    expect(await loadNixServer('http://x', (async () => { throw new TypeError('offline'); }) as typeof fetch)).toBeUndefined();
  });
});
