/**
 * Table-driven checks of repart 252's behaviour as FACTS.md records it (measured with the real
 * tool), plus Partwright's extensions (MBR, hybrid, blobs, 4096-byte sectors, base images), which
 * repart has no oracle for: those are checked through invariants that must hold for any layout.
 */
import { describe, expect, it } from 'vitest';
import { isPartwrightError, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { minimumDiskSize, planImage } from './plan-image.ts';
import type { ExistingDisk, ImagePlan } from './types.ts';
import { deriveDiskGuid, deriveMbrDiskId, derivePartitionUuid } from './uuid.ts';
import { scaleByWeight } from './grow.ts';
import { assertValidSpec, validateSpec } from './validate.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SEED = '0123456789abcdef0123456789abcdef';
const ROOT_X86_64 = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';
const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

function gpt(partitions: PartitionSpec[], sizeBytes: number | 'auto' = 'auto', extra: Partial<ImageSpec> = {}): ImageSpec {
  // FACTS.md's figures were measured with systemd-repart 252: these tests pin that version.
  return { table: 'gpt', repartVersion: '252', seed: SEED, sizeBytes, partitions, ...extra };
}

function thrown(f: () => unknown): PartwrightError {
  try {
    f();
  } catch (e) {
    if (isPartwrightError(e)) return e;
    throw e;
  }
  throw new Error('expected a PartwrightError');
}

/** No two things on the disk overlap, and everything is inside it. */
function expectDisjoint(plan: ImagePlan): void {
  const ranges = [
    ...plan.reserved.map((r) => ({ what: r.kind, start: r.offsetBytes, end: r.offsetBytes + r.sizeBytes })),
    ...plan.partitions.map((p) => ({ what: `p${p.partitionNumber}`, start: p.offsetBytes, end: p.offsetBytes + p.sizeBytes })),
    ...plan.blobs.map((b) => ({ what: b.name, start: b.offsetBytes, end: b.offsetBytes + b.sizeBytes })),
  ].sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    expect(ranges[i]!.start, `${ranges[i - 1]!.what} / ${ranges[i]!.what}`).toBeGreaterThanOrEqual(ranges[i - 1]!.end);
  }
  expect(ranges[ranges.length - 1]!.end).toBeLessThanOrEqual(plan.diskSizeBytes);
}

describe('seed-derived identities (FACTS.md vectors, checked against v252)', () => {
  it('derives the disk GUID and the per-type partition UUIDs', () => {
    expect(deriveDiskGuid(SEED)).toBe('6913f4b6-6690-4a57-a202-f1b53c56dbdf');
    expect(derivePartitionUuid(SEED, ESP, 0)).toBe('b2d552b0-45db-4678-b34f-066168609d1a');
    expect(derivePartitionUuid(SEED, ROOT_X86_64, 0)).toBe('9e90c9c3-c7e8-44f2-bf19-9ae2689de795');
    expect(derivePartitionUuid(SEED, ROOT_X86_64, 1)).toBe('7f48db1a-b817-4c23-a5d2-cde068eb2163');
  });

  it('planImage uses them, with -2 labels for repeated types', () => {
    const plan = planImage(gpt([{ type: 'esp' }, { type: 'root' }, { type: 'root' }]));
    expect(plan.diskGuid).toBe('6913f4b6-6690-4a57-a202-f1b53c56dbdf');
    expect(plan.partitions.map((p) => [p.uuid, p.label])).toEqual([
      ['b2d552b0-45db-4678-b34f-066168609d1a', 'esp'],
      ['9e90c9c3-c7e8-44f2-bf19-9ae2689de795', 'root-x86-64'],
      ['7f48db1a-b817-4c23-a5d2-cde068eb2163', 'root-x86-64-2'],
    ]);
  });

  it('derives a stable 32-bit MBR disk id from the seed', () => {
    const id = deriveMbrDiskId(SEED);
    expect(id).toBe(deriveMbrDiskId(SEED));
    expect(id).not.toBe(deriveMbrDiskId('0867da16-f251-457d-a9e8-c31f9a3c220b'));
    expect(Number.isInteger(id) && id >= 0 && id <= 0xffffffff).toBe(true);
  });
});

