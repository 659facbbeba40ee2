/**
 * formatExt4 at sizes that matter for real images: 20,000 files, a 3 GiB (sparse) input file, a
 * 16 GiB partition with little content built in bounded memory. Checked with native e2fsck/debugfs.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputDir, InputEntry, InputFile } from '../build/input-tree.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { formatExt4, type FormatExt4Options } from './mke2fs.ts';
import { debugfs, debugfsStat, mke2fsModule, requireE2fsprogs, run, saveImage } from './test-support/e2fs-tools.ts';

const EPOCH = 1_700_000_000;
const MiB = 1 << 20;
const GiB = 1 << 30;

let tmp: string;
beforeAll(() => {
  requireE2fsprogs();
  tmp = mkdtempSync(join(tmpdir(), 'pw-mke2fs-big-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function options(sizeBytes: number, tree?: InputDir): FormatExt4Options {
  return {
    module: mke2fsModule(), offsetBytes: 0, sizeBytes, label: 'big', uuid: '44444444-4444-4444-8888-888888888888',
    hashSeed: '12345678-1234-4234-8234-123456789abc', sourceDateEpoch: EPOCH, ...(tree ? { tree } : {}),
  };
}

function fsckClean(path: string): string {
  const r = run('e2fsck', ['-fn', path]);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

function text(name: string, content: string): InputFile {
  const bytes = new TextEncoder().encode(content);
  return { kind: 'file', name, mode: 0o644, uid: 0, gid: 0, mtimeSeconds: EPOCH, sizeBytes: bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) };
}

describe('formatExt4 at scale', () => {
  it('copies 20,000 files', () => {
    const dirs: InputEntry[] = Array.from({ length: 100 }, (_, d) => ({
      kind: 'dir', name: `pkg-${d}`, mode: 0o755, mtimeSeconds: EPOCH,
      children: Array.from({ length: 200 }, (_, f) => text(`lib${f}.so`, `${d}:${f}\n`.repeat(1 + (f % 50)))),
    }));
    const size = 512 * MiB;
    const image = new SparseImage(size);
    const t0 = performance.now();
    formatExt4(image, options(size, { kind: 'dir', name: '', children: dirs }));
    const ms = performance.now() - t0;
    const path = join(tmp, '20k.img');
    saveImage(image, path);
    expect(fsckClean(path)).toMatch(/ 20111\/\d+ files/); // 20,000 files + 100 directories + 11 reserved inodes
    expect(debugfs(path, 'cat /pkg-99/lib199.so')).toBe('99:199\n'.repeat(50));
    console.log(`20,000 files into a 512 MiB ext4: ${ms.toFixed(0)} ms, image holds ${(image.mappedBytes / MiB).toFixed(1)} MiB`);
  });

  it('copies a 3 GiB sparse file read lazily, data beyond 2 GiB intact', () => {
    const fileBytes = 3 * GiB;
    const markers = new Map<number, number>([[0, 0x11], [GiB + 4096 * 7, 0x22], [2 * GiB + 12345 * 4096, 0x33], [fileBytes - 4096, 0x44]]);
    let readBytes = 0;
    let largestRead = 0;
    const big: InputFile = {
      kind: 'file', name: 'disk.raw', mode: 0o600, uid: 0, gid: 0, mtimeSeconds: EPOCH, sizeBytes: fileBytes,
      read: (offset, target) => {
        readBytes += target.length;
        largestRead = Math.max(largestRead, target.length);
        target.fill(0);
        for (const [at, value] of markers) {
          const start = Math.max(at, offset);
          const end = Math.min(at + 4096, offset + target.length);
          if (start < end) target.fill(value, start - offset, end - offset);
        }
      },
    };
    const size = 256 * MiB;
    const image = new SparseImage(size);
    const t0 = performance.now();
    formatExt4(image, options(size, { kind: 'dir', name: '', children: [big] }));
    const ms = performance.now() - t0;
    expect(readBytes).toBe(fileBytes); // every byte read once, in bounded pieces
    expect(largestRead).toBeLessThanOrEqual(MiB); // the host's data chunk (patch 0003), not the file
    const path = join(tmp, 'bigfile.img');
    saveImage(image, path);
    fsckClean(path);
    expect(debugfsStat(path, '/disk.raw').sizeBytes).toBe(fileBytes);
    // Map each marker's logical block to its physical block with the extent tree, read it back.
    const extents = [...debugfs(path, 'ex /disk.raw').matchAll(/^\s*\d+\/\s*\d+\s+\d+\/\s*\d+\s+(\d+)\s+-\s+(\d+)\s+(\d+)\s+-\s+(\d+)\s+\d+\s*$/gm)]
      .map((m) => ({ logical: Number(m[1]), logicalEnd: Number(m[2]), physical: Number(m[3]) }));
    expect(extents.length).toBe(markers.size);
    const fd = openSync(path, 'r');
    try {
      for (const [at, value] of markers) {
        const block = at / 4096;
        const e = extents.find((x) => x.logical <= block && block <= x.logicalEnd);
        expect(e, `extent for logical block ${block}`).toBeDefined();
        const buf = Buffer.alloc(4096);
        readSync(fd, buf, 0, 4096, (e!.physical + block - e!.logical) * 4096);
        expect(buf.every((b) => b === value), `marker 0x${value.toString(16)}`).toBe(true);
      }
    } finally {
      closeSync(fd);
    }
    console.log(`3 GiB sparse file: ${ms.toFixed(0)} ms`);
  });

  it('makes a 16 GiB partition with little content in bounded memory', () => {
    const size = 16 * GiB;
    const image = new SparseImage(size + 2 * MiB);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const files: InputFile[] = Array.from({ length: 50 }, (_, i) => {
      const f = text(`f${i}`, `file ${i}\n`.repeat(10_000));
      const read = f.read;
      return { ...f, read: (o: number, t: Uint8Array) => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); read(o, t); } };
    });
    const t0 = performance.now();
    formatExt4(image, { ...options(size, { kind: 'dir', name: '', children: files }), offsetBytes: MiB });
    const ms = performance.now() - t0;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const stored = image.store.storedBytes;
    console.log(`16 GiB ext4: ${ms.toFixed(0)} ms, stored ${(stored / MiB).toFixed(1)} MiB, mapped ${(image.mappedBytes / MiB).toFixed(1)} MiB, RSS +${((rssPeak - rssBefore) / MiB).toFixed(0)} MiB`);
    // Metadata (bitmaps, group descriptors, inode tables in use, directories) and the content; the
    // 128 MiB journal of zeros and the uninitialised inode tables stay holes.
    expect(stored).toBeLessThan(48 * MiB);
    expect(rssPeak - rssBefore).toBeLessThan(400 * MiB);
    const path = join(tmp, '16g.img');
    saveImage(image, path, MiB, size);
    const out = fsckClean(path);
    expect(out).toMatch(/ 61\/\d+ files/);
    expect(debugfs(path, 'cat /f49')).toBe('file 49\n'.repeat(10_000));
  });
});
