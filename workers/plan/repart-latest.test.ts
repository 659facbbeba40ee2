/**
 * The newest systemd-repart's placement (`repartVersion: 'latest'`, the default) where it differs from
 * v252. Expected tables are worked out from the newest src/repart/repart.c (functions cited per test)
 * and match the fixed expectations of systemd's TEST-58-REPART; the same specs in 252 mode are checked
 * against the real systemd-repart 252 in parity.test.ts and cli/repart-252.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { minimumDiskSize, planImage } from './plan-image.ts';
import { repartJson } from './repart-json.ts';
import type { ExistingDisk } from './types.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SECTOR = 512;
/** TEST-58-REPART's seed; its expected UUIDs follow from it. */
const TEST58_SEED = '750b6cd5-c4ae-4012-a15e-7be3c29e6a47';

const gpt = (partitions: PartitionSpec[], extra: Partial<ImageSpec> = {}): ImageSpec => ({ table: 'gpt', partitions, ...extra });

describe('new partitions take the lowest free partition numbers (find_first_unused_partno)', () => {
  // TEST-58 testcase_basic: swap alone in slot 4 (home, root, root2 were deferred), then a run with
  // all four definitions. context_place_partitions() asks find_first_unused_partno() for each new one.
  const existing: ExistingDisk = {
    sectorSizeBytes: 512, diskSizeBytes: GiB, diskGuid: '1d2ce291-7cce-4f7d-bc83-fdb49ad74ebd', entriesLba: 2, entryCount: 128,
    firstUsableLba: 2048,
    partitions: [{
      partitionNumber: 4, offsetBytes: 1777624 * SECTOR, sizeBytes: 131072 * SECTOR, typeGuid: '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f',
      uuid: '78c92db8-3d2b-4823-b0dc-792b78f66f1e', label: 'swap', attributes: 0n,
    }],
  };
  const spec = gpt([
    { type: 'home', label: 'home-first', format: 'vfat' },
    { type: 'root', format: 'vfat' },
    { type: 'root', format: 'vfat' },
    { type: 'swap', sizeMaxBytes: 64 * MiB, paddingMinBytes: 92 * MiB },
  ], { seed: TEST58_SEED });
  const rows = (version: 'latest' | '252') =>
    planImage(spec, { existing, repartVersion: version }).partitions.map((p) => [p.partitionNumber, p.offsetBytes / SECTOR, p.sizeBytes / SECTOR, p.uuid, p.label]);

  it('latest: 1, 2, 3 (TEST-58 expects zzz1…zzz3 before zzz4)', () => {
    expect(rows('latest')).toEqual([
      [1, 2048, 591856, '4980595d-d74a-483a-aa9e-9903879a0ee5', 'home-first'],
      [2, 593904, 591856, '60f33797-1d71-4dcb-aa6f-20564f036cd0', 'root-x86-64'],
      [3, 1185760, 591864, '73a4ccd2-eaf5-44da-a366-f99188210fdc', 'root-x86-64-2'],
      [4, 1777624, 131072, '78c92db8-3d2b-4823-b0dc-792b78f66f1e', 'swap'],
    ]);
  });

  it('252: after the highest existing slot (5, 6, 7), same places', () => {
    const latest = rows('latest');
    expect(rows('252')).toEqual([[4, ...latest[3]!.slice(1)], [5, ...latest[0]!.slice(1)], [6, ...latest[1]!.slice(1)], [7, ...latest[2]!.slice(1)]]);
  });
});

describe('--size=auto: the end of the partitions plus the backup GPT (determine_auto_size, then the trim)', () => {
  const spec = gpt([
    { type: 'esp', sizeMinBytes: 64 * MiB, sizeMaxBytes: 64 * MiB },
    { type: 'root', sizeMinBytes: 100 * MiB },
    { type: 'root', sizeMinBytes: 10 * MiB },
  ], { seed: TEST58_SEED });
  it('252 keeps determine_auto_size()\'s sum (GPT_METADATA_SIZE 1044 KiB + minimums), FACTS.md\'s 183,521,280', () => {
    expect(minimumDiskSize({ ...spec, repartVersion: '252' })).toBe(183_521_280);
  });
  it('latest: 1 MiB + 174 MiB of partitions + 33 sectors = 183,517,696 (not rounded to 4 KiB)', () => {
    const plan = planImage(spec);
    expect(plan.diskSizeBytes).toBe(MiB + 174 * MiB + 33 * SECTOR);
    expect(plan.gpt!.lastUsableLba).toBe(plan.diskSizeBytes / SECTOR - 34);
    const last = plan.partitions[plan.partitions.length - 1]!;
    expect(last.offsetBytes + last.sizeBytes).toBe(MiB + 174 * MiB);
  });
});

