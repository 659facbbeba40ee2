import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink, FileSource } from '../hosts/node/file.ts';
import { ExtentMap } from './extent-map.ts';
import { rawBytes, writeRawImage } from '../formats/outputs/index.ts';
import { SparseImage, scanDataRanges, type ReadSource } from './sparse-image.ts';

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ExtentMap', () => {
  it('matches a byte-by-byte reference under random adds and removes', () => {
    const rnd = lcg(7);
    const size = 4096;
    const ref = new Uint8Array(size);
    const map = new ExtentMap();
    for (let i = 0; i < 2000; i++) {
      const off = Math.floor(rnd() * size);
      const len = Math.floor(rnd() * Math.min(200, size - off));
      const add = rnd() < 0.6;
      if (add) map.add(off, len);
      else map.remove(off, len);
      ref.fill(add ? 1 : 0, off, off + len);
    }
    const got = new Uint8Array(size);
    for (const r of map.ranges()) got.fill(1, r.offsetBytes, r.offsetBytes + r.sizeBytes);
    expect(got).toEqual(ref);
    // Ranges are sorted, disjoint and not adjacent.
    const rs = map.ranges();
    for (let i = 1; i < rs.length; i++) expect(rs[i]!.offsetBytes).toBeGreaterThan(rs[i - 1]!.offsetBytes + rs[i - 1]!.sizeBytes);
    expect(map.mappedBytes).toBe(ref.reduce((n, b) => n + b, 0));
  });

  it('clips ranges to a window', () => {
    const map = new ExtentMap();
    map.add(100, 100);
    map.add(300, 100);
    expect(map.ranges(150, 200)).toEqual([{ offsetBytes: 150, sizeBytes: 50 }, { offsetBytes: 300, sizeBytes: 50 }]);
  });
});

describe('SparseImage', () => {
  it('reads back what was written, zeros elsewhere, across chunk boundaries', () => {
    const img = new SparseImage(8 << 20);
    const data = new Uint8Array(3000).map((_, i) => (i * 7 + 1) & 0xff);
    const at = (1 << 20) - 1000; // straddles the 1 MiB chunk boundary
    img.write(at, data);
    expect(img.read(at, data.length)).toEqual(data);
    expect(img.read(at - 10, 10)).toEqual(new Uint8Array(10));
    expect(img.dataRanges()).toEqual([{ offsetBytes: at, sizeBytes: 3000 }]);
    img.discard(at + 1000, 1000);
    expect(img.read(at + 1000, 1000)).toEqual(new Uint8Array(1000));
    expect(img.mappedBytes).toBe(2000);
  });

  it('refuses writes outside the image with the byte range in the message', () => {
    const img = new SparseImage(4096);
    expect(() => img.write(4000, new Uint8Array(200))).toThrow(/bytes 4000–4199: the image is 4096 bytes/);
  });

  it('a 64 GiB image stores only what was written', () => {
    const img = new SparseImage(64 * 2 ** 30);
    img.write(0, new Uint8Array(512).fill(1));
    img.write(64 * 2 ** 30 - 512, new Uint8Array(512).fill(2));
    expect(img.store.storedBytes).toBeLessThanOrEqual(2 << 20);
    expect(img.read(64 * 2 ** 30 - 512, 512)[0]).toBe(2);
  });

  it('shows a base layer through holes and never writes to it', () => {
    const baseBytes = new Uint8Array(16384).fill(0xaa);
    baseBytes.fill(0, 4096, 8192);
    const base: ReadSource = { sizeBytes: baseBytes.length, read: (o, t) => t.set(baseBytes.subarray(o, o + t.length)) };
    const ranges = scanDataRanges(base, 4096);
    expect(ranges).toEqual([{ offsetBytes: 0, sizeBytes: 4096 }, { offsetBytes: 8192, sizeBytes: 8192 }]);
    const img = new SparseImage(32768, undefined, { source: base, dataRanges: ranges });
    img.write(100, new Uint8Array([1, 2, 3]));
    const got = img.read(98, 7);
    expect(Array.from(got)).toEqual([0xaa, 0xaa, 1, 2, 3, 0xaa, 0xaa]);
    expect(img.read(5000, 1)[0]).toBe(0);
    expect(img.read(20000, 1)[0]).toBe(0); // beyond the base: a hole
    img.discard(8192, 4096);
    expect(img.read(8192, 1)[0]).toBe(0);
    expect(baseBytes[8192]).toBe(0xaa);
    expect(img.dataRanges()).toEqual([{ offsetBytes: 0, sizeBytes: 4096 }, { offsetBytes: 12288, sizeBytes: 4096 }]);
  });
});

describe('raw output', () => {
  it('writes a 64 GiB image to a file that occupies kilobytes, byte-exact where written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-raw-'));
    const file = path.join(dir, 'big.img');
    const size = 64 * 2 ** 30;
    const img = new SparseImage(size);
    const head = new Uint8Array(17408).map((_, i) => i & 0xff);
    const tail = new Uint8Array(16896).map((_, i) => (i * 3) & 0xff);
    img.write(0, head);
    img.write(size - tail.length, tail);
    const sink = new FileSink(file);
    writeRawImage(img, sink);
    sink.close();
    const st = fs.statSync(file);
    expect(st.size).toBe(size);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
    // du agrees: the file is sparse on disk.
    const du = Number(execFileSync('du', ['-k', file], { encoding: 'utf8' }).split('\t')[0]);
    expect(du).toBeLessThan(1024);
    const src = new FileSource(file);
    const back = new Uint8Array(tail.length);
    src.read(size - tail.length, back);
    expect(back).toEqual(tail);
    src.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('streams holes as zeros in order', () => {
    const img = new SparseImage(5000);
    img.write(1000, new Uint8Array([9, 9]));
    const parts = [...rawBytes(img, img.sizeBytes, 1024)];
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { whole.set(p, o); o += p.length; }
    expect(whole.length).toBe(5000);
    expect(whole[1000]).toBe(9);
    expect(whole[1001]).toBe(9);
    expect(whole.reduce((n, b) => n + b, 0)).toBe(18);
  });
});
