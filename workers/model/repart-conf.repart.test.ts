/**
 * Real systemd-repart (252, Debian's `systemd` package) as the oracle: exported directories with
 * Partwright's X- sections must be accepted and give the same partitions, and the severities the
 * importer reports must match what repart does with the same file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePartitionType } from './partition-types.ts';
import { exportRepartDirectory, parseRepartConf } from './repart-conf.ts';
import type { ImageSpec } from './spec.ts';

const M = 1024 ** 2;
const work = mkdtempSync(join(tmpdir(), 'partwright-repart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RepartPartition {
  type: string;
  label: string;
  raw_size: number;
  file: string;
}

let runs = 0;
function runRepart(files: { name: string; text: string }[]): { status: number | null; stdout: string; stderr: string } {
  const dir = join(work, `defs-${++runs}`);
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  const img = join(work, `img-${runs}.raw`); // --empty=create wants a path that does not exist yet
  const r = spawnSync(
    'systemd-repart',
    ['--empty=create', '--size=1G', '--dry-run=yes', `--definitions=${dir}`, '--json=short', '--no-pager', img],
    { encoding: 'utf8' },
  );
  rmSync(img, { force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SPECS: Record<string, ImageSpec> = {
  everything: {
    table: 'hybrid',
    sectorSizeBytes: 512,
    sizeBytes: 1024 * M,
    seed: '0867da16-f251-457d-a9e8-c31f9a3c220b',
    architecture: 'arm64',
    firstPartitionOffsetBytes: 16 * M,
    gpt: { entriesLba: 64, entryCount: 128 },
    mbr: { diskId: 0x2178694e, protectiveFirst: false },
    base: { source: 'base.img' },
    partitions: [
      { type: 'esp', label: 'FIRMWARE', mbrType: 0x0c, mbrBootable: true, hybridMbr: true, sizeMinBytes: 30 * M, sizeMaxBytes: 30 * M },
      { type: 'swap', label: 'swap', weight: 0, sizeMinBytes: 64 * M, priority: 5, paddingMinBytes: 4 * M, paddingMaxBytes: 4 * M },
      { type: 'linux-generic', label: 'NIXOS_SD', mbrType: 0x83, storePaths: ['/nix/store/aaaa-system'], weight: 2000, sizeMinBytes: 100 * M, flags: '0x1000000000000000' },
    ],
    blobs: [
      { name: 'idbloader', offsetBytes: 32 * 1024, source: 'idbloader.img' },
      { name: 'u-boot', offsetBytes: 8 * M, sizeBytes: 4 * M },
    ],
  },
  plain: {
    table: 'gpt',
    partitions: [
      { type: 'esp', sizeMinBytes: 64 * M, sizeMaxBytes: 64 * M },
      { type: 'root', label: 'root', sizeMinBytes: 100 * M, readOnly: true, growFileSystem: false, uuid: '01234567-89ab-4def-8123-456789abcdef' },
      { type: 'home', sizeMaxBytes: 300 * M, paddingWeight: 100, factoryReset: true, noAuto: true },
    ],
  },
};

describe('systemd-repart 252 accepts exported directories', () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    it(name, () => {
      const files = exportRepartDirectory(spec);
      expect(files.some((f) => f.text.includes('[X-'))).toBe(name !== 'plain');
      const r = runRepart(files);
      expect(r.stderr).not.toMatch(/Unknown|ignoring|refusing|Failed/);
      expect(r.status).toBe(0);
      const got = JSON.parse(r.stdout) as RepartPartition[];
      expect(got.map((p) => p.file)).toEqual(files.map((f) => f.name));
      const seen = new Map<string, number>();
      spec.partitions.forEach((p, i) => {
        const actual = got[i] as RepartPartition;
        // repart resolves generic names (root, usr) for the machine it runs on: x86-64 here.
        const id = resolvePartitionType(p.type, 'x86-64')?.known?.id ?? p.type;
        expect(actual.type).toBe(id);
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        expect(actual.label).toBe(p.label ?? (n === 1 ? id : `${id}-${n}`));
        const min = Math.floor((p.sizeMinBytes ?? 10 * M) / 4096) * 4096;
        expect(actual.raw_size).toBeGreaterThanOrEqual(min);
        if (p.sizeMaxBytes !== undefined) expect(actual.raw_size).toBeLessThanOrEqual(Math.ceil(p.sizeMaxBytes / 4096) * 4096);
      });
    });
  }
});

describe('importer severities match systemd-repart 252', () => {
  const cases = [
    'Foo=bar',
    'Weight=abc',
    'Weight=1000001',
    'Priority=x',
    'ReadOnly=maybe',
    'FactoryReset=',
    'UUID=zz',
    'Flags=0x10000000000000000',
    'Encrypt=rot13',
    `Label=${'x'.repeat(37)}`,
    'Label=%z',
    'no equals sign',
    '=value',
    '[Weird]\nA=b',
    'CopyBlocks=relative.img',
    'SizeMinBytes=12Q',
    'SizeMaxBytes=-1',
    'SizeMaxBytes=',
    'Format=a/b',
    'Type=rooot',
    'SizeMinBytes=2M\nSizeMaxBytes=1M',
    'SizeMinBytes=5000\nSizeMaxBytes=4500',
    'PaddingMinBytes=2M\nPaddingMaxBytes=1M',
    '[Bad',
    'Verity=data',
    'VerityMatchKey=x',
    'CopyBlocks=/x.img\nFormat=ext4',
  ];
  it.each(cases)('%s', (body) => {
    const text = `[Partition]\nType=esp\n${body}\n`;
    const ours = parseRepartConf('10-x.conf', text).diagnostics;
    const r = runRepart([{ name: '10-x.conf', text }]);
    const errors = ours.filter((d) => d.severity === 'error');
    if (ours.length === 0) {
      // repart may still log notices (rounding to 4096), which the importer skips.
      expect(r.stderr).not.toMatch(/ignoring|refusing|Failed/i);
      expect(r.status).toBe(0);
      return;
    }
    // repart fails exactly when we report an error, and names the same line.
    expect(r.status === 0).toBe(errors.length === 0);
    for (const d of errors.length ? errors : ours) expect(r.stderr).toContain(`10-x.conf:${d.line}: `);
  });
});
