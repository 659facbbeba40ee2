/**
 * The Node file store (issue 15): created exclusively (never through a planted symlink), discards
 * record holes without writing zeros, and the bytes a discard hid are punched out of the file
 * before it becomes an image (so no stale data reaches an output), giving its blocks back.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PartwrightError } from '../../model/errors.ts';
import { FileStore } from './file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-filestore-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;

describe('FileStore', () => {
  it('refuses an existing path or a symlink instead of writing through it', () => {
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'keep');
    const link = path.join(dir, 'link.store');
    fs.symlinkSync(victim, link);
    expect(() => new FileStore(link)).toThrow(PartwrightError);
    expect(() => new FileStore(victim)).toThrow(/already exists/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep');
  });

  it('discarding a range records a hole; the bytes it held are punched before the file is an image', () => {
    const file = path.join(dir, 'a.store');
    const store = new FileStore(file);
    store.write(0, new Uint8Array(8 * MiB).fill(0xaa));
    const before = fs.statSync(file).blocks * 512;
    // A discard of a range nothing was written to costs nothing at all.
    store.discard(64 * MiB, 1024 * MiB);
    expect(fs.statSync(file).blocks * 512).toBe(before);
    store.discard(2 * MiB, 4 * MiB);
    const readBack = new Uint8Array(8 * MiB);
    store.read(0, readBack);
    expect(readBack.subarray(2 * MiB, 6 * MiB).every((b) => b === 0)).toBe(true);
    expect(readBack[0]).toBe(0xaa);
    store.setSize(16 * MiB);
    store.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(2 * MiB, 6 * MiB).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(6 * MiB, 8 * MiB).every((b) => b === 0xaa)).toBe(true);
    expect(fs.statSync(file).blocks * 512).toBeLessThanOrEqual(before - 4 * MiB);
  });
});