describe('sizes as repart 252 rounds them (FACTS.md: measured with v252)', () => {
  // [what, partition, expected size in bytes]; each is the only partition on a 200 MiB disk, next
  // to a growing one so that leftovers don't land on it.
  const cases: [string, PartitionSpec, number][] = [
    ['min=max=10000000 → Min down, Max up: 10002432', { type: 'linux-generic', sizeMinBytes: 10_000_000, sizeMaxBytes: 10_000_000 }, 10_002_432],
    ['min-only 10000000 with Weight=0 → rounded down: 9998336', { type: 'linux-generic', sizeMinBytes: 10_000_000, weight: 0 }, 9_998_336],
    ['min=max=4097 → 8192', { type: 'linux-generic', sizeMinBytes: 4097, sizeMaxBytes: 4097 }, 8192],
    ['no SizeMinBytes: implicit 10 MiB even with Max=5000000', { type: 'linux-generic', sizeMaxBytes: 5_000_000 }, 10 * MiB],
  ];
  for (const [what, part, bytes] of cases) {
    it(what, () => {
      const plan = planImage(gpt([part, { type: 'home', weight: 1 }], 200 * MiB));
      expect(plan.partitions[0]!.sizeBytes).toBe(bytes);
    });
  }

  it('Max 20000000 on a growing partition → 20000768', () => {
    const plan = planImage(gpt([{ type: 'linux-generic', sizeMaxBytes: 20_000_000 }], 200 * MiB));
    expect(plan.partitions[0]!.sizeBytes).toBe(20_000_768);
  });

  it('PaddingMin=Max=3000000 → 2998272 of padding', () => {
    const plan = planImage(gpt([
      { type: 'linux-generic', sizeMinBytes: MiB, sizeMaxBytes: MiB, paddingMinBytes: 3_000_000, paddingMaxBytes: 3_000_000 },
      { type: 'home' },
    ], 200 * MiB));
    // Min rounds down (2998272), Max rounds up (3002368); the padding weight 0 share is the minimum.
    expect(plan.partitions[0]!.paddingBytes).toBe(2_998_272);
    expect(plan.partitions[1]!.offsetBytes).toBe(plan.partitions[0]!.offsetBytes + MiB + 2_998_272);
  });
});

describe('placement and growth (FACTS.md examples)', () => {
  it('weights example: root 225173504, home 675532800, swap 67108864', () => {
    const plan = planImage(gpt([
      { type: 'esp', sizeMinBytes: 100 * MiB, sizeMaxBytes: 100 * MiB },
      { type: 'root', weight: 1000, sizeMinBytes: 100 * MiB },
      { type: 'home', weight: 3000 },
      { type: 'swap', weight: 500, sizeMaxBytes: 64 * MiB },
    ], GiB));
    expect(plan.partitions.map((p) => p.sizeBytes)).toEqual([100 * MiB, 225_173_504, 675_532_800, 67_108_864]);
  });

  it('--size=auto example: starts at LBA 2048, 133120, 337920; 183521280 bytes', () => {
    const spec = gpt([
      { type: 'esp', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB },
      { type: 'root', sizeMinBytes: 100 * MiB },
      { type: 'root', sizeMinBytes: 10 * MiB },
    ]);
    const plan = planImage(spec);
    expect(plan.diskSizeBytes).toBe(183_521_280);
    expect(minimumDiskSize(spec)).toBe(183_521_280);
    expect(plan.partitions.map((p) => p.offsetBytes / 512)).toEqual([2048, 133120, 337920]);
  });

  it('GPT geometry: first usable LBA 2048, last usable N−34, backup entries N−33, backup header N−1', () => {
    const plan = planImage(gpt([{ type: 'root' }], 512 * MiB));
    const n = plan.diskSizeBytes / 512;
    expect(plan.gpt).toMatchObject({ entriesLba: 2, entryCount: 128, firstUsableLba: 2048, lastUsableLba: n - 34, backupEntriesLba: n - 33, backupHeaderLba: n - 1 });
    // --size=512M is used exactly, the partition takes everything up to the last 4 KiB boundary.
    expect(plan.diskSizeBytes).toBe(512 * MiB);
    expect(plan.partitions[0]!.offsetBytes + plan.partitions[0]!.sizeBytes).toBe(512 * MiB - 20480);
  });

  it('the rounding remainder goes to a growing partition, none is lost', () => {
    const plan = planImage(gpt([{ type: 'root', weight: 333 }, { type: 'home', weight: 777 }, { type: 'var', weight: 1 }], 1000 * MiB + 4096 * 3));
    const last = plan.partitions[plan.partitions.length - 1]!;
    expect(last.offsetBytes + last.sizeBytes + last.paddingBytes).toBe(Math.floor((plan.diskSizeBytes - 16896) / 4096) * 4096);
  });

  it('scaleByWeight rescales like repart when value × weight overflows 64 bits', () => {
    expect(scaleByWeight(1000, 1, 3)).toBe(333);
    expect(scaleByWeight(7, 5, 5)).toBe(7);
    expect(scaleByWeight(7, 0, 5)).toBe(0);
    // 2^60 × 1000 overflows: weight and sum are halved until it does not (rounded so the sum never exceeds value).
    const v = 2 ** 60;
    expect(scaleByWeight(v, 1000, 3000) + scaleByWeight(v, 2000, 3000)).toBeLessThanOrEqual(v);
  });
});

