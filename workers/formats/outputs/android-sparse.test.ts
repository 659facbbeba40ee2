import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import {
  androidSparseChunks, decodeAndroidSparse, decodeSparseFileHeader, planAndroidSparse, SPARSE_BLOCK_BYTES,
  SPARSE_MIN_PIECE_BYTES, type AndroidSparsePlan,
} from './android-sparse.ts';
import { bigImage, cleanupTemp, makeImage, oddImage, rawFilesIdentical, requireTools, run, scatteredImage, tempDir, writeChunksToFile, writeRaw } from './test-support/images.ts';
import type { SparseImage } from '../../disk/sparse-image.ts';

beforeAll(() => requireTools('simg2img', 'img2simg', 'qemu-img'));
afterAll(cleanupTemp);

function writePieces(image: SparseImage, plan: AndroidSparsePlan, dir: string, name: string): string[] {
  return plan.pieces.map((piece, i) => {
    const path = join(dir, `${name}.${i}.simg`);
    const written = writeChunksToFile(androidSparseChunks(image, plan, i), path);
    expect(written).toBe(piece.sizeBytes);
    return path;
  });
}

function expectCoded(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PartwrightError);
    expect((e as PartwrightError).code).toBe(code);
    return;
  }
  throw new Error('expected an error');
}

