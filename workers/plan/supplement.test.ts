/**
 * SupplementFor= (systemd-repart 257; newest behaviour, repart 252 does not know the key). Expected
 * tables are worked out from the newest src/repart/repart.c: context_read_definitions() links each
 * supplement to its target (supplement_find_target()) and merges it in (`suppressing`);
 * partition_min_size()/partition_max_size()/partition_{min,max}_padding()/partition_weight() give the
 * target the merged constraints; context_allocate_partitions() skips the merged supplement; when that
 * does not fit, context_unmerge_and_allocate_partitions() un-merges it so it is created as written;
 * context_load_partition_table() un-merges a supplement that already exists; determine_auto_size()
 * leaves a merged supplement out; context_ponder() drops the merged one.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { isPartwrightError } from '../model/errors.ts';
import { planImage } from './plan-image.ts';
import type { ExistingDisk } from './types.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SECTOR = 512;
const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const ROOT = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';

const def = (sourceName: string, p: PartitionSpec): PartitionSpec => ({ ...p, sourceName });
const gpt = (partitions: PartitionSpec[], extra: Partial<ImageSpec> = {}): ImageSpec => ({ table: 'gpt', partitions, ...extra });
/** GPT of a 1 GiB image: last usable LBA N−34, so usable space ends at this byte (rounded down to 4 KiB). */
const USABLE_END_1G = Math.floor(((GiB / SECTOR - 33) * SECTOR) / 4096) * 4096;

/** A 1 GiB base image: a 100 MiB ESP at 1 MiB and a 200 MiB root `gapAfterEsp` later. */
function baseImage(gapAfterEsp: number): ExistingDisk {
  return {
    sectorSizeBytes: 512, diskSizeBytes: GiB, diskGuid: '1d2ce291-7cce-4f7d-bc83-fdb49ad74ebd', entriesLba: 2, entryCount: 128, firstUsableLba: 2048,
    partitions: [
      { partitionNumber: 1, offsetBytes: MiB, sizeBytes: 100 * MiB, typeGuid: ESP, uuid: '11111111-1111-4111-8111-111111111111', label: 'esp', attributes: 0n },
      { partitionNumber: 2, offsetBytes: 101 * MiB + gapAfterEsp, sizeBytes: 200 * MiB, typeGuid: ROOT, uuid: '22222222-2222-4222-8222-222222222222', label: 'root', attributes: 0n },
    ],
  };
}

const rows = (spec: ImageSpec, existing?: ExistingDisk) =>
  planImage(spec, existing ? { existing } : { sizeBytes: 'auto' }).partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes / MiB, p.sizeBytes / MiB]);

describe('SupplementFor= merges into its target when that fits (newest repart)', () => {
  const spec = gpt([
    def('10-esp.conf', { type: 'esp', format: 'vfat' }),
    def('20-xbootldr.conf', { type: 'xbootldr', format: 'vfat', sizeMinBytes: 300 * MiB, supplementFor: '10-esp' }),
  ]);

  it('fresh disk, --size=auto: only the ESP, at the merged minimum; determine_auto_size() leaves the supplement out', () => {
    const plan = planImage(spec, { sizeBytes: 'auto' });
    // partition_min_size(): the supplement's SizeMinBytes=300M beats the ESP's unset one; the vfat
    // minimum (260 MiB, ESP_MIN_SIZE_4K) is below it.
    expect(plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes / MiB, p.sizeBytes / MiB])).toEqual([[1, 'esp', 1, 300]]);
    expect(plan.dropped).toEqual([expect.objectContaining({ specIndex: 1, mergedInto: 0 })]);
    // 1 MiB + 300 MiB + the backup GPT (33 sectors), as the newest --size=auto trims it.
    expect(plan.diskSizeBytes).toBe(301 * MiB + 33 * SECTOR);
  });

  it('repart 252 does not know the key: both partitions are made', () => {
    const plan = planImage({ ...spec, repartVersion: '252' }, { sizeBytes: 'auto' });
    expect(plan.partitions.map((p) => p.typeName)).toEqual(['esp', 'xbootldr']);
    expect(plan.dropped).toEqual([]);
  });

  it('the supplement\'s Weight= and SizeMaxBytes= apply to the target (partition_weight, partition_max_size)', () => {
    const s = gpt([
      def('10-esp.conf', { type: 'esp', weight: 1000 }),
      def('20-root.conf', { type: 'root', weight: 1000 }),
      def('30-xbootldr.conf', { type: 'xbootldr', weight: 3000, sizeMaxBytes: 400 * MiB, supplementFor: '10-esp' }),
    ]);
    const plan = planImage(s, { sizeBytes: GiB });
    const [esp, root] = plan.partitions;
    // Weights 3000 : 1000 of ~1022 MiB give the ESP ~766 MiB, above the merged maximum 400 MiB
    // (undercharge phase), so it takes 400 MiB and root the rest.
    expect(esp!.sizeBytes).toBe(400 * MiB);
    expect(root!.offsetBytes).toBe(401 * MiB);
    expect(root!.offsetBytes + root!.sizeBytes).toBe(USABLE_END_1G);
  });
});

