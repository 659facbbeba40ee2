/**
 * Files copied into a store file by several threads at once (copy-files.ts): the same bytes as a
 * one-at-a-time copy, padding written as zeros, failures named by path as before.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFilesInto, type PathCopy } from './copy-files.ts';
import { FileStore } from './file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-copyfiles-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `count` files of varied sizes (some over the 1 MiB chunk, one empty) laid out 4 KiB-padded. */
function inputs(count: number): PathCopy[] {
  const copies: PathCopy[] = [];
  let at = 8192;
  for (let i = 0; i < count; i++) {
    const sizeBytes = i === 3 ? 0 : (i * 7919 * 37) % (3 << 20) + 1;
    const bytes = new Uint8Array(sizeBytes);
    const block = createHash('sha256').update(String(i)).digest();
    for (let o = 0; o < sizeBytes; o += block.length) bytes.set(block.subarray(0, Math.min(block.length, sizeBytes - o)), o);
    const file = path.join(dir, `in-${i}`);
    fs.writeFileSync(file, bytes);
    const paddedBytes = Math.ceil(sizeBytes / 4096) * 4096;
    copies.push({ offsetBytes: at, path: file, sizeBytes, paddedBytes });
    at += paddedBytes + (i % 2) * 4096;
  }
  return copies;
}

/** What a one-at-a-time copy leaves: each file at its offset, zeros after it up to its padded size. */
function expected(copies: readonly PathCopy[], sizeBytes: number, fill: number): Uint8Array {
  const out = new Uint8Array(sizeBytes).fill(fill);
  for (const c of copies) {
    out.fill(0, c.offsetBytes, c.offsetBytes + c.paddedBytes);
    out.set(fs.readFileSync(c.path), c.offsetBytes);
  }
  return out;
}

describe('copyFilesInto', () => {
  const copies = inputs(40);
  const end = copies.at(-1)!.offsetBytes + copies.at(-1)!.paddedBytes + 4096;

  for (const threads of [0, 1, 3]) {
    it(`places every file, padded with zeros over what was there (${threads} worker threads besides this one)`, () => {
      const target = path.join(dir, `out-${threads}`);
      // Non-zero bytes everywhere first: the padding must be written, not left as it was.
      fs.writeFileSync(target, new Uint8Array(end).fill(0xee));
      const fd = fs.openSync(target, 'r+');
      try {
        copyFilesInto(fd, target, copies, { threads, parallelMinBytes: 0 });
      } finally {
        fs.closeSync(fd);
      }
      expect(Buffer.compare(fs.readFileSync(target), expected(copies, end, 0xee))).toBe(0);
    });
  }

  it('a file that became shorter than its listed size fails naming it, from a worker thread too', () => {
    const shrunk = copies.map((c, i) => (i === 30 ? { ...c, sizeBytes: c.sizeBytes + 10, paddedBytes: c.paddedBytes + 4096 } : c));
    const target = path.join(dir, 'out-short');
    const fd = fs.openSync(target, 'w+');
    try {
      expect(() => copyFilesInto(fd, target, shrunk, { threads: 2, parallelMinBytes: 0 })).toThrow(`${copies[30]!.path} became shorter while it was being copied.`);
      expect(() => copyFilesInto(fd, target, [...copies.slice(0, 5), { ...copies[5]!, path: path.join(dir, 'missing') }], { threads: 1, parallelMinBytes: 0 }))
        .toThrow(/Cannot read .*missing: ENOENT/);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('FileStore.copyFiles: the files read back from the store and count as written; refs that are not paths are declined', () => {
    const store = new FileStore(path.join(dir, 'a.store'));
    try {
      expect(store.copyFiles([{ offsetBytes: 0, ref: { opaque: true }, sizeBytes: 1, paddedBytes: 4096 }])).toBe(false);
      expect(store.copyFiles(copies.map((c) => ({ offsetBytes: c.offsetBytes, ref: c.path, sizeBytes: c.sizeBytes, paddedBytes: c.paddedBytes })))).toBe(true);
      const back = new Uint8Array(end);
      store.read(0, back);
      expect(Buffer.compare(back, expected(copies, end, 0))).toBe(0);
    } finally {
      store.close();
    }
  });
});