describe('space the last partition cannot take is its padding (TEST-58 testcase_dropin, raw_padding)', () => {
  it('one 32 MiB swap on 100 MiB: raw_padding 70234112 in latest, 0 in 252', () => {
    const spec = gpt([{ type: 'swap', sizeMaxBytes: 32 * MiB, uuid: '837c3d67-21b3-478e-be82-7e7f83bf96d3', label: 'label2', sourceName: 'root.conf' }], { sizeBytes: 100 * MiB });
    const latest = repartJson(planImage(spec), {
      version: 'latest', imagePath: '/imgs/zzz',
      sources: [{ file: '/defs/root.conf', dropIns: ['/defs/root.conf.d/override1.conf', '/defs/root.conf.d/override2.conf'] }],
    });
    expect(latest).toEqual([{
      type: 'swap', label: 'label2', uuid: '837c3d67-21b3-478e-be82-7e7f83bf96d3', partno: 0, file: '/defs/root.conf', node: '/imgs/zzz1',
      offset: 1048576, old_size: 0, raw_size: 33554432, size: '-> 32M', old_padding: 0, raw_padding: 70234112, padding: '-> 66.9M',
      activity: 'create', 'drop-in_files': ['/defs/root.conf.d/override1.conf', '/defs/root.conf.d/override2.conf'],
    }]);
    const v252 = repartJson(planImage({ ...spec, repartVersion: '252' }), { version: '252', imagePath: '/imgs/zzz' });
    expect(v252[0]!.raw_padding).toBe(0);
    expect(Object.keys(v252[0]!)).toEqual(['type', 'label', 'uuid', 'file', 'node', 'offset', 'old_size', 'raw_size', 'old_padding', 'raw_padding', 'activity']);
  });
});

describe('Format= minimum sizes (partition_fstype_min_size, minimal_size_by_fs_name in resize-fs.h)', () => {
  const sizeOf = (p: PartitionSpec, version: 'latest' | '252', sectorSizeBytes: 512 | 4096 = 512) =>
    // A weight-1000 partition in front takes the free space (and the rounding leftovers), so the one
    // under test (weight 0) stays at its minimum.
    planImage(gpt([{ type: 'linux-generic' }, { weight: 0, ...p }], { repartVersion: version, sectorSizeBytes, sizeBytes: 2 * GiB })).partitions[1]!.sizeBytes;
  it.each([
    ['vfat ESP on 512-byte sectors (file systems default to 4 KiB sectors: ESP_MIN_SIZE_4K)', { type: 'esp', format: 'vfat' }, 260 * MiB, 10 * MiB],
    ['vfat XBOOTLDR', { type: 'xbootldr', format: 'vfat' }, 260 * MiB, 10 * MiB],
    ['vfat on another type: no minimum beyond the 10 MiB default', { type: 'linux-generic', format: 'vfat' }, 10 * MiB, 10 * MiB],
    ['ext4: EXT4_MINIMAL_SIZE 32 MiB (v252: 1 MiB)', { type: 'root', format: 'ext4' }, 32 * MiB, 10 * MiB],
    ['xfs: XFS_MINIMAL_SIZE 300 MiB (v252: 14 MiB)', { type: 'srv', format: 'xfs' }, 300 * MiB, 14 * MiB],
    ['btrfs: 256 MiB in both', { type: 'home', format: 'btrfs' }, 256 * MiB, 256 * MiB],
    ['SizeMinBytes= above the file system minimum wins', { type: 'root', format: 'ext4', sizeMinBytes: 40 * MiB }, 40 * MiB, 40 * MiB],
    ['squashfs sized from its content (Minimize=): no 10 MiB default (one grain)', { type: 'usr', format: 'squashfs', minimize: 'best' }, 4096, 10 * MiB],
    ['squashfs without Minimize= keeps the 10 MiB default', { type: 'usr', format: 'squashfs' }, 10 * MiB, 10 * MiB],
  ] as [string, PartitionSpec, number, number][])('%s', (_name, p, latest, v252) => {
    expect(sizeOf(p, 'latest')).toBe(latest);
    expect(sizeOf(p, '252')).toBe(v252);
  });
});