describe('GPT attribute bits as v252 sets them (FACTS.md)', () => {
  const bit = (n: number) => 1n << BigInt(n);
  const cases: [string, PartitionSpec, bigint][] = [
    ['root gets GrowFileSystem (bit 59) by default', { type: 'root' }, bit(59)],
    ['xbootldr gets bit 59', { type: 'xbootldr' }, bit(59)],
    ['esp gets nothing', { type: 'esp' }, 0n],
    ['swap gets nothing', { type: 'swap' }, 0n],
    ['linux-generic gets nothing', { type: 'linux-generic' }, 0n],
    ['root-verity is read-only (bit 60)', { type: 'root-verity' }, bit(60)],
    ['ReadOnly=yes sets bit 60 and drops 59', { type: 'root', readOnly: true }, bit(60)],
    ['NoAuto=yes is bit 63', { type: 'home', noAuto: true }, bit(63) | bit(59)],
    ['NoAuto= on linux-generic is ignored', { type: 'linux-generic', noAuto: true }, 0n],
    ['Flags= with a bit below 48 drops every bit, 59 included', { type: 'root', flags: '1' }, 0n],
    ['Flags= bit 48 is kept with 59', { type: 'root', flags: '0x1000000000000' }, bit(48) | bit(59)],
    ['GrowFileSystem=no is overridden on growfs types (v252)', { type: 'root', growFileSystem: false }, bit(59)],
    ['ReadOnly=yes keeps a bit 59 given in Flags=', { type: 'root', readOnly: true, flags: '0x0800000000000000' }, bit(59) | bit(60)],
    ['NoAuto=no clears bit 63 given in Flags= on swap', { type: 'swap', flags: '0x8000000000000000', noAuto: false }, 0n],
    ['Flags= in octal (strtoull base 0)', { type: 'esp', flags: '01000000000000000000000' }, bit(63)],
  ];
  for (const [what, part, bits] of cases) {
    it(what, () => expect(planImage(gpt([part])).partitions[0]!.attributes).toBe(bits));
  }
});