describe('Android sparse output', () => {
  it('simg2img restores the scattered image byte-identical; holes are DONT_CARE, repeated words FILL', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const plan = planAndroidSparse(image);
    expect(plan.pieces).toHaveLength(1);
    expect(plan.totalBlocks).toBe(Math.ceil(image.sizeBytes / SPARSE_BLOCK_BYTES));
    const chunks = plan.pieces[0]!.chunks;
    const fills = chunks.flatMap((c) => (c.kind === 'fill' ? [c.fillWord] : []));
    expect(fills).toContain(0xffffffff);
    expect(fills).toContain(0);
    expect(fills).toContain(0xdeadbeef);
    expect(chunks.some((c) => c.kind === 'dont-care')).toBe(true);
    // Chunks cover every block exactly once, in order.
    let block = 0;
    for (const c of chunks) {
      expect(c.firstBlock).toBe(block);
      block += c.blockCount;
    }
    expect(block).toBe(plan.totalBlocks);

    const [simg] = writePieces(image, plan, dir, 'scattered');
    expect(statSync(simg!).size).toBeLessThan(image.mappedBytes); // FILL made it smaller than the data
    const header = decodeSparseFileHeader(readFileSync(simg!));
    expect(header).toMatchObject({ majorVersion: 1, minorVersion: 0, fileHeaderBytes: 28, chunkHeaderBytes: 12, blockBytes: 4096, totalChunks: chunks.length });

    const restored = join(dir, 'restored.img');
    run('simg2img', [simg!, restored]);
    // The image is not a whole number of blocks: simg2img gives back whole blocks, the tail zero.
    expect(statSync(restored).size).toBe(plan.totalBlocks * SPARSE_BLOCK_BYTES);
    const restoredBytes = readFileSync(restored);
    const rawBytes = readFileSync(raw);
    expect(Buffer.compare(restoredBytes.subarray(0, image.sizeBytes), rawBytes)).toBe(0);
    expect(restoredBytes.subarray(image.sizeBytes).every((b) => b === 0)).toBe(true);
  });

  it('splits into pieces under a limit that simg2img restores together, each covering the whole length', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const limit = 1_000_000; // not a multiple of the block size, smaller than several data runs
    const plan = planAndroidSparse(image, { maxPieceBytes: limit });
    expect(plan.pieces.length).toBeGreaterThan(3);
    const files = writePieces(image, plan, dir, 'split');
    let dataBytes = 0;
    for (const [i, file] of files.entries()) {
      expect(statSync(file).size).toBeLessThanOrEqual(limit);
      const h = decodeSparseFileHeader(readFileSync(file));
      expect(h.totalBlocks).toBe(plan.totalBlocks);
      // Alone, each piece restores to the full length (DONT_CARE around its part).
      const alone = join(dir, `alone.${i}.img`);
      run('simg2img', [file, alone]);
      expect(statSync(alone).size).toBe(plan.totalBlocks * SPARSE_BLOCK_BYTES);
      dataBytes += plan.pieces[i]!.dataBytes;
    }
    // Pieces do not overlap: together they write the mapped blocks once.
    expect(dataBytes).toBe(planAndroidSparse(image).pieces[0]!.dataBytes);
    const restored = join(dir, 'restored.img');
    run('simg2img', [...files, restored]); // simg2img takes several sparse files, in order
    expect(rawFilesIdentical(raw, restored)).toBe(true);
    expect(Buffer.compare(readFileSync(restored).subarray(0, image.sizeBytes), readFileSync(raw))).toBe(0);
  });

  it('a 16 GiB image with little data gives a small sparse file quickly, and pieces of it', () => {
    const dir = tempDir();
    const image = bigImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const started = performance.now();
    const plan = planAndroidSparse(image);
    const [simg] = writePieces(image, plan, dir, 'big');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(statSync(simg!).size).toBeLessThan(8 << 20);
    const restored = join(dir, 'restored.img');
    run('simg2img', [simg!, restored]);
    expect(statSync(restored).size).toBe(plan.totalBlocks * SPARSE_BLOCK_BYTES);
    expect(rawFilesIdentical(raw, restored)).toBe(true);

    const split = planAndroidSparse(image, { maxPieceBytes: 1 << 20 });
    const files = writePieces(image, split, dir, 'bigsplit');
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(1 << 20);
    const restoredSplit = join(dir, 'restored-split.img');
    run('simg2img', [...files, restoredSplit]);
    expect(rawFilesIdentical(raw, restoredSplit)).toBe(true);
  });

  it('pads an image that is not a whole number of blocks; simg2img restores it followed by zeros', () => {
    const dir = tempDir();
    const image = oddImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const plan = planAndroidSparse(image);
    expect(plan.totalBlocks).toBe(4);
    const [simg] = writePieces(image, plan, dir, 'odd');
    const restored = join(dir, 'restored.img');
    run('simg2img', [simg!, restored]);
    const back = readFileSync(restored);
    expect(back.length).toBe(4 * 4096);
    expect(Buffer.compare(back.subarray(0, 12_388), readFileSync(raw))).toBe(0);
    expect(back.subarray(12_388).every((b) => b === 0)).toBe(true);
  });

  it('without FILL detection every mapped block is RAW, and the data is read only while writing', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    let reads = 0;
    const counting = { sizeBytes: image.sizeBytes, dataRanges: () => image.dataRanges(), readInto: (o: number, t: Uint8Array) => { reads++; image.readInto(o, t); } };
    const plan = planAndroidSparse(counting, { detectFill: false });
    expect(reads).toBe(0);
    expect(plan.pieces[0]!.chunks.every((c) => c.kind !== 'fill')).toBe(true);
    const [simg] = writePieces(image, plan, dir, 'nofill');
    run('simg2img', [simg!, join(dir, 'restored.img')]);
    expect(rawFilesIdentical(raw, join(dir, 'restored.img'))).toBe(true);
  });

  it('an image without data is one DONT_CARE chunk', () => {
    const dir = tempDir();
    const image = makeImage(1 << 20, []);
    const plan = planAndroidSparse(image);
    expect(plan.pieces[0]!.chunks).toEqual([{ kind: 'dont-care', firstBlock: 0, blockCount: 256 }]);
    const [simg] = writePieces(image, plan, dir, 'empty');
    expect(statSync(simg!).size).toBe(28 + 12);
    run('simg2img', [simg!, join(dir, 'restored.img')]);
    expect(statSync(join(dir, 'restored.img')).size).toBe(1 << 20);
  });

  it('the decoder reads img2simg output and our own the way simg2img does', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const rawBytes = readFileSync(raw);
    for (const simg of [join(dir, 'theirs.simg'), writePieces(image, planAndroidSparse(image), dir, 'ours')[0]!]) {
      if (simg.endsWith('theirs.simg')) run('img2simg', [raw, simg]);
      const out = new Uint8Array(Math.ceil(rawBytes.length / 4096) * 4096);
      decodeAndroidSparse(readFileSync(simg), { write: (offsetBytes, data) => out.set(data, offsetBytes) });
      expect(Buffer.compare(Buffer.from(out.subarray(0, rawBytes.length)), rawBytes)).toBe(0);
    }
  });

  it('rejects corrupt sparse files and impossible limits with coded errors', () => {
    const dir = tempDir();
    const image = makeImage(1 << 20, [{ offsetBytes: 4096, sizeBytes: 8192, fill: 'noise' }]);
    const [simg] = writePieces(image, planAndroidSparse(image), dir, 'c');
    const good = new Uint8Array(readFileSync(simg!));
    const sink = { write: () => {} };
    const badMagic = good.slice();
    badMagic[0] = 0;
    expectCoded(() => decodeAndroidSparse(badMagic, sink), ErrorCode.CorruptTable);
    expectCoded(() => decodeAndroidSparse(good.slice(0, good.length - 100), sink), ErrorCode.CorruptTable);
    const badType = good.slice();
    badType[28] = 0x99; // first chunk's type
    expectCoded(() => decodeAndroidSparse(badType, sink), ErrorCode.CorruptTable);
    const badVersion = good.slice();
    badVersion[4] = 2;
    expectCoded(() => decodeAndroidSparse(badVersion, sink), ErrorCode.CorruptTable);
    expectCoded(() => planAndroidSparse(image, { maxPieceBytes: SPARSE_MIN_PIECE_BYTES - 1 }), ErrorCode.InvalidSpec);
    // The smallest limit still works: one block per piece.
    const tiny = planAndroidSparse(image, { maxPieceBytes: SPARSE_MIN_PIECE_BYTES });
    expect(tiny.pieces).toHaveLength(2);
    const files = writePieces(image, tiny, dir, 'tiny');
    run('simg2img', [...files, join(dir, 'tiny.img')]);
    writeFileSync(join(dir, 'expected.img'), Buffer.from(image.read(0, image.sizeBytes)));
    expect(Buffer.compare(readFileSync(join(dir, 'tiny.img')), readFileSync(join(dir, 'expected.img')))).toBe(0);
  });
});
