import { describe, expect, it } from 'vitest';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { PRESETS } from './presets.ts';
import { PRESETS as NIXOS_PRESETS, presetLayout } from '../../workers/model/presets/index.ts';
import { decodeShareValue, encodeShareFragment, shareValue } from './share-link.ts';

const sixPartitions: ImageSpec = {
  table: 'gpt',
  sizeBytes: 8 * 1024 ** 3,
  seed: '0867da16-f251-457d-a9e8-c31f9a3c220b',
  partitions: [
    { type: 'esp', label: 'ESP', sizeMinBytes: 512 * 1024 ** 2, sizeMaxBytes: 512 * 1024 ** 2, format: 'vfat', sourceName: '10-esp.conf' },
    { type: 'root', label: 'nixos', sizeMinBytes: 2 * 1024 ** 3, weight: 3000, format: 'ext4', sourceName: '20-root.conf' },
    { type: 'swap', sizeMinBytes: 512 * 1024 ** 2, sizeMaxBytes: 1024 ** 3, format: 'swap', sourceName: '30-swap.conf' },
    { type: 'home', weight: 1000, paddingMinBytes: 16 * 1024 ** 2, paddingMaxBytes: 16 * 1024 ** 2, format: 'ext4', sourceName: '40-home.conf' },
    { type: 'linux-generic', label: 'data-a', sizeMinBytes: 64 * 1024 ** 2, copyFiles: [{ source: '/srv/data', target: '/' }] },
    { type: 'var', label: 'var', sizeMinBytes: 1024 ** 3, makeDirectories: ['/log', '/lib/machines'], format: 'btrfs' },
  ],
};

/** deflate-raw + base64url of any bytes, as a hostile link would carry them. */
async function rawLink(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const out = new Uint8Array(await new Response(stream).arrayBuffer());
  return btoa(String.fromCharCode(...out)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const link = (json: string) => rawLink(new TextEncoder().encode(json));

describe('share links', () => {
  it('round-trips a layout through the fragment', async () => {
    const fragment = await encodeShareFragment(sixPartitions);
    expect(fragment.startsWith('layout=')).toBe(true);
    const value = shareValue(`#${fragment}`);
    expect(value).toBeDefined();
    const read = await decodeShareValue(value!);
    expect(read).toEqual({ ok: true, spec: sixPartitions });
  });

  it('carries the first-boot settings ([X-Partwright-CloudInit]) and refuses a clear-text password in them', async () => {
    const spec: ImageSpec = {
      ...sixPartitions,
      cloudInit: { hostname: 'pi-kitchen', user: 'ada', passwordHash: '$6$salt$0123456789abcdef', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop'], wifiSsid: 'home', wifiPassword: 'correct horse', partition: 'ESP' },
    };
    const read = await decodeShareValue(shareValue(`#${await encodeShareFragment(spec)}`)!);
    expect(read).toEqual({ ok: true, spec });
    const bad = await decodeShareValue(await link(JSON.stringify({ table: 'gpt', cloudInit: { user: 'ada', passwordHash: 'hunter2' }, partitions: [] })));
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('cloudInit.passwordHash') });
  });

  it('keeps a 6-partition layout link under 2,000 characters', async () => {
    const url = `https://partwright.example/#${await encodeShareFragment(sixPartitions)}`;
    expect(url.length).toBeLessThan(2000);
  });

  it('round-trips every preset (the examples/ layouts)', async () => {
    expect(PRESETS.length).toBeGreaterThanOrEqual(4);
    for (const preset of PRESETS) {
      const spec = preset.spec();
      expect(spec.partitions.length).toBeGreaterThan(0);
      const read = await decodeShareValue(shareValue(await encodeShareFragment(spec))!);
      expect(read).toEqual({ ok: true, spec });
    }
  });

  it('round-trips every NixOS preset layout with its Preset=', async () => {
    for (const preset of NIXOS_PRESETS) {
      const spec = presetLayout(preset);
      const read = await decodeShareValue(shareValue(await encodeShareFragment(spec))!);
      expect(read).toEqual({ ok: true, spec });
      expect(read.ok && read.spec.preset).toBe(preset.name);
    }
  });

  it.each([
    ['unknown presets', link('{"table":"gpt","partitions":[],"preset":"vm-dsk"}'), /preset: must be one of .*vm-disk/],
    ['unknown keys', link('{"table":"gpt","partitions":[],"x":1}'), /unknown key "x"/],
    ['__proto__', link('{"table":"gpt","partitions":[{"type":"esp","__proto__":{"a":1}}]}'), /__proto__/],
    ['absurd sizes', link('{"table":"gpt","partitions":[{"type":"esp","sizeMinBytes":1e30}]}'), /sizeMinBytes/],
    ['negative sizes', link('{"table":"gpt","partitions":[{"type":"esp","sizeMinBytes":-1}]}'), /sizeMinBytes/],
    ['unknown types', link('{"table":"gpt","partitions":[{"type":"nope"}]}'), /unknown partition type/],
    ['labels with line breaks', link('{"table":"gpt","partitions":[{"type":"esp","label":"a\\nb"}]}'), /label/],
    ['invalid JSON', link('{'), /not valid JSON/],
    ['arrays', link('[]'), /must be a JSON object/],
    ['bad base64', '***', /base64url/],
    ['corrupt deflate', 'Z2FyYmFnZSE', /not a compressed layout/],
    ['bombs', link(`{"table":"gpt","partitions":[],"p":"${'a'.repeat(1_000_000)}"}`), /larger than/],
    ['long links', 'A'.repeat(40_000), /too long/],
    ['invalid UTF-8', rawLink(new Uint8Array([0x7b, 0xff, 0x7d])), /UTF-8/],
  ])('refuses %s with a message', async (_name, value, message) => {
    const read = await decodeShareValue(await value);
    expect(read.ok).toBe(false);
    if (!read.ok) {
      expect(read.message).toMatch(/^This share link cannot be opened: /);
      expect(read.message).toMatch(message);
      expect(read.message).toMatch(/Nothing was changed\.$/);
    }
  });

  it('finds the layout among other fragment parameters', () => {
    expect(shareValue('#a=1&layout=abc&b=2')).toBe('abc');
    expect(shareValue('#nothing')).toBeUndefined();
  });
});