describe('SupplementFor= un-merges when the target cannot take it (context_unmerge_and_allocate_partitions)', () => {
  const defs = [
    def('10-esp.conf', { type: 'esp' }),
    def('20-root.conf', { type: 'root', sizeMinBytes: 200 * MiB, sizeMaxBytes: 200 * MiB }),
    def('30-xbootldr.conf', { type: 'xbootldr', sizeMinBytes: 500 * MiB, supplementFor: '10-esp' }),
  ];

  it('an existing ESP with no room after it: the XBOOTLDR is created as written, in the lowest free slot at the start of the gap', () => {
    // The merged ESP would need 500 MiB but has no padding area, so context_allocate_partitions()
    // fails; un-merged, the ESP's own minimum (its current 100 MiB) fits and the XBOOTLDR goes into
    // the free area after root, taking all of it (no maximum).
    expect(rows(gpt(defs), baseImage(0))).toEqual([
      [1, 'esp', 1, 100],
      [2, 'root-x86-64', 101, 200],
      [3, 'xbootldr', 301, (USABLE_END_1G - 301 * MiB) / MiB],
    ]);
  });

  it('an existing ESP with room after it grows to take the supplement instead (no XBOOTLDR)', () => {
    // 600 MiB free after the ESP: the merged minimum 500 MiB fits there, so nothing is un-merged;
    // the ESP is the only partition in that area and grows over all of it (context_grow_partitions).
    const plan = planImage(gpt(defs), { existing: baseImage(600 * MiB) });
    expect(plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes / MiB, p.sizeBytes / MiB])).toEqual([
      [1, 'esp', 1, 700],
      [2, 'root-x86-64', 701, 200],
    ]);
    expect(plan.dropped).toEqual([expect.objectContaining({ specIndex: 2, mergedInto: 0 })]);
  });

  it('a supplement that already exists is never merged (context_load_partition_table)', () => {
    const existing = baseImage(0);
    existing.partitions.push({ partitionNumber: 3, offsetBytes: 301 * MiB, sizeBytes: 500 * MiB, typeGuid: 'bc13c2ff-59e6-4262-a352-b275fd6f7172', uuid: '33333333-3333-4333-8333-333333333333', label: 'xbootldr', attributes: 0n });
    const plan = planImage(gpt(defs), { existing });
    expect(plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.existing])).toEqual([[1, 'esp', true], [2, 'root-x86-64', true], [3, 'xbootldr', true]]);
    expect(plan.dropped).toEqual([]);
  });

  it('merged size ranges that cannot hold are refused (check_cross_def_ranges_valid)', () => {
    // The supplement's SizeMinBytes=500M against the target's SizeMaxBytes=400M.
    const clash = gpt([def('10-esp.conf', { type: 'esp', sizeMaxBytes: 400 * MiB }), defs[1]!, defs[2]!]);
    expect(() => planImage(clash, { sizeBytes: GiB })).toThrow(/SizeMinBytes= larger than SizeMaxBytes= when merged with SupplementFor= target/);
  });
});

describe('SupplementFor= in a layout made in the app (no file names)', () => {
  it('definitions are named as their repart.d export names them (10-esp, 20-…)', () => {
    const plan = planImage(gpt([
      { type: 'esp', label: 'ESP', sizeMinBytes: 100 * MiB },
      { type: 'xbootldr', sizeMinBytes: 200 * MiB, supplementFor: '10-esp' },
    ]), { sizeBytes: 'auto' });
    expect(plan.partitions.map((p) => [p.typeName, p.sizeBytes / MiB])).toEqual([['esp', 200]]);
  });
});

