/** MemoryImage, boundedWindow and GrowingFile: the byte sinks the squashfs and erofs makers write into. */
import { describe, expect, it } from 'vitest';
import { SparseImage } from '../disk/sparse-image.ts';
import { isPartwrightError } from '../model/errors.ts';
import { boundedWindow, GrowingFile, MemoryImage } from './image-window.ts';

describe('MemoryImage', () => {
  it('reads back what was written across page boundaries, zeros elsewhere, and truncates', () => {
    const m = new MemoryImage();
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i % 251) + 1);
    m.write((1 << 20) - 1000, data);
    expect(m.sizeBytes).toBe((1 << 20) + 2000);
    const back = new Uint8Array(3000);
    m.read((1 << 20) - 1000, back);
    expect(back).toEqual(data);
    const zeros = new Uint8Array(16);
    m.read(0, zeros);
    expect(zeros.every((b) => b === 0)).toBe(true);
    // Zero writes past the end grow the size without allocating.
    m.write(5 << 20, new Uint8Array(100));
    expect(m.sizeBytes).toBe((5 << 20) + 100);
    expect([...m.extents()].map((e) => e.offsetBytes)).toEqual([0, 1 << 20]);
    m.truncate(1 << 20);
    expect(m.sizeBytes).toBe(1 << 20);
    expect([...m.extents()].map((e) => [e.offsetBytes, e.data.length])).toEqual([[0, 1 << 20]]);
    const cut = new Uint8Array(1);
    m.read((1 << 20) - 1, cut);
    expect(cut[0]).toBe(data[999]);
  });
});

describe('boundedWindow', () => {
  it('writes at the partition offset, refuses to grow past it, and discards on truncate', () => {
    const image = new SparseImage(1 << 20);
    const w = boundedWindow(image, 4096, 8192, 'test');
    w.write(0, new Uint8Array(4096).fill(7));
    expect(image.read(4096, 1)[0]).toBe(7);
    let code = '';
    try {
      w.write(8000, new Uint8Array(500).fill(1));
    } catch (e) {
      code = isPartwrightError(e) ? e.code : String(e);
    }
    expect(code).toBe('does-not-fit');
    w.truncate(0);
    expect(image.dataRanges(4096, 8192)).toEqual([]);
  });
});

describe('GrowingFile', () => {
  it('grows with writes and shrinks the window on resize', () => {
    const m = new MemoryImage();
    const f = new GrowingFile(m);
    f.write(10, new Uint8Array([1, 2, 3]));
    expect(f.sizeBytes).toBe(13);
    f.resize(11);
    expect(f.sizeBytes).toBe(11);
    expect(m.sizeBytes).toBe(11);
    const b = new Uint8Array(3);
    f.read(10, b);
    expect([...b]).toEqual([1, 0, 0]);
  });
});