describe('a new partition goes at the start of a free gap (context_place_partitions after the grow phase)', () => {
  it('between two existing partitions: latest right after the first one\'s end; 252 at the gap\'s end', () => {
    const existing: ExistingDisk = {
      sectorSizeBytes: 512, diskSizeBytes: 300 * MiB, diskGuid: '1d2ce291-7cce-4f7d-bc83-fdb49ad74ebd', entriesLba: 2, entryCount: 128, firstUsableLba: 2048,
      partitions: [
        { partitionNumber: 1, offsetBytes: MiB, sizeBytes: 20 * MiB, typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', uuid: '11111111-1111-4111-8111-111111111111', label: 'esp', attributes: 0n },
        { partitionNumber: 2, offsetBytes: 101 * MiB, sizeBytes: 30 * MiB, typeGuid: '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f', uuid: '22222222-2222-4222-8222-222222222222', label: 'swap', attributes: 0n },
      ],
    };
    const spec = gpt([
      { type: 'esp', sizeMaxBytes: 20 * MiB },
      { type: 'swap', sizeMaxBytes: 30 * MiB },
      { type: 'linux-generic', sizeMinBytes: 40 * MiB, sizeMaxBytes: 40 * MiB },
    ]);
    const generic = (version: '252' | 'latest') => planImage(spec, { existing, repartVersion: version }).partitions.find((p) => p.typeName === 'linux-generic')!;
    // The 80 MiB gap is the smallest free area that fits (context_allocate_partitions sorts by size).
    expect([generic('latest').offsetBytes, generic('latest').paddingBytes, generic('latest').partitionNumber]).toEqual([21 * MiB, 40 * MiB, 3]);
    // v252 hands the 40 MiB nobody can take to the ESP as padding, pushing the new partition back.
    expect([generic('252').offsetBytes, generic('252').paddingBytes]).toEqual([61 * MiB, 0]);
  });
});

describe('--include-partitions= and --defer-partitions= (context_read_definitions, TEST-58 testcase_basic)', () => {
  const defs = gpt([
    { type: 'home', label: 'home-first', format: 'vfat' },
    { type: 'root', format: 'vfat' },
    { type: 'root', format: 'vfat' },
    { type: 'swap', sizeMaxBytes: 64 * MiB, paddingMinBytes: 92 * MiB },
  ], { seed: TEST58_SEED, sizeBytes: GiB });
  const rows = (options: Parameters<typeof planImage>[1]) =>
    planImage(defs, options).partitions.map((p) => [p.partitionNumber, p.offsetBytes / SECTOR, p.sizeBytes / SECTOR, p.uuid, p.label]);

  it('--include-partitions=home,swap: the root definitions are not read (zzz1 home, zzz2 swap)', () => {
    expect(rows({ includePartitions: ['home', 'swap'] })).toEqual([
      [1, 2048, 1775576, '4980595d-d74a-483a-aa9e-9903879a0ee5', 'home-first'],
      [2, 1777624, 131072, '78c92db8-3d2b-4823-b0dc-792b78f66f1e', 'swap'],
    ]);
    expect(rows({ excludePartitions: ['root'] })).toEqual(rows({ includePartitions: ['home', 'swap'] }));
  });

  it('--defer-partitions=home,root: only swap is written, in the slot and place it has with all four (zzz4)', () => {
    expect(rows({ deferPartitions: ['home', 'root'] })).toEqual([[4, 1777624, 131072, '78c92db8-3d2b-4823-b0dc-792b78f66f1e', 'swap']]);
  });
});

describe('--grain-size= (newest repart: determine_grain_size(), context_place_partitions())', () => {
  const verity = gpt([
    { type: 'usr', verity: 'data', verityMatchKey: 'usr', sizeMinBytes: 20 * MiB, sizeMaxBytes: 20 * MiB },
    { type: 'usr-verity', verity: 'hash', verityMatchKey: 'usr', sizeMinBytes: 3 * MiB, sizeMaxBytes: 3 * MiB },
    { type: 'usr-verity-sig', verity: 'signature', verityMatchKey: 'usr' },
    { type: 'root', sizeMinBytes: 10 * MiB },
  ]);

  it('1 MiB: sizes round to it, and the partition after a 16 KiB signature starts on the next MiB', () => {
    const plan = planImage(verity, { sizeBytes: 100 * MiB, grainSizeBytes: MiB });
    expect(plan.grainBytes).toBe(MiB);
    expect(plan.partitions.map((p) => [p.typeName, p.offsetBytes / MiB, p.sizeBytes])).toEqual([
      ['usr-x86-64', 1, 20 * MiB],
      ['usr-x86-64-verity', 21, 3 * MiB],
      // VERITY_SIG_SIZE (16 KiB) is not rounded to the grain…
      ['usr-x86-64-verity-sig', 24, 16 * 1024],
      // …but the next partition is re-aligned after it; the last one ends at the last whole grain.
      ['root-x86-64', 25, Math.floor((100 * MiB - 33 * 512) / MiB) * MiB - 25 * MiB],
    ]);
  });

  it('the default (4096) places the same partitions back to back; 252 mode has no such option', () => {
    const plan = planImage(verity, { sizeBytes: 100 * MiB });
    expect(plan.partitions[3]!.offsetBytes).toBe(24 * MiB + 16 * 1024);
    expect(() => planImage({ ...verity, repartVersion: '252' }, { sizeBytes: 100 * MiB, grainSizeBytes: MiB })).toThrow(/--grain-size= came after systemd-repart 252/);
    expect(() => planImage(verity, { sizeBytes: 100 * MiB, grainSizeBytes: 3000 })).toThrow(/must be a power of two/);
  });
});
