/**
 * Golden test: an empty volume written by writeFat is byte-identical to what
 * `mkfs.fat --invariant -i ID -n LABEL [-F N] [-S N] [-h N] -C FILE KIB` writes (dosfstools 4.2),
 * over the whole metadata area (boot sector, FSInfo, backups, both FATs, root directory).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparseImage } from '../../disk/sparse-image.ts';
import { planFatGeometry, type FatType } from './geometry.ts';
import { writeFat } from './writer.ts';
import { cleanupTemp, readRange, requireFatTools, tempDir, tool } from './test-support/fat-tools.ts';

/** mkfs.fat --invariant's creation time (2015-03-14 09:26:53 UTC). */
const INVARIANT_TIME = 1426325213;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

let dir: string;
beforeAll(() => {
  requireFatTools('mkfs.fat');
  dir = tempDir();
});
afterAll(cleanupTemp);

interface Case {
  sizeBytes: number;
  fatType?: FatType;
  sectorBytes?: 512 | 4096;
  hiddenSectors?: number;
  label?: string;
  volumeId?: number;
}

function mkfs(c: Case): { path: string; ok: boolean; output: string } {
  const path = join(dir, `ref-${c.sizeBytes}-${c.fatType ?? 0}-${c.sectorBytes ?? 512}.img`);
  if (existsSync(path)) rmSync(path);
  const args = ['--invariant', '-i', (c.volumeId ?? 0x2178694e).toString(16)];
  if (c.label !== undefined) args.push('-n', c.label);
  if (c.fatType) args.push('-F', String(c.fatType));
  if (c.sectorBytes) args.push('-S', String(c.sectorBytes));
  if (c.hiddenSectors !== undefined) args.push('-h', String(c.hiddenSectors));
  args.push('-C', path, String(c.sizeBytes / KiB));
  const r = tool('mkfs.fat', args);
  return { path, ok: r.status === 0, output: r.stdout + r.stderr };
}

function compare(c: Case): void {
  const ref = mkfs(c);
  const options = { sizeBytes: c.sizeBytes, fatType: c.fatType, sectorBytes: c.sectorBytes, hiddenSectors: c.hiddenSectors,
    label: c.label, volumeId: c.volumeId ?? 0x2178694e, epochSeconds: INVARIANT_TIME };
  if (!ref.ok) {
    expect(() => planFatGeometry(options), `mkfs.fat refused ${c.sizeBytes}: ${ref.output}`).toThrow();
    return;
  }
  const image = new SparseImage(c.sizeBytes);
  const result = writeFat(image, 0, options);
  const g = result.geometry;
  const metaBytes = g.dataOffsetBytes + (g.fatType === 32 ? g.clusterBytes : 0);
  const expected = readRange(ref.path, 0, metaBytes);
  const actual = image.read(0, metaBytes);
  const firstDiff = expected.findIndex((b, i) => b !== actual[i]);
  expect(firstDiff, `size ${c.sizeBytes} FAT${c.fatType ?? 'auto'} → FAT${g.fatType} spc ${g.sectorsPerCluster}: first difference at byte ${firstDiff}`).toBe(-1);
  // Nothing else written by either: mkfs.fat writes only the metadata, we write only what we map.
  const last = image.dataRanges().at(-1)!;
  expect(last.offsetBytes + last.sizeBytes).toBeLessThanOrEqual(metaBytes);
  rmSync(ref.path);
}

describe('geometry and empty volume vs mkfs.fat 4.2', () => {
  it('refuses what mkfs.fat refuses at the small end', () => {
    for (const kib of [8, 32, 48, 60, 62, 63, 64, 65, 68]) compare({ sizeBytes: kib * KiB });
  });

  it('floppy sizes get the floppy geometry', () => {
    for (const kib of [360, 720, 1200, 1440, 2880]) compare({ sizeBytes: kib * KiB, label: 'FLOPPY' });
  });

  it('default type and cluster size across sizes (FAT12 → FAT16 → FAT32)', () => {
    const sizes = [100 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 4 * MiB + 512 * KiB, 8 * MiB, 15 * MiB, 16 * MiB, 17 * MiB, 30 * MiB,
      32 * MiB, 64 * MiB, 100 * MiB, 127 * MiB, 128 * MiB, 255 * MiB, 256 * MiB, 260 * MiB, 300 * MiB, 511 * MiB,
      512 * MiB, 513 * MiB, 1 * GiB, 3 * GiB, 8 * GiB, 8 * GiB + 4 * MiB, 16 * GiB + 4 * MiB, 32 * GiB, 32 * GiB + 4 * MiB];
    for (const sizeBytes of sizes) compare({ sizeBytes, label: 'PARTWRIGHT' });
  });

  it('odd sizes (not track multiples, pseudo-random)', () => {
    let x = 12345;
    for (let i = 0; i < 40; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const kib = 64 + (x % (600 * 1024));
      compare({ sizeBytes: kib * KiB });
    }
  });

  it('forced FAT12, FAT16 and FAT32 (repart forces FAT32)', () => {
    for (const sizeBytes of [1 * MiB, 8 * MiB, 16 * MiB, 33 * MiB, 64 * MiB, 100 * MiB, 260 * MiB, 600 * MiB, 2 * GiB]) {
      for (const fatType of [12, 16, 32] as const) compare({ sizeBytes, fatType, label: 'ESP' });
    }
  });

  it('hidden sectors, no label, 4096-byte sectors', () => {
    compare({ sizeBytes: 30 * MiB, hiddenSectors: 16384, label: 'FIRMWARE' });
    compare({ sizeBytes: 100 * MiB, hiddenSectors: 2048 });
    compare({ sizeBytes: 600 * MiB, fatType: 32, hiddenSectors: 2048, label: 'lower' });
    for (const sizeBytes of [8 * MiB, 64 * MiB, 300 * MiB, 1 * GiB]) {
      compare({ sizeBytes, sectorBytes: 4096 });
      compare({ sizeBytes, sectorBytes: 4096, fatType: 32 });
    }
  });

  it('NixOS sdImage FIRMWARE: 30 MiB gets FAT16', () => {
    compare({ sizeBytes: 30 * MiB, label: 'FIRMWARE', volumeId: 0x2178694e });
    expect(planFatGeometry({ sizeBytes: 30 * MiB }).fatType).toBe(16);
  });
});
