/**
 * Parity with the real systemd-repart 252: each layout is written as repart.d files, repart builds
 * the table on a regular file, `sfdisk --json` reads it back, and every field is compared with what
 * `planImage` computes for the same spec. Nothing expected here is hand-written.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { minimumDiskSize, planImage } from './plan-image.ts';
import { isPartwrightError } from '../model/errors.ts';
import type { ExistingDisk } from './types.ts';
import { requireTools } from '../test-support/debian.ts';
import {
  REPART, parseSfdiskAttrs, runRepartCreate, runRepartDryRun, runRepartOnBaseImage, systemdFormatBytes,
  type SfdiskTable,
} from './test-support/repart-oracle.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SEEDS = [
  '0123456789abcdef0123456789abcdef',
  '0867da16-f251-457d-a9e8-c31f9a3c220b',
  'a1b2c3d4-e5f6-4789-8abc-def012345678',
];

interface Case {
  name: string;
  size: number | 'auto';
  partitions: PartitionSpec[];
  seed?: string;
}

const many: PartitionSpec[] = Array.from({ length: 40 }, (_, i) => ({
  type: i % 7 === 0 ? 'home' : i % 5 === 0 ? 'swap' : 'linux-generic',
  sizeMinBytes: (1 + (i % 4)) * MiB + i * 4096 + (i % 3) * 1000,
  ...(i % 6 === 0 ? { sizeMaxBytes: 8 * MiB + i * 777 } : {}),
  weight: (i * 137) % 2000,
  ...(i % 9 === 0 ? { paddingMinBytes: 100_000, paddingWeight: 10 } : {}),
}));

const CASES: Case[] = [
  {
    name: 'weights example (FACTS.md)',
    size: GiB,
    partitions: [
      { type: 'esp', sizeMinBytes: 100 * MiB, sizeMaxBytes: 100 * MiB },
      { type: 'root', weight: 1000, sizeMinBytes: 100 * MiB },
      { type: 'home', weight: 3000 },
      { type: 'swap', weight: 500, sizeMaxBytes: 64 * MiB },
    ],
  },
  {
    name: '--size=auto example (FACTS.md)',
    size: 'auto',
    partitions: [
      { type: 'esp', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB },
      { type: 'root', sizeMinBytes: 100 * MiB },
      { type: 'root', sizeMinBytes: 10 * MiB },
    ],
  },
  {
    name: 'rounding directions of size4096',
    size: 200 * MiB,
    partitions: [
      { type: 'linux-generic', sizeMinBytes: 10_000_000, sizeMaxBytes: 10_000_000 },
      { type: 'linux-generic', sizeMinBytes: 10_000_000, weight: 0 },
      { type: 'linux-generic', sizeMinBytes: 4097, sizeMaxBytes: 4097 },
      { type: 'linux-generic', sizeMinBytes: 5 * MiB, paddingMinBytes: 3_000_000, paddingMaxBytes: 3_000_000, weight: 0 },
      { type: 'linux-generic', sizeMaxBytes: 20_000_000 },
      { type: 'linux-generic', sizeMaxBytes: 5_000_000, weight: 0 },
    ],
  },
  {
    name: 'implicit 10 MiB minimum below SizeMaxBytes',
    size: 'auto',
    partitions: [{ type: 'srv', sizeMaxBytes: 5_000_000 }, { type: 'var' }, { type: 'tmp', sizeMinBytes: 1 }],
  },
  {
    name: 'padding weights share the space',
    size: 300 * MiB,
    partitions: [
      { type: 'root', sizeMinBytes: 20 * MiB, paddingWeight: 500 },
      { type: 'home', weight: 2000, paddingWeight: 1000, paddingMaxBytes: 7 * MiB + 123 },
      { type: 'var', weight: 10, paddingMinBytes: 1_000_001 },
    ],
  },
  {
    name: 'padding with weight 0 partitions and padding caps',
    size: 128 * MiB,
    partitions: [
      { type: 'linux-generic', weight: 0, sizeMinBytes: 12 * MiB, paddingWeight: 1 },
      { type: 'linux-generic', weight: 0, paddingWeight: 3, paddingMaxBytes: 9 * MiB },
      { type: 'swap', weight: 0, sizeMinBytes: 4 * MiB },
    ],
  },
  {
    name: 'everything weight 0: leftovers go to the first partition that can grow',
    size: 100 * MiB,
    partitions: [
      { type: 'esp', weight: 0, sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB },
      { type: 'root', weight: 0, sizeMinBytes: 20 * MiB },
      { type: 'home', weight: 0, sizeMinBytes: 20 * MiB },
    ],
  },
  {
    name: 'all capped: the rest of the disk stays free',
    size: 256 * MiB,
    partitions: [
      { type: 'esp', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB },
      { type: 'root', sizeMaxBytes: 100 * MiB + 1 },
    ],
  },
  {
    name: 'min caps beat weight shares (overcharge) and max caps (undercharge)',
    size: 512 * MiB,
    partitions: [
      { type: 'root', weight: 1, sizeMinBytes: 200 * MiB },
      { type: 'usr', weight: 5000, sizeMaxBytes: 50 * MiB },
      { type: 'home', weight: 3000 },
      { type: 'var', weight: 1000, sizeMinBytes: 30 * MiB, sizeMaxBytes: 90 * MiB },
      { type: 'tmp', weight: 7 },
    ],
  },
  {
    name: 'priorities that still fit',
    size: 300 * MiB,
    partitions: [
      { type: 'esp', sizeMinBytes: 50 * MiB, priority: 10 },
      { type: 'root', sizeMinBytes: 100 * MiB, priority: 5 },
      { type: 'home', sizeMinBytes: 50 * MiB, priority: -3 },
    ],
  },
  {
    name: 'every x86-64 type and a raw GUID',
    size: 'auto',
    seed: SEEDS[1],
    partitions: [
      'root', 'root-verity', 'root-verity-sig', 'usr', 'usr-verity', 'usr-verity-sig', 'esp', 'xbootldr', 'swap',
      'home', 'srv', 'var', 'tmp', 'user-home', 'linux-generic', '21686148-6449-6e6f-744e-656564454649',
      'root-secondary', 'usr-secondary-verity',
    ].map((type) => ({ type, sizeMinBytes: 2 * MiB })),
  },
  {
    name: 'other architectures',
    size: 400 * MiB,
    seed: SEEDS[2],
    partitions: [
      'root-arm64', 'usr-arm64-verity', 'root-riscv64', 'usr-riscv64', 'root-ppc64-le-verity-sig', 'usr-s390x',
      'root-loongarch64', 'root-x86', 'root-arm', 'usr-ia64-verity', 'root-mips64-le', 'root-arm64',
    ].map((type, i) => ({ type, weight: 100 * (i + 1) })),
  },
  {
    name: 'labels given and defaulted with repeats',
    size: 'auto',
    partitions: [
      { type: 'root', label: 'root-x86-64' },
      { type: 'root' },
      { type: 'root', label: 'root-x86-64-3' },
      { type: 'root' },
      { type: 'home', label: 'Home Ä ünïcode' },
      { type: 'home' },
      { type: '0fc63daf-8483-4772-8e79-3d69d8477de4' },
      { type: '21686148-6449-6e6f-744e-656564454649' },
      { type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7' },
      { type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7' },
      { type: 'esp', label: 'abcdefghijklmnopqrstuvwxyz0123456789' },
    ],
  },
  {
    name: 'explicit UUIDs and per-type counters',
    size: 'auto',
    seed: SEEDS[2],
    partitions: [
      { type: 'esp' },
      { type: 'root', uuid: '11111111-2222-4333-8444-555555555555' },
      { type: 'esp' },
      { type: 'root' },
      { type: 'root', uuid: 'AABBCCDDEEFF00112233445566778899' },
      { type: 'root' },
    ],
  },
  {
    name: 'Flags=, ReadOnly=, NoAuto=, GrowFileSystem=',
    size: 'auto',
    partitions: [
      { type: 'root', flags: '1' },
      { type: 'root', flags: '0x1000000000000' },
      { type: 'root', growFileSystem: false },
      { type: 'swap', flags: '0x8000000000000000', noAuto: false },
      { type: 'home', flags: '0x4' },
      { type: 'root', readOnly: true, flags: '0x0800000000000000' },
      { type: 'usr', readOnly: true },
      { type: 'root-verity' },
      { type: 'usr-verity', readOnly: false },
      { type: 'linux-generic', noAuto: true, readOnly: true, growFileSystem: true },
      { type: 'srv', noAuto: true },
      { type: 'xbootldr', readOnly: false },
      { type: 'esp', flags: '0xf000000000000000' },
      { type: 'var', flags: '01000000000000000000000' },
      { type: 'tmp', readOnly: true, growFileSystem: true },
    ],
  },
  { name: '40 partitions', size: 'auto', seed: SEEDS[1], partitions: many },
  { name: '40 partitions on a larger disk', size: 1 * GiB + 12345 * 512, seed: SEEDS[2], partitions: many },
  {
    name: 'disk size not a multiple of the grain',
    size: 100 * MiB + 3 * 512,
    partitions: [{ type: 'esp', sizeMinBytes: 33 * MiB, sizeMaxBytes: 33 * MiB }, { type: 'root' }, { type: 'swap', sizeMaxBytes: 9_999_999 }],
  },
  {
    name: 'large sparse disk with weights',
    size: 64 * GiB,
    seed: SEEDS[1],
    partitions: [
      { type: 'esp', sizeMinBytes: 512 * MiB, sizeMaxBytes: 512 * MiB },
      { type: 'root', weight: 333, sizeMaxBytes: 20 * GiB + 17 },
      { type: 'home', weight: 777, paddingWeight: 11 },
      { type: 'swap', weight: 99 },
    ],
  },
  {
    name: 'auto size with padding and odd minimums',
    size: 'auto',
    seed: SEEDS[2],
    partitions: [
      { type: 'esp', sizeMinBytes: 3_333_333, paddingMinBytes: 1_234_567 },
      { type: 'root', sizeMinBytes: 77_777_777, paddingMinBytes: 8191 },
      { type: 'home', sizeMinBytes: 4095 },
    ],
  },
  {
    name: 'exact fit at a fixed size',
    size: 183_521_280,
    partitions: [
      { type: 'esp', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB },
      { type: 'root', sizeMinBytes: 100 * MiB },
      { type: 'root', sizeMinBytes: 10 * MiB },
    ],
  },
];

// The oracle must be there: installed as root (Debian `systemd`), a failure otherwise — never a skip.
requireTools('systemd-repart', 'sfdisk');

describe('planImage matches systemd-repart 252', () => {
  it('has at least 20 layouts', () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  for (const c of CASES) {
    it(c.name, () => {
      const spec: ImageSpec = { table: 'gpt', repartVersion: '252', seed: c.seed ?? SEEDS[0], sizeBytes: c.size, partitions: c.partitions };
      const real = runRepartCreate(spec, c.size);
      expect(real.status, real.stderr).toBe(0);
      const table = real.table!;
      const plan = planImage(spec);

      expect(plan.diskSizeBytes).toBe(real.imageSizeBytes);
      if (c.size === 'auto') expect(minimumDiskSize(spec)).toBe(real.imageSizeBytes);
      expect(table.label).toBe('gpt');
      expect(plan.diskGuid).toBe(table.id.toLowerCase());
      expect(plan.gpt!.firstUsableLba).toBe(table.firstlba);
      expect(plan.gpt!.lastUsableLba).toBe(table.lastlba);
      expect(plan.sectorSizeBytes).toBe(table.sectorsize);

      const got = plan.partitions.map((p) => ({
        start: p.offsetBytes / 512,
        size: p.sizeBytes / 512,
        type: p.typeGuid,
        uuid: p.uuid,
        name: p.label,
        attrs: p.attributes.toString(16),
      }));
      const want = (table.partitions ?? []).map((p) => ({
        start: p.start,
        size: p.size,
        type: p.type.toLowerCase(),
        uuid: p.uuid.toLowerCase(),
        name: p.name ?? '',
        attrs: parseSfdiskAttrs(p.attrs).toString(16),
      }));
      expect(got).toEqual(want);
      // sfdisk lists by table slot; the plan's numbers must be those slots.
      expect(plan.partitions.map((p) => p.partitionNumber)).toEqual(want.map((_, i) => i + 1));
    });
  }
});

/** Priority drops: v252 crashes writing after a drop, so compare with its dry-run JSON plan. */
describe('priority drops match repart dry runs', () => {
  const dropCases: { name: string; size: number; partitions: PartitionSpec[] }[] = [
    {
      name: 'highest priority first, then the next',
      size: 100 * MiB,
      partitions: [
        { type: 'esp', sizeMinBytes: 64 * MiB, priority: 0 },
        { type: 'root', sizeMinBytes: 100 * MiB, priority: 10 },
        { type: 'home', sizeMinBytes: 10 * MiB, priority: 5 },
        { type: 'root', sizeMinBytes: 5 * MiB },
      ],
    },
    {
      name: 'same priority drops together; labels still count dropped partitions',
      size: 150 * MiB,
      partitions: [
        { type: 'root', sizeMinBytes: 60 * MiB, priority: 3 },
        { type: 'home', sizeMinBytes: 60 * MiB, priority: 3 },
        { type: 'root', sizeMinBytes: 60 * MiB, priority: 1 },
        { type: 'home', sizeMinBytes: 20 * MiB, priority: 1, weight: 3000 },
        { type: 'swap', sizeMinBytes: 20 * MiB, priority: -5 },
      ],
    },
  ];
  for (const c of dropCases) {
    it(c.name, () => {
      const spec: ImageSpec = { table: 'gpt', repartVersion: '252', seed: SEEDS[0], sizeBytes: c.size, partitions: c.partitions };
      const real = runRepartDryRun(spec, c.size);
      expect(real.status, real.stderr).toBe(0);
      const plan = planImage(spec);
      expect(plan.dropped.length).toBeGreaterThan(0);
      expect(plan.partitions.map((p) => ({
        label: p.label, uuid: p.uuid, offset: p.offsetBytes, raw_size: p.sizeBytes, raw_padding: p.paddingBytes,
      }))).toEqual(real.entries.map((e) => ({
        label: e.label, uuid: e.uuid, offset: e.offset, raw_size: e.raw_size, raw_padding: e.raw_padding,
      })));
    });
  }
});

