import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../test-support/tools.ts';
import { SparseImage } from '../../disk/sparse-image.ts';
import { compileZstdModule, zstdFrameCompressor, ZSTD_WASM_URL } from '../../tools/zstd.ts';
import type { ImageSource } from './image-source.ts';
import { deflateZeros, gzipMembers, gzipZeroMember, segments, zstdSeekableChunks, zstdZeroFrames } from './hole-skipping.ts';
import { inflateRawSync } from 'node:zlib';

requireTools('gzip', 'zstd');
const MiB = 1 << 20;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-holes-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** An image source that fails any read touching a hole: proves holes cost no reading. */
function strict(image: SparseImage): ImageSource & { readBytes: number } {
  const src = {
    readBytes: 0,
    sizeBytes: image.sizeBytes,
    dataRanges: () => image.dataRanges(),
    readInto(offsetBytes: number, target: Uint8Array) {
      src.readBytes += target.length;
      if (src.readBytes > 64 * MiB) throw new Error('read far more than the data');
      image.readInto(offsetBytes, target);
    },
  };
  return src;
}

function sample(sizeBytes: number): SparseImage {
  const image = new SparseImage(sizeBytes);
  image.write(0, Uint8Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
  image.write(Math.floor(sizeBytes / 3), Uint8Array.from({ length: 3 * MiB + 7 }, (_, i) => (i >> 8) & 0xff));
  image.write(sizeBytes - 1000, new Uint8Array(1000).fill(0x5a));
  return image;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('zero runs without reading them', () => {
  it('deflateZeros inflates to exactly n zeros (zlib), gzipZeroMember passes gzip -t and gzip -dc', () => {
    for (const n of [1, 2, 257, 258, 259, 260, 516, 517, 65_536, MiB + 3]) {
      const out = inflateRawSync(deflateZeros(n));
      expect(out.length).toBe(n);
      expect(out.every((b) => b === 0)).toBe(true);
      expect(gunzipSync(gzipZeroMember(n)).length).toBe(n);
    }
    const file = path.join(work, 'z.gz');
    // A data member, a 200 MiB zero member and another data member, concatenated: one gzip file.
    fs.writeFileSync(file, Buffer.concat([gzipSync(Buffer.from('head')), gzipZeroMember(200 * MiB), gzipSync(Buffer.from('tail'))]));
    execFileSync('gzip', ['-t', file]);
    const back = execFileSync('gzip', ['-dc', file], { maxBuffer: 300 * MiB });
    expect(back.length).toBe(200 * MiB + 8);
    expect(back.subarray(0, 4).toString()).toBe('head');
    expect(back.subarray(-4).toString()).toBe('tail');
    // 2 bits per 258 zero bytes: about what gzip -6 itself makes of zeros.
    expect(gzipZeroMember(200 * MiB).length).toBeLessThan(210_000);
  });

  it('zstd zero frames (RLE blocks) decompress with zstd -dc', () => {
    const file = path.join(work, 'z.zst');
    fs.writeFileSync(file, Buffer.concat(zstdZeroFrames(3 * MiB + 5).map((f) => f.frame)));
    const back = execFileSync('zstd', ['-dc', file], { maxBuffer: 10 * MiB });
    expect(back.length).toBe(3 * MiB + 5);
    expect(back.every((b) => b === 0)).toBe(true);
  });

  it('segments: short holes go with the data, long ones stand alone, data is split into frames', () => {
    const image = sample(64 * MiB);
    const s = segments(image, 2 * MiB);
    expect(s[0]).toEqual({ offsetBytes: 0, sizeBytes: 4096, zero: false });
    expect(s.filter((x) => x.zero).every((x) => x.sizeBytes >= MiB)).toBe(true);
    expect(s.filter((x) => !x.zero).every((x) => x.sizeBytes <= 2 * MiB)).toBe(true);
    let pos = 0;
    for (const x of s) {
      expect(x.offsetBytes).toBe(pos);
      pos += x.sizeBytes;
    }
    expect(pos).toBe(64 * MiB);
  });
});

describe('compressed outputs whose time follows the data', () => {
  const zstdModule = compileZstdModule(fs.readFileSync(ZSTD_WASM_URL));

  it('gzip: a 256 MiB image with 3 MiB of data reads only its data and gzip -dc restores it', async () => {
    const image = sample(256 * MiB);
    const src = strict(image);
    const file = path.join(work, 'img.gz');
    const chunks: Uint8Array[] = [];
    for await (const c of gzipMembers(src, (bytes) => [gzipSync(Buffer.concat([...bytes]))])) chunks.push(c);
    fs.writeFileSync(file, Buffer.concat(chunks));
    expect(src.readBytes).toBeLessThan(8 * MiB);
    const expected = createHash('sha256');
    const zeros = new Uint8Array(64 * MiB);
    for (let pos = 0; pos < image.sizeBytes; pos += zeros.length) expected.update(image.read(pos, Math.min(zeros.length, image.sizeBytes - pos)));
    const got = execFileSync('sh', ['-c', `gzip -dc '${file}' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    expect(got).toBe(expected.digest('hex'));
  });

  it('zstd: seekable frames and table; zstd -t passes, zstd -dc restores the image, the table adds up', () => {
    const image = sample(512 * MiB);
    const src = strict(image);
    const out = Buffer.concat([...zstdSeekableChunks(src, zstdFrameCompressor(zstdModule))]);
    expect(src.readBytes).toBeLessThan(8 * MiB);
    const file = path.join(work, 'img.zst');
    fs.writeFileSync(file, out);
    execFileSync('zstd', ['-tq', file]);
    const back = execFileSync('zstd', ['-dc', file], { maxBuffer: 600 * MiB });
    expect(sha(back)).toBe(sha(image.read(0, image.sizeBytes)));
    // Seek table (zstd contrib/seekable_format): footer, then walk the frames it lists.
    const v = new DataView(out.buffer, out.byteOffset, out.length);
    expect(v.getUint32(out.length - 4, true)).toBe(0x8f92eab1);
    const frames = v.getUint32(out.length - 9, true);
    const tableStart = out.length - 9 - frames * 8 - 8;
    expect(v.getUint32(tableStart, true)).toBe(0x184d2a5e);
    let at = 0;
    let decompressed = 0;
    for (let i = 0; i < frames; i++) {
      expect(v.getUint32(at, true)).toBe(0xfd2fb528);
      at += v.getUint32(tableStart + 8 + i * 8, true);
      decompressed += v.getUint32(tableStart + 12 + i * 8, true);
    }
    expect(at).toBe(tableStart);
    expect(decompressed).toBe(image.sizeBytes);
    expect(frames).toBeGreaterThan(3);
  });
});
