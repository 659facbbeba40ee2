import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsSha256, loadWasmSha256 } from '../crypto/fast-sha256.ts';
import { decodeBmapXml } from '../formats/outputs/bmap.ts';
import type { ImageSource } from '../formats/outputs/image-source.ts';
import { partitionDigests, sha256Image } from './image-digest.ts';
import { SparseImage } from './sparse-image.ts';

const MiB = 1 << 20;

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
}

/** 64 MiB with data in three places (one straddling a 1 MiB slice edge, one unaligned at the end). */
function sample(): SparseImage {
  const image = new SparseImage(64 * MiB + 1000);
  image.write(0, pattern(4096, 1));
  image.write(3 * MiB - 100, pattern(300_000, 2));
  image.write(64 * MiB - 5000, pattern(6000, 3));
  return image;
}

function nodeHex(image: SparseImage): string {
  return createHash('sha256').update(image.read(0, image.sizeBytes)).digest('hex');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The image, failing any read outside its data ranges (holes must be fed as zeros, not read). */
function holesNeverRead(image: SparseImage, strict = true): ImageSource & { readBytes: number } {
  const src = {
    readBytes: 0,
    sizeBytes: image.sizeBytes,
    dataRanges: () => image.dataRanges(),
    readInto(offsetBytes: number, target: Uint8Array) {
      const inside = image.dataRanges().some((r) => offsetBytes >= r.offsetBytes && offsetBytes + target.length <= r.offsetBytes + r.sizeBytes);
      if (strict && !inside) throw new Error(`read of a hole at ${offsetBytes}+${target.length}`);
      src.readBytes += target.length;
      image.readInto(offsetBytes, target);
    },
  };
  return src;
}

describe('whole-image SHA-256', () => {
  it('equals sha256sum of the raw bytes with the WASM and JS hashes, reading only data', async () => {
    const image = sample();
    const wasm = await loadWasmSha256();
    for (const factory of [wasm, jsSha256, () => createHash('sha256')]) {
      const src = holesNeverRead(image);
      let last = 0;
      const digest = sha256Image(src, factory as typeof jsSha256, (done, total) => {
        expect(done).toBeGreaterThan(last);
        expect(total).toBe(image.sizeBytes);
        last = done;
      });
      expect(hex(digest)).toBe(nodeHex(image));
      expect(last).toBe(image.sizeBytes);
      expect(src.readBytes).toBe(image.mappedBytes);
    }
  });

  it('the WASM pool hands out the JS hash when hashes interleave, and both stay right', async () => {
    const factory = await loadWasmSha256(1);
    const a = factory();
    const b = factory();
    const data = pattern(3 * MiB + 17, 9);
    a.update(data.subarray(0, MiB));
    b.update(data);
    a.update(data.subarray(MiB));
    const want = createHash('sha256').update(data).digest('hex');
    expect(hex(a.digest())).toBe(want);
    expect(hex(b.digest())).toBe(want);
    expect(() => a.digest()).toThrow();
  });
});

describe('per-partition bmaps', () => {
  it('map and hash only each partition\'s data, as bmaptool would for the partition on its own', async () => {
    const image = sample();
    const parts = [
      { partitionNumber: 1, offsetBytes: MiB, sizeBytes: 8 * MiB },
      { partitionNumber: 2, offsetBytes: 9 * MiB, sizeBytes: 40 * MiB },
      { partitionNumber: 3, offsetBytes: 49 * MiB, sizeBytes: 15 * MiB },
    ];
    // bmaps read whole 4 KiB blocks, so a block's hole part is read with its data.
    const src = holesNeverRead(image, false);
    const digests = partitionDigests(src, parts, await loadWasmSha256());
    expect(digests.map((d) => d.partitionNumber)).toEqual([1, 2, 3]);
    // Partition 2 has no data: an empty map.
    expect(digests[1]!.mappedBytes).toBe(0);
    for (const [i, d] of digests.entries()) {
      const p = parts[i]!;
      const info = decodeBmapXml(d.bmap);
      expect(info.imageSizeBytes).toBe(p.sizeBytes);
      expect(info.bmapFileChecksum).toBe(d.bmapSha256);
      expect(info.mappedBlocksCount * 4096).toBe(d.mappedBytes);
      const bytes = image.read(p.offsetBytes, p.sizeBytes);
      for (const r of info.ranges) {
        const range = bytes.subarray(r.firstBlock * 4096, Math.min((r.lastBlock + 1) * 4096, p.sizeBytes));
        expect(r.sha256Hex).toBe(createHash('sha256').update(range).digest('hex'));
      }
    }
    // [2 MiB − 100, 2 MiB + 299,900) inside partition 1: blocks 511–585; [15 MiB − 5000, 15 MiB) in 3: 3838–3839.
    expect(digests[0]!.mappedBytes).toBe(75 * 4096);
    expect(digests[2]!.mappedBytes).toBe(2 * 4096);
    // Only data was read: at most the mapped bytes of the partitions (rounded to 4 KiB blocks).
    expect(src.readBytes).toBeLessThanOrEqual(digests.reduce((n, d) => n + d.mappedBytes, 0));
  });
});