describe("doesn't-fit errors name repart's minimum", () => {
  const failing: { name: string; size: number; partitions: PartitionSpec[] }[] = [
    {
      name: 'nothing droppable',
      size: 100 * MiB,
      partitions: [{ type: 'esp', sizeMinBytes: 64 * MiB }, { type: 'root', sizeMinBytes: 64 * MiB }],
    },
    {
      name: 'dropped partitions are left out of the minimum',
      size: 100 * MiB,
      partitions: [
        { type: 'esp', sizeMinBytes: 64 * MiB },
        { type: 'root', sizeMinBytes: 100 * MiB, priority: 10 },
        { type: 'home', sizeMinBytes: 10 * MiB, priority: 5 },
        { type: 'var', sizeMinBytes: 200 * MiB },
      ],
    },
  ];
  for (const c of failing) {
    it(c.name, () => {
      const spec: ImageSpec = { table: 'gpt', repartVersion: '252', seed: SEEDS[0], sizeBytes: c.size, partitions: c.partitions };
      const real = runRepartDryRun(spec, c.size);
      expect(real.status).not.toBe(0);
      const free = /available free space \(([^)]+)\)/.exec(real.stderr)?.[1];
      const minimum = /minimal disk image size as ([^,]+),/.exec(real.stderr)?.[1];
      expect(free).toBeDefined();
      expect(minimum).toBeDefined();
      let error: unknown;
      try {
        planImage(spec);
      } catch (e) {
        error = e;
      }
      expect(isPartwrightError(error)).toBe(true);
      if (!isPartwrightError(error)) return;
      expect(error.code).toBe('does-not-fit');
      expect(error.message).toMatch(/^Can't fit requested partitions into available free space .*; the minimum disk size is /);
      const minimumSizeBytes = error.detail.minimumSizeBytes!;
      expect(systemdFormatBytes(minimumSizeBytes)).toBe(minimum);
      expect(error.message).toContain(`the minimum disk size is ${minimumSizeBytes} bytes`);
      const largest = /free space \((\d+) bytes/.exec(error.message)?.[1];
      expect(systemdFormatBytes(Number(largest))).toBe(free);
    });
  }
});

/** The ExistingDisk a base-image reader would give for this sfdisk table. */
function existingFrom(table: SfdiskTable, diskSizeBytes: number): ExistingDisk {
  return {
    sectorSizeBytes: 512,
    diskSizeBytes,
    diskGuid: table.id.toLowerCase(),
    entriesLba: 2,
    entryCount: 128,
    firstUsableLba: table.firstlba,
    partitions: (table.partitions ?? []).map((p, i) => ({
      partitionNumber: Number(/(\d+)$/.exec(p.node ?? '')?.[1] ?? i + 1),
      offsetBytes: p.start * 512,
      sizeBytes: p.size * 512,
      typeGuid: p.type.toLowerCase(),
      uuid: p.uuid.toLowerCase(),
      label: p.name ?? '',
      attributes: parseSfdiskAttrs(p.attrs),
    })),
  };
}

describe('base-image mode matches repart run on an existing image', () => {
  const cases: { name: string; first: PartitionSpec[]; firstSize: number; second: PartitionSpec[]; secondSize: number }[] = [
    {
      name: 'matched by type in order, unmatched kept, new ones appended after the grown end',
      first: [
        { type: 'esp', sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB },
        { type: 'root', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB, label: 'myroot' },
        { type: 'swap', sizeMinBytes: 10 * MiB, sizeMaxBytes: 10 * MiB },
      ],
      firstSize: 100 * MiB,
      second: [
        { type: 'esp', sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB },
        { type: 'root', label: 'other' },
        { type: 'home' },
        { type: 'root', weight: 500 },
      ],
      secondSize: 200 * MiB,
    },
    {
      name: 'a gap between existing partitions is filled first (smallest free area first)',
      first: [
        { type: 'esp', sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB, paddingMinBytes: 30 * MiB, paddingMaxBytes: 30 * MiB },
        { type: 'root', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB },
      ],
      firstSize: 120 * MiB,
      second: [
        { type: 'esp', sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB },
        { type: 'root', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB },
        { type: 'home', sizeMinBytes: 40 * MiB },
        { type: 'linux-generic', sizeMinBytes: 12 * MiB, sizeMaxBytes: 12 * MiB },
        { type: 'srv', weight: 0 },
      ],
      secondSize: 200 * MiB,
    },
    {
      name: 'the last existing partition grows into the enlarged disk',
      first: [
        { type: 'esp', sizeMinBytes: 16 * MiB, sizeMaxBytes: 16 * MiB },
        { type: 'root', sizeMinBytes: 30 * MiB },
      ],
      firstSize: 64 * MiB,
      second: [
        { type: 'esp', sizeMinBytes: 16 * MiB, sizeMaxBytes: 16 * MiB },
        { type: 'root', sizeMinBytes: 30 * MiB, weight: 2000 },
        { type: 'var', sizeMaxBytes: 50 * MiB + 5 },
      ],
      secondSize: 256 * MiB + 4096,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const first: ImageSpec = { table: 'gpt', seed: SEEDS[0], partitions: c.first };
      const second: ImageSpec = { table: 'gpt', repartVersion: '252', seed: SEEDS[1], partitions: c.second };
      const run = runRepartOnBaseImage(first, c.firstSize, second, c.secondSize);
      expect(run.after.status, run.after.stderr).toBe(0);
      const existing = existingFrom(run.before, run.beforeSizeBytes);
      const plan = planImage(second, { existing, sizeBytes: c.secondSize });
      const table = run.after.table!;
      expect(plan.diskSizeBytes).toBe(run.after.imageSizeBytes);
      expect(plan.diskGuid).toBe(table.id.toLowerCase());
      expect(plan.gpt!.lastUsableLba).toBe(table.lastlba);
      const all = [
        ...plan.partitions.map((p) => ({ n: p.partitionNumber, start: p.offsetBytes / 512, size: p.sizeBytes / 512, type: p.typeGuid, uuid: p.uuid, name: p.label, attrs: p.attributes.toString(16) })),
        ...plan.foreignPartitions.map((p) => ({ n: p.partitionNumber, start: p.offsetBytes / 512, size: p.sizeBytes / 512, type: p.typeGuid, uuid: p.uuid, name: p.label, attrs: p.attributes.toString(16) })),
      ].sort((a, b) => a.n - b.n);
      const want = (table.partitions ?? []).map((p, i) => ({
        n: i + 1, start: p.start, size: p.size, type: p.type.toLowerCase(), uuid: p.uuid.toLowerCase(),
        name: p.name ?? '', attrs: parseSfdiskAttrs(p.attrs).toString(16),
      }));
      expect(all).toEqual(want);
      expect(plan.partitions.some((p) => p.existing)).toBe(true);
    });
  }
});
