import { describe, expect, it } from 'vitest';
import { planImage } from '../../workers/plan/plan-image.ts';
import { diskRegions, groupDigits, regionWidths } from './disk-map.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('disk map regions', () => {
  it('lays out tables, partitions, padding, blobs and free space in disk order without gaps', () => {
    const plan = planImage({
      table: 'gpt',
      sizeBytes: 64 * GiB,
      gpt: { entriesLba: 2048 },
      firstPartitionOffsetBytes: 4 * MiB,
      blobs: [{ name: 'spl', offsetBytes: 8 * 1024, sizeBytes: 24 * 1024 }],
      partitions: [
        { type: 'esp', sizeMinBytes: MiB, sizeMaxBytes: MiB, paddingMinBytes: MiB, paddingMaxBytes: MiB },
        { type: 'root', sizeMinBytes: GiB },
      ],
    });
    const regions = diskRegions(plan);
    expect(regions.map((r) => r.kind)).toEqual(['table', 'table', 'free', 'blob', 'free', 'table', 'free', 'partition', 'padding', 'partition', 'free', 'table']);
    expect(regions.map((r) => r.label).filter((l) => l !== 'free')).toEqual(['PMBR', 'GPT', 'spl', 'GPT', 'esp', 'padding', 'root-x86-64', 'GPT backup']);
    // Contiguous and covering the disk exactly.
    let at = 0;
    for (const r of regions) {
      expect(r.offsetBytes).toBe(at);
      at += r.sizeBytes;
    }
    expect(at).toBe(plan.diskSizeBytes);
    expect(regions.find((r) => r.kind === 'blob')?.blobIndex).toBe(0);
    expect(regions.filter((r) => r.kind === 'partition').map((r) => r.partitionIndex)).toEqual([0, 1]);
  });

  it('draws partitions copied from CopyFrom= images (no definition: no partition index) in disk order', () => {
    const both = planImage({ table: 'gpt', sizeBytes: 64 * MiB, partitions: [{ type: 'esp', sizeMinBytes: 8 * MiB, sizeMaxBytes: 8 * MiB }, { type: 'root', sizeMinBytes: 16 * MiB, sizeMaxBytes: 16 * MiB }] });
    // As engine.planExact returns it: the copied partition apart, the layout's own with its own index.
    const copied = both.partitions.filter((p) => p.specIndex === 0);
    const own = { ...both, partitions: both.partitions.filter((p) => p.specIndex === 1).map((p) => ({ ...p, specIndex: 0 })) };
    const regions = diskRegions(own, copied).filter((r) => r.kind === 'partition');
    expect(regions.map((r) => [r.label, r.offsetBytes, r.partitionIndex])).toEqual([['esp', MiB, undefined], ['root-x86-64', 9 * MiB, 0]]);
  });

  it('keeps a 1 MiB region visible beside 60 GiB', () => {
    const widths = regionWidths(
      [
        { kind: 'partition', label: 'a', offsetBytes: 0, sizeBytes: MiB, overlap: false },
        { kind: 'partition', label: 'b', offsetBytes: MiB, sizeBytes: 60 * GiB, overlap: false },
      ],
      1000,
      14,
    );
    expect(widths[0]).toBeGreaterThanOrEqual(14);
    expect(widths[0]! + widths[1]!).toBeCloseTo(1000);
  });

  it('groups digits for exact numbers', () => {
    expect(groupDigits(1073741824)).toBe('1\u2009073\u2009741\u2009824');
    expect(groupDigits(512)).toBe('512');
  });
});
