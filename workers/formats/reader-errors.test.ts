/**
 * Coded errors for two hostile inputs found by fuzzing (issue 15): an ISO whose root directory
 * record is 20 bytes (was a plain RangeError) and a FAT volume whose directory points back at its
 * parent (was a stack overflow).
 */
import { describe, expect, it } from 'vitest';
import { SparseImage } from '../disk/sparse-image.ts';
import { PartwrightError } from '../model/errors.ts';
import { decodeIso, planIso, writeIso, type IsoEntryInput } from './iso9660/index.ts';
import { readFat } from './fat/reader.ts';
import { writeFat } from './fat/writer.ts';
import { readFromBytes } from './table-region.ts';

function caught(f: () => unknown): PartwrightError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PartwrightError);
    return e as PartwrightError;
  }
  throw new Error('expected an error');
}

describe('reader errors are coded', () => {
  it('ISO: a 20-byte root directory record', () => {
    const text = new TextEncoder().encode('hello');
    const entries: IsoEntryInput[] = [{ path: 'a.txt', kind: 'file', sizeBytes: 5, mode: 0o644, uid: 0, gid: 0, read: (o, t) => t.set(text.subarray(o, o + t.length)) }];
    const plan = planIso(entries, { volumeId: 'SHORT', sourceDateEpoch: 0 });
    const image = new SparseImage(plan.sizeBytes);
    writeIso(image, plan);
    const bytes = image.read(0, image.sizeBytes);
    // Primary volume descriptor at sector 16; its root directory record at byte 156 (ECMA-119 §8.4.18).
    bytes[16 * 2048 + 156] = 20;
    const e = caught(() => decodeIso(readFromBytes(bytes)));
    expect(e.code).toBe('corrupt-table');
    expect(e.message).toMatch(/root directory record/);
  });

  it('FAT: a directory whose entry points back at its parent', () => {
    const sizeBytes = 2 << 20;
    const image = new SparseImage(sizeBytes);
    writeFat(image, 0, { sizeBytes, volumeId: 1, epochSeconds: 0 }, [{ kind: 'dir', name: 'A', children: [{ kind: 'dir', name: 'B', children: [] }] }]);
    const bytes = image.read(0, sizeBytes);
    const before = readFat(readFromBytes(bytes)).walk();
    const a = before.find((e) => e.path === '/A')!;
    const b = before.find((e) => e.path === '/A/B')!;
    // Find B's 32-byte short entry and point its first cluster at A.
    const name = new TextEncoder().encode('B          ');
    let at = -1;
    for (let i = 0; i + 32 <= bytes.length; i += 32) {
      if (name.every((c, j) => bytes[i + j] === c) && (bytes[i + 26]! | (bytes[i + 27]! << 8)) === (b.firstCluster & 0xffff)) at = i;
    }
    expect(at).toBeGreaterThan(0);
    bytes[at + 26] = a.firstCluster & 0xff;
    bytes[at + 27] = (a.firstCluster >> 8) & 0xff;
    const e = caught(() => readFat(readFromBytes(bytes)).walk());
    expect(e.code).toBe('corrupt-table');
    expect(e.detail.problem).toBe('dir-loop');
  });
});