describe('priority drops (FACTS.md: highest first, ≤ 0 never)', () => {
  it('drops the highest priority first, and only as far as needed', () => {
    const plan = planImage(gpt([
      { type: 'esp', sizeMinBytes: 64 * MiB },
      { type: 'root', sizeMinBytes: 100 * MiB, priority: 10 },
      { type: 'home', sizeMinBytes: 10 * MiB, priority: 5 },
    ], 100 * MiB));
    expect(plan.dropped.map((d) => d.specIndex)).toEqual([1]);
    expect(plan.partitions.map((p) => p.specIndex)).toEqual([0, 2]);
    expect(plan.partitions.map((p) => p.partitionNumber)).toEqual([1, 2]);
  });

  it('never drops priority ≤ 0 and reports the minimum disk size', () => {
    const spec = gpt([{ type: 'esp', sizeMinBytes: 64 * MiB, priority: 0 }, { type: 'root', sizeMinBytes: 64 * MiB, priority: -1 }], 100 * MiB);
    const e = thrown(() => planImage(spec));
    expect(e.code).toBe('does-not-fit');
    expect(e.message).toMatch(/^Can't fit requested partitions into available free space \(\d+ bytes .*\); the minimum disk size is \d+ bytes/);
    expect(e.detail.minimumSizeBytes).toBe(minimumDiskSize(spec));
    // The minimum really is the minimum.
    expect(planImage({ ...spec, sizeBytes: e.detail.minimumSizeBytes }).partitions).toHaveLength(2);
    expect(() => planImage({ ...spec, sizeBytes: e.detail.minimumSizeBytes! - 4096 })).toThrow(PartwrightError);
  });
});

describe('4096-byte sectors', () => {
  const parts: PartitionSpec[] = [{ type: 'esp', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB }, { type: 'root', sizeMinBytes: 100 * MiB }, { type: 'home', weight: 300 }];
  it('uses a 4-sector entry array, last usable N−6, and the same byte layout as 512-byte sectors', () => {
    const p512 = planImage(gpt(parts, 300 * MiB));
    const p4k = planImage(gpt(parts, 300 * MiB, { sectorSizeBytes: 4096 }));
    const n = p4k.diskSizeBytes / 4096;
    expect(p4k.grainBytes).toBe(4096);
    expect(p4k.gpt).toMatchObject({ entriesLba: 2, firstUsableLba: 256, lastUsableLba: n - 6, backupEntriesLba: n - 5, backupHeaderLba: n - 1 });
    expect(p4k.reserved.find((r) => r.kind === 'gpt-entries')).toEqual({ kind: 'gpt-entries', offsetBytes: 8192, sizeBytes: 16384 });
    expect(p4k.partitions.map((p) => [p.offsetBytes, p.sizeBytes])).toEqual(p512.partitions.map((p) => [p.offsetBytes, p.sizeBytes]));
    expect(minimumDiskSize(gpt(parts, 'auto', { sectorSizeBytes: 4096 }))).toBe(minimumDiskSize(gpt(parts)));
    expectDisjoint(p4k);
  });
});

describe('MBR tables', () => {
  it('numbers four partitions 1–4 and lets the last run to the end of the disk', () => {
    const plan = planImage({ table: 'mbr', seed: SEED, sizeBytes: 256 * MiB, partitions: [
      { type: 'esp', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB, mbrBootable: true },
      { type: 'swap', sizeMinBytes: 10 * MiB, sizeMaxBytes: 10 * MiB },
      { type: 'linux-generic', sizeMinBytes: 10 * MiB, sizeMaxBytes: 10 * MiB, mbrType: 0x0c },
      { type: 'root' },
    ] });
    expect(plan.partitions.map((p) => p.partitionNumber)).toEqual([1, 2, 3, 4]);
    expect(plan.partitions.map((p) => p.mbrType)).toEqual([0xef, 0x82, 0x0c, 0x83]);
    expect(plan.partitions[0]!.mbrBootable).toBe(true);
    expect(plan.gpt).toBeUndefined();
    expect(plan.diskGuid).toBeUndefined();
    expect(plan.mbrDiskId).toBe(deriveMbrDiskId(SEED));
    const last = plan.partitions[3]!;
    expect(last.offsetBytes + last.sizeBytes).toBe(256 * MiB);
    expect(plan.reserved).toEqual([{ kind: 'mbr', offsetBytes: 0, sizeBytes: 512 }]);
    expect(plan.partitions.every((p) => p.attributes === 0n)).toBe(true);
  });

  it('puts partitions 4.. in an extended partition, each after a grain for its EBR', () => {
    const partitions: PartitionSpec[] = Array.from({ length: 7 }, (_, i) => ({ type: 'linux-generic', sizeMinBytes: (i + 1) * MiB, sizeMaxBytes: (i + 1) * MiB }));
    const spec: ImageSpec = { table: 'mbr', seed: SEED, mbr: { diskId: 0x2178694e }, partitions };
    const plan = planImage(spec);
    expect(plan.mbrDiskId).toBe(0x2178694e);
    expect(plan.partitions.map((p) => p.partitionNumber)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    const ebrs = plan.reserved.filter((r) => r.kind === 'ebr');
    expect(ebrs).toHaveLength(4);
    plan.partitions.slice(3).forEach((p, i) => {
      expect(ebrs[i]).toEqual({ kind: 'ebr', offsetBytes: p.offsetBytes - 4096, sizeBytes: 4096 });
    });
    const first = plan.partitions[3]!;
    const last = plan.partitions[6]!;
    expect(plan.mbrExtended).toEqual({ offsetBytes: first.offsetBytes - 4096, sizeBytes: last.offsetBytes + last.sizeBytes - (first.offsetBytes - 4096) });
    // --size=auto counts the EBR grains: the last partition ends exactly at the end of the disk.
    expect(last.offsetBytes + last.sizeBytes).toBe(plan.diskSizeBytes);
    expect(plan.diskSizeBytes).toBe(MiB + 28 * MiB + 4 * 4096);
    expectDisjoint(plan);
  });

  it('NixOS sdImage layout: FAT at 8 MiB, 30 MiB, root to the end', () => {
    const plan = planImage({
      table: 'mbr', seed: SEED, sizeBytes: 2 * GiB, firstPartitionOffsetBytes: 8 * MiB, mbr: { diskId: 0x2178694e },
      partitions: [
        { type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', label: 'FIRMWARE', sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB, mbrType: 0x0b, mbrBootable: true },
        { type: 'linux-generic', label: 'NIXOS_SD' },
      ],
    });
    expect(plan.partitions.map((p) => [p.offsetBytes, p.sizeBytes, p.mbrType])).toEqual([
      [8 * MiB, 30 * MiB, 0x0b],
      [38 * MiB, 2 * GiB - 38 * MiB, 0x83],
    ]);
  });
});

describe('hybrid tables', () => {
  it('mirrors up to three partitions into the MBR and keeps a GPT', () => {
    const plan = planImage({ table: 'hybrid', seed: SEED, partitions: [
      { type: 'esp', sizeMinBytes: 32 * MiB, hybridMbr: true },
      { type: '21686148-6449-6e6f-744e-656564454649', sizeMinBytes: MiB, sizeMaxBytes: MiB },
      { type: 'root', hybridMbr: true },
    ] });
    expect(plan.partitions.map((p) => p.inHybridMbr)).toEqual([true, false, true]);
    expect(plan.diskGuid).toBe('6913f4b6-6690-4a57-a202-f1b53c56dbdf');
    expect(plan.mbrDiskId).toBe(deriveMbrDiskId(SEED));
    expect(plan.gpt).toBeDefined();
  });

  it('refuses more than three hybrid entries', () => {
    const e = thrown(() => planImage({ table: 'hybrid', seed: SEED, partitions: Array.from({ length: 4 }, () => ({ type: 'linux-generic', hybridMbr: true })) }));
    expect(e.code).toBe('invalid-spec');
    expect(e.message).toMatch(/at most 3/);
  });
});

describe('first partition offset and blobs', () => {
  it('starts the first partition at firstPartitionOffsetBytes', () => {
    const plan = planImage(gpt([{ type: 'esp' }, { type: 'root' }], 'auto', { firstPartitionOffsetBytes: 8 * MiB }));
    expect(plan.partitions[0]!.offsetBytes).toBe(8 * MiB);
    expect(plan.gpt!.firstUsableLba).toBe(8 * MiB / 512);
    expect(plan.diskSizeBytes).toBe(8 * MiB + 20 * MiB + 20480);
  });

  it('places partitions after blobs and keeps blobs out of the usable area', () => {
    const plan = planImage(gpt([{ type: 'root' }], 'auto', {
      blobs: [{ name: 'idbloader', offsetBytes: 32 * 1024, sizeBytes: 300_000 }, { name: 'u-boot', offsetBytes: 8 * MiB, sizeBytes: 1_500_000 }],
    }));
    expect(plan.partitions[0]!.offsetBytes).toBe(Math.ceil((8 * MiB + 1_500_000) / 4096) * 4096);
    expect(plan.blobs.map((b) => [b.name, b.offsetBytes, b.sizeBytes])).toEqual([['idbloader', 32768, 300_000], ['u-boot', 8 * MiB, 1_500_000]]);
    expectDisjoint(plan);
  });

  it('takes blob sizes from options.blobSizes', () => {
    const plan = planImage(gpt([{ type: 'root' }], 'auto', { blobs: [{ name: 'spl', offsetBytes: 32768, source: 'spl.bin' }] }), { blobSizes: { spl: 20_000 } });
    expect(plan.blobs[0]).toEqual({ name: 'spl', source: 'spl.bin', offsetBytes: 32768, sizeBytes: 20_000 });
  });

  it('refuses a blob over the GPT entry array, naming both ranges', () => {
    const e = thrown(() => planImage(gpt([{ type: 'root' }], 'auto', { blobs: [{ name: 'imx-spl', offsetBytes: 1024, sizeBytes: 4096 }] })));
    expect(e.code).toBe('overlap');
    expect(e.message).toBe("Blob 'imx-spl' (bytes 1024–5119) overlaps the GPT entry array (bytes 1024–17407); move the entry array with gpt.entriesLba");
    expect(e.detail.where).toBe('blobs.0');
  });

  it('accepts the same blob once the entry array is moved', () => {
    const plan = planImage(gpt([{ type: 'root' }], 'auto', { gpt: { entriesLba: 64 }, blobs: [{ name: 'imx-spl', offsetBytes: 1024, sizeBytes: 30_000 }] }));
    expect(plan.gpt!.entriesLba).toBe(64);
    expectDisjoint(plan);
  });

  it('refuses overlapping blobs and blobs over partitions', () => {
    const two = thrown(() => planImage(gpt([{ type: 'root' }], 'auto', { blobs: [{ name: 'a', offsetBytes: 65536, sizeBytes: 8192 }, { name: 'b', offsetBytes: 69632, sizeBytes: 10 }] })));
    expect(two.message).toBe("Blob 'b' (bytes 69632–69641) overlaps blob 'a' (bytes 65536–73727); move one of them");
    const overPartition = thrown(() => planImage(gpt([{ type: 'root' }], 'auto', { firstPartitionOffsetBytes: MiB, blobs: [{ name: 'a', offsetBytes: MiB - 512, sizeBytes: 1024 }] })));
    expect(overPartition.message).toMatch(/^Blob 'a' \(bytes 1048064–1049087\) overlaps partition 1 \('root-x86-64'\) \(bytes 1048576–/);
  });

  it('refuses a blob past the end of the disk', () => {
    const e = thrown(() => planImage(gpt([{ type: 'root' }], 64 * MiB, { firstPartitionOffsetBytes: MiB, blobs: [{ name: 'tail', offsetBytes: 64 * MiB - 512, sizeBytes: 1024 }] })));
    expect(e.code).toBe('overlap');
  });
});

describe('base-image mode', () => {
  const existing: ExistingDisk = {
    sectorSizeBytes: 512,
    diskSizeBytes: 64 * MiB,
    diskGuid: '11111111-1111-4111-8111-111111111111',
    entriesLba: 2,
    entryCount: 128,
    partitions: [
      { partitionNumber: 1, offsetBytes: MiB, sizeBytes: 16 * MiB, typeGuid: ESP, uuid: '22222222-2222-4222-8222-222222222222', label: 'EFI', attributes: 0n },
      { partitionNumber: 2, offsetBytes: 17 * MiB, sizeBytes: 30 * MiB, typeGuid: ROOT_X86_64, uuid: '33333333-3333-4333-8333-333333333333', label: 'old-root', attributes: 1n << 60n },
    ],
  };

  it('keeps matched partitions, their UUIDs and labels (repart never changes initialized ones)', () => {
    const plan = planImage(gpt([{ type: 'esp', label: 'new' }, { type: 'root', uuid: '44444444-4444-4444-8444-444444444444' }, { type: 'home' }], 128 * MiB), { existing });
    expect(plan.diskGuid).toBe(existing.diskGuid);
    expect(plan.partitions.map((p) => [p.partitionNumber, p.existing, p.label, p.uuid])).toEqual([
      [1, true, 'EFI', '22222222-2222-4222-8222-222222222222'],
      [2, true, 'old-root', '33333333-3333-4333-8333-333333333333'],
      [3, false, 'home', derivePartitionUuid(SEED, '933ac7e1-2eb4-4f13-b844-0e14e2aef915', 0)],
    ]);
    expect(plan.partitions[1]!.attributes).toBe(1n << 60n);
    expect(plan.partitions[0]!.offsetBytes).toBe(MiB);
    expectDisjoint(plan);
  });

  it('keeps unmatched partitions as foreign ones', () => {
    const plan = planImage(gpt([{ type: 'root' }], 128 * MiB), { existing });
    expect(plan.foreignPartitions.map((p) => p.label)).toEqual(['EFI']);
    expect(plan.partitions.map((p) => p.label)).toEqual(['old-root']);
  });

  it('refuses to shrink the disk', () => {
    const e = thrown(() => planImage(gpt([{ type: 'esp' }], 32 * MiB), { existing }));
    expect(e.code).toBe('base-image');
    expect(e.message).toMatch(/shrink/);
  });

  it('names the minimum size when new partitions do not fit, and that size works', () => {
    const spec = gpt([{ type: 'esp' }, { type: 'root' }, { type: 'home', sizeMinBytes: 40 * MiB }], 64 * MiB);
    const e = thrown(() => planImage(spec, { existing }));
    expect(e.code).toBe('does-not-fit');
    const minimum = e.detail.minimumSizeBytes!;
    expect(minimum).toBe(minimumDiskSize(spec, { existing }));
    expect(planImage(spec, { existing, sizeBytes: minimum }).partitions).toHaveLength(3);
    expect(() => planImage(spec, { existing, sizeBytes: minimum - 4096 })).toThrow(/minimum disk size/);
    expect(planImage(spec, { existing, sizeBytes: 'auto' }).diskSizeBytes).toBe(minimum);
  });
});

describe('validate', () => {
  it('lists every problem with where it is', () => {
    const problems = validateSpec({
      table: 'hybrid', seed: SEED, sizeBytes: 100 * MiB + 100, firstPartitionOffsetBytes: 1000,
      partitions: [
        { type: 'no-such-type' },
        { type: 'root', sizeMinBytes: 20 * MiB, sizeMaxBytes: 10 * MiB, hybridMbr: true },
        { type: 'home', paddingMinBytes: 2 * MiB, paddingMaxBytes: MiB, hybridMbr: true },
        { type: 'srv', label: 'x'.repeat(37), hybridMbr: true },
        { type: 'var', uuid: '11111111-2222-4333-8444-555555555555', hybridMbr: true },
        { type: 'tmp', uuid: '11111111222243338444555555555555', weight: 2_000_000, flags: 'lots' },
      ],
    });
    expect(problems).toEqual([
      { where: 'sizeBytes', message: 'Disk size 104857700 is not a multiple of the sector size 512' },
      { where: 'firstPartitionOffsetBytes', message: 'firstPartitionOffsetBytes=1000 is not a multiple of the 4096-byte grain' },
      { where: 'partitions.0.type', message: 'Unknown partition type: no-such-type' },
      { where: 'partitions.1.sizeMinBytes', message: 'SizeMinBytes= larger than SizeMaxBytes=, refusing.' },
      { where: 'partitions.2.paddingMinBytes', message: 'PaddingMinBytes= larger than PaddingMaxBytes=, refusing.' },
      { where: 'partitions.3.label', message: `Partition label too long for GPT table (37 UTF-16 units, at most 36): "${'x'.repeat(37)}"` },
      { where: 'partitions.5.weight', message: 'Weight needs to be in range 0…1000000: 2000000' },
      { where: 'partitions.5.uuid', message: 'UUID 11111111-2222-4333-8444-555555555555 is also used by partition 5' },
      { where: 'partitions.5.flags', message: 'Failed to parse Flags= value: lots' },
      { where: 'partitions', message: 'A hybrid MBR holds at most 3 partitions besides its protective entry; 4 are marked hybridMbr' },
    ]);
  });

  it('compares sizes after rounding, as repart (min 4097 rounds down, max 4096 stays)', () => {
    expect(validateSpec(gpt([{ type: 'root', sizeMinBytes: 4097, sizeMaxBytes: 4096 }]))).toEqual([]);
  });

  it('has a throwing form that planImage uses', () => {
    const spec = gpt([{ type: 'root', sizeMinBytes: 2 * MiB, sizeMaxBytes: MiB }]);
    expect(() => assertValidSpec(spec)).toThrow('SizeMinBytes= larger than SizeMaxBytes=, refusing.');
    const e = thrown(() => planImage(spec));
    expect(e.detail.where).toBe('partitions.0.sizeMinBytes');
  });

  it('a 36-unit label is fine, counted in UTF-16 units', () => {
    expect(validateSpec(gpt([{ type: 'root', label: '😀'.repeat(18) }]))).toEqual([]);
    expect(validateSpec(gpt([{ type: 'root', label: '😀'.repeat(19) }]))).toHaveLength(1);
  });
});

describe('tiny disks', () => {
  it('refuses a disk smaller than its own table, naming the minimum', () => {
    const e = thrown(() => planImage(gpt([], 8192)));
    expect(e.code).toBe('does-not-fit');
    expect(e.detail.minimumSizeBytes).toBe(minimumDiskSize(gpt([])));
    expect(minimumDiskSize(gpt([]))).toBe(MiB + 20480);
  });
});
