/**
 * The cloud-init NoCloud seed: Debian's cloud-init accepts the user-data (`cloud-init schema`) and
 * parses the network-config with its own parser; a built vfat partition holds the three files at its
 * root, read back with mtools; bad settings are refused with what to fix.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCloudInitSeed, validateCloudInit, type CloudInitSpec } from '../model/cloud-init.ts';
import type { ImageSpec } from '../model/spec.ts';
import { requireTools } from '../test-support/debian.ts';
import { buildImage } from './build-image.ts';
import { cloudInitTrees, withCloudInitSeed } from './cloud-init-seed.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pw-cloud-init-'));
beforeAll(() => requireTools('cloud-init', 'mdir', 'mtype', 'fsck.fat', 'python3'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETTINGS: CloudInitSpec = {
  hostname: 'pi-kitchen',
  user: 'ada',
  // openssl passwd -6 -salt partwright hunter2
  passwordHash: '$6$partwright$7x7nO0zWbQ8WGh0S0nq8cVv8yGkq6oB3yq1m8C2t7o6cX1E7R1w3xQe7b8W7Yx0i7Y0t2r8e5Q9Z0p3s4u5v6.',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop'],
  wifiSsid: 'Kitchen "5G" #1',
  wifiPassword: 'correct horse: battery',
  wifiCountry: 'GB',
  locale: 'en_GB.UTF-8',
  timezone: 'Europe/London',
};

function run(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('cloud-init NoCloud seed', () => {
  it('user-data passes `cloud-init schema`, network-config parses with cloud-init, values come back as given', () => {
    const seed = makeCloudInitSeed(SETTINGS);
    const userData = join(tmp, 'user-data');
    writeFileSync(userData, seed['user-data']);
    const schema = run('cloud-init', ['schema', '--config-file', userData]);
    expect(schema.status, schema.out).toBe(0);
    expect(schema.out).toContain('Valid cloud-config');

    const network = join(tmp, 'network-config');
    writeFileSync(network, seed['network-config']!);
    const py = `
import json, sys, yaml
from cloudinit.net import network_state
cfg = yaml.safe_load(open(sys.argv[1]))
ns = network_state.parse_net_config_data(cfg)
ud = yaml.safe_load(open(sys.argv[2]))
print(json.dumps({"wifis": cfg["wifis"], "version": ns.version, "user": ud["users"][0], "hostname": ud["hostname"], "locale": ud["locale"]}))`;
    const parsed = run('/usr/bin/python3', ['-c', py, network, userData]);
    expect(parsed.status, parsed.out).toBe(0);
    const r = JSON.parse(parsed.out.trim().split('\n').at(-1)!) as { wifis: Record<string, { 'access-points': Record<string, { password: string }> }>; version: number; user: Record<string, unknown>; hostname: string; locale: string };
    expect(r.version).toBe(2);
    expect(r.wifis['wlan0']!['access-points']).toEqual({ 'Kitchen "5G" #1': { password: 'correct horse: battery' } });
    expect(r.user).toMatchObject({ name: 'ada', passwd: SETTINGS.passwordHash, lock_passwd: false, ssh_authorized_keys: SETTINGS.sshAuthorizedKeys });
    expect(r.hostname).toBe('pi-kitchen');
    expect(seed['meta-data']).toMatch(/^instance-id: partwright-[0-9a-f]{16}\nlocal-hostname: "pi-kitchen"\n$/);
    // Same settings, same seed; other settings, another instance ID.
    expect(makeCloudInitSeed(SETTINGS)).toEqual(seed);
    expect(makeCloudInitSeed({ ...SETTINGS, hostname: 'pi-hall' })['meta-data']).not.toBe(seed['meta-data']);
  });

  it('goes into a built FIRMWARE partition: mtools reads user-data, meta-data and network-config at its root', () => {
    const spec: ImageSpec = {
      table: 'mbr',
      sizeBytes: 80 * 1024 * 1024,
      partitions: [
        { type: 'linux-generic', label: 'FIRMWARE', format: 'vfat', sizeMinBytes: 64 * 1024 * 1024, sizeMaxBytes: 64 * 1024 * 1024, mbrType: 0x0c },
        { type: 'linux-generic', label: 'root', sizeMinBytes: 8 * 1024 * 1024 },
      ],
    };
    const { plan, image } = buildImage(spec, { open: () => { throw new Error('no files'); } }, { extraTrees: { 0: cloudInitTrees(SETTINGS) } });
    const part = plan.partitions[0]!;
    const fat = join(tmp, 'firmware.vfat');
    const fd = openSync(fat, 'w');
    for (let at = 0; at < part.sizeBytes; at += 1 << 20) {
      const n = Math.min(1 << 20, part.sizeBytes - at);
      writeSync(fd, image.read(part.offsetBytes + at, n), 0, n, at);
    }
    closeSync(fd);
    // 64 MiB: FAT32 with more than 65 525 clusters, which mtools needs to read it as FAT32.
    const fsck = run('fsck.fat', ['-n', fat]);
    expect(fsck.status, fsck.out).toBe(0);
    const dir = run('mdir', ['-b', '-i', fat, '::/']);
    expect(dir.status, dir.out).toBe(0);
    expect(dir.out.split('\n').filter(Boolean).sort()).toEqual(['::/meta-data', '::/network-config', '::/user-data']);
    const seed = makeCloudInitSeed(SETTINGS);
    for (const name of ['user-data', 'meta-data', 'network-config'] as const) {
      const text = run('mtype', ['-i', fat, `::/${name}`]);
      expect(text.out).toBe(seed[name]);
    }
  });

  it('[X-Partwright-CloudInit] in the layout says which vfat partition gets the seed (Partition=), else CIDATA, else the ESP/FIRMWARE', () => {
    const partitions: ImageSpec['partitions'] = [
      { type: 'esp', label: 'ESP', format: 'vfat' },
      { type: 'linux-generic', label: 'CIDATA', format: 'vfat' },
      { type: 'linux-generic', label: 'SEED2', format: 'vfat' },
      { type: 'root', format: 'ext4' },
    ];
    const into = (cloudInit: ImageSpec['cloudInit']) => Object.keys(withCloudInitSeed({ table: 'gpt', partitions, ...(cloudInit ? { cloudInit } : {}) }, {})).map(Number);
    expect(into(undefined)).toEqual([]);
    expect(into({ hostname: 'pi' })).toEqual([1]);
    expect(into({ hostname: 'pi', partition: 'SEED2' })).toEqual([2]);
    expect(into({ hostname: 'pi', partition: 'ESP' })).toEqual([0]);
    // Partition= alone is no seed.
    expect(into({ partition: 'ESP' })).toEqual([]);
    expect(() => into({ hostname: 'pi', partition: 'root' })).toThrow('Partition root is not vfat (Format=ext4)');
    expect(() => into({ hostname: 'pi', partition: 'nope' })).toThrow('No partition is labelled nope');
    const trees = withCloudInitSeed({ table: 'gpt', partitions, cloudInit: { hostname: 'pi', partition: 'SEED2' } }, { 2: [] })[2]!;
    expect(trees.map((t) => t.target).sort()).toEqual(['/meta-data', '/user-data']);
  });

  it('refuses settings cloud-init would not take, saying what to fix', () => {
    const problems = validateCloudInit({ hostname: '-bad-', user: 'Ada', passwordHash: 'hunter2', sshAuthorizedKeys: ['not a key'], wifiSsid: 'x'.repeat(33), wifiPassword: 'short', wifiCountry: 'gb', locale: 'english' });
    expect(problems.map((p) => p.field)).toEqual(['hostname', 'user', 'passwordHash', 'sshAuthorizedKeys', 'wifiSsid', 'wifiPassword', 'wifiCountry', 'locale']);
    expect(problems.find((p) => p.field === 'passwordHash')!.message).toContain('a plain password is never written');
    expect(() => cloudInitTrees({ wifiPassword: 'correct horse' })).toThrow('A Wi-Fi password needs a network name.');
  });
});