describe('SupplementFor= refusals (supplement_find_target, context_read_definitions)', () => {
  const refuse = (partitions: PartitionSpec[]) => {
    try {
      planImage(gpt(partitions), { sizeBytes: GiB });
    } catch (e) {
      if (isPartwrightError(e)) return e.message;
      throw e;
    }
    return 'planned';
  };

  it('names a definition that does not exist', () => {
    expect(refuse([def('10-esp.conf', { type: 'esp' }), def('20-x.conf', { type: 'xbootldr', supplementFor: '10-efi' })])).toMatch(/20-x\.conf: Couldn't find target partition for SupplementFor=10-efi/);
  });

  it('a target that is itself a supplement', () => {
    expect(refuse([
      def('10-a.conf', { type: 'esp', supplementFor: '20-b' }),
      def('20-b.conf', { type: 'xbootldr', supplementFor: '10-a' }),
    ])).toMatch(/target is itself configured as a supplement/);
  });

  it('two supplements for one target', () => {
    expect(refuse([
      def('10-esp.conf', { type: 'esp' }),
      def('20-a.conf', { type: 'xbootldr', supplementFor: '10-esp' }),
      def('30-b.conf', { type: 'linux-generic', supplementFor: '10-esp' }),
    ])).toMatch(/30-b\.conf: SupplementFor= target already has a supplement defined: 20-a\.conf/);
  });

  it('a target with Verity=', () => {
    expect(refuse([
      def('10-usr.conf', { type: 'usr', verity: 'data', verityMatchKey: 'usr' }),
      def('11-usr-verity.conf', { type: 'usr-verity', verity: 'hash', verityMatchKey: 'usr' }),
      def('20-x.conf', { type: 'linux-generic', supplementFor: '10-usr' }),
    ])).toMatch(/SupplementFor= target uses CopyBlocks=\/Encrypt=\/Verity=/);
  });
});

describe('SupplementFor= against TEST-58-REPART testcase_fallback_partitions (newest repart)', () => {
  // An ESP (vfat, SizeMinBytes=10M) and an XBOOTLDR (vfat, SizeMinBytes=100M) supplementing it; the
  // expected sector numbers are the ones systemd's own test states.
  const defs = gpt([
    def('10-esp.conf', { type: 'esp', format: 'vfat', sizeMinBytes: 10 * MiB }),
    def('20-xbootldr.conf', { type: 'xbootldr', format: 'vfat', sizeMinBytes: 100 * MiB, supplementFor: '10-esp' }),
  ]);
  const XBOOTLDR = 'bc13c2ff-59e6-4262-a352-b275fd6f7172';
  const disk = (sizeBytes: number, parts: [string, number, number][]): ExistingDisk => ({
    sectorSizeBytes: 512, diskSizeBytes: sizeBytes, diskGuid: '1d2ce291-7cce-4f7d-bc83-fdb49ad74ebd', entriesLba: 2, entryCount: 128, firstUsableLba: 2048,
    partitions: parts.map(([typeGuid, startLba, sectors], i) => ({
      partitionNumber: i + 1, offsetBytes: startLba * SECTOR, sizeBytes: sectors * SECTOR, typeGuid,
      uuid: `0000000${i + 1}-0000-4000-8000-000000000000`, label: '', attributes: 0n,
    })),
  });
  const sectors = (plan: ReturnType<typeof planImage>) => plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes / SECTOR, p.sizeBytes / SECTOR]);
  const blank = planImage(defs, { sizeBytes: 'auto' });

  it('a blank disk: one big ESP (start 2048, 532480 sectors), no XBOOTLDR', () => {
    expect(sectors(blank)).toEqual([[1, 'esp', 2048, 532480]]);
  });

  it('a small ESP with room after it: the ESP grows to 532480 sectors, no XBOOTLDR', () => {
    expect(sectors(planImage(defs, { existing: disk(blank.diskSizeBytes, [[ESP, 2048, 20480]]) }))).toEqual([[1, 'esp', 2048, 532480]]);
  });

  it('a small ESP that cannot grow (a root right after it, 400 MiB disk): the XBOOTLDR is created (3 : 43008, 776152)', () => {
    const plan = planImage(defs, { existing: disk(400 * MiB, [[ESP, 2048, 20480], [ROOT, 22528, 20480]]) });
    expect(sectors(plan)).toEqual([
      [1, 'esp', 2048, 20480],
      [3, 'xbootldr', 43008, 776152],
    ]);
    // The root no definition matches stays as it is (a foreign partition).
    expect(plan.foreignPartitions.map((p) => [p.partitionNumber, p.offsetBytes / SECTOR, p.sizeBytes / SECTOR])).toEqual([[2, 22528, 20480]]);
  });

  it('an existing XBOOTLDR: it grows (284632 sectors) and a small ESP is created after it (2 : 286680, 532480)', () => {
    expect(sectors(planImage(defs, { existing: disk(400 * MiB, [[XBOOTLDR, 2048, 20480]]) }))).toEqual([
      [1, 'xbootldr', 2048, 284632],
      [2, 'esp', 286680, 532480],
    ]);
  });
});
