import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { decodeBmapXml, encodeBmapXml, humanSize, makeBmap } from './bmap.ts';
import { bigImage, cleanupTemp, makeImage, oddImage, rawFilesIdentical, requireTools, run, runStatus, scatteredImage, tempDir, writeRaw } from './test-support/images.ts';
import type { SparseImage } from '../../disk/sparse-image.ts';

beforeAll(() => requireTools('bmaptool', 'qemu-img', 'python3'));
afterAll(cleanupTemp);

/** Our bmap beside the raw file, and the one `bmaptool create` makes from that file's extents. */
function bothBmaps(image: SparseImage, dir: string): { raw: string; ours: string; theirs: string; oursPath: string } {
  const raw = writeRaw(image, join(dir, 'raw.img'));
  const ours = makeBmap(image);
  const oursPath = join(dir, 'raw.img.bmap');
  writeFileSync(oursPath, ours);
  run('bmaptool', ['create', '-o', join(dir, 'theirs.bmap'), raw]);
  return { raw, ours, theirs: readFileSync(join(dir, 'theirs.bmap'), 'utf8'), oursPath };
}

function copyWithBmap(dir: string, raw: string, bmap: string, name = 'copy.img'): { status: number; output: string; out: string } {
  const out = join(dir, name);
  return { ...runStatus('bmaptool', ['copy', '--bmap', bmap, raw, out]), out };
}

describe('bmap output', () => {
  it('is byte-identical to bmaptool create for the scattered image, and bmaptool copy verifies it', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const { raw, ours, theirs, oursPath } = bothBmaps(image, dir);
    expect(ours).toBe(theirs);
    expect(makeBmap(image, { createSha256: () => createHash('sha256') })).toBe(ours);
    const copy = copyWithBmap(dir, raw, oursPath);
    expect(copy.status, copy.output).toBe(0);
    expect(statSync(copy.out).size).toBe(image.sizeBytes);
    expect(Buffer.compare(readFileSync(copy.out), readFileSync(raw))).toBe(0);
    const info = decodeBmapXml(ours);
    expect(info).toMatchObject({ version: '2.0', imageSizeBytes: image.sizeBytes, blockBytes: 4096, blocksCount: Math.ceil(image.sizeBytes / 4096), checksumType: 'sha256' });
    expect(info.ranges.length).toBeGreaterThan(3);
  });

  it('bmaptool copy fails on a changed byte in a mapped block: the range checksums are real', () => {
    const dir = tempDir();
    const image = scatteredImage();
    const { raw, oursPath } = bothBmaps(image, dir);
    const fd = openSync(raw, 'r+');
    writeSync(fd, Uint8Array.of(0x5a ^ image.read(5_000_200, 1)[0]!), 0, 1, 5_000_200);
    closeSync(fd);
    const copy = copyWithBmap(dir, raw, oursPath);
    expect(copy.status).not.toBe(0);
    expect(copy.output).toMatch(/checksum mismatch for blocks range/);
  });

  it('hashes the last partial block up to the image end, as bmaptool does (12,388-byte image)', () => {
    const dir = tempDir();
    const image = oddImage();
    const { raw, ours, theirs, oursPath } = bothBmaps(image, dir);
    expect(ours).toBe(theirs);
    expect(decodeBmapXml(ours).ranges).toEqual([
      expect.objectContaining({ firstBlock: 0, lastBlock: 0 }),
      expect.objectContaining({ firstBlock: 2, lastBlock: 3 }),
    ]);
    const copy = copyWithBmap(dir, raw, oursPath);
    expect(copy.status, copy.output).toBe(0);
    expect(Buffer.compare(readFileSync(copy.out), readFileSync(raw))).toBe(0);
  });

  it('handles a 16 GiB image with little data quickly, identical to bmaptool create', () => {
    const dir = tempDir();
    const image = bigImage();
    const started = performance.now();
    const ours = makeBmap(image);
    expect(performance.now() - started).toBeLessThan(5_000);
    const { raw, theirs, oursPath } = bothBmaps(image, dir);
    expect(ours).toBe(theirs);
    const copy = copyWithBmap(dir, raw, oursPath);
    expect(copy.status, copy.output).toBe(0);
    expect(statSync(copy.out).size).toBe(image.sizeBytes);
    expect(rawFilesIdentical(raw, copy.out)).toBe(true);
  });

  it('an image without data maps no blocks', () => {
    const dir = tempDir();
    const image = makeImage(1 << 20, []);
    const { raw, ours, theirs, oursPath } = bothBmaps(image, dir);
    expect(ours).toBe(theirs);
    expect(decodeBmapXml(ours).mappedBlocksCount).toBe(0);
    expect(copyWithBmap(dir, raw, oursPath).status).toBe(0);
  });

  it("formats sizes like bmaptool's human_size (Python %.1f, ties to even)", () => {
    const sizes = [0, 1, 2, 511, 512, 1000, 1024, 1280, 1536, 1331, 5 * 1024 * 1024 + 256 * 1024, 1024 ** 3 * 1.25, 1024 ** 4 * 3.75, 1024 ** 5 * 2, 123_456_789_012];
    const python = run('python3', ['-c', [
      'import sys',
      'sys.path.insert(0, "/usr/lib/python3/dist-packages")',
      'from bmaptools.BmapHelpers import human_size',
      `print("\\n".join(human_size(s) for s in [${sizes.join(',')}]))`,
    ].join('\n')]).trim().split('\n');
    expect(sizes.map(humanSize)).toEqual(python);
  });

  it('rejects a bmap whose file checksum does not match or that is cut short; round-trips a good one', () => {
    const image = makeImage(1 << 20, [{ offsetBytes: 0, sizeBytes: 5000, fill: 'noise' }]);
    const xml = makeBmap(image);
    const expectCorrupt = (text: string): void => {
      try {
        decodeBmapXml(text);
      } catch (e) {
        expect((e as PartwrightError).code).toBe(ErrorCode.CorruptTable);
        return;
      }
      throw new Error('expected an error');
    };
    expectCorrupt(xml.replace('<ImageSize> 1048576 </ImageSize>', '<ImageSize> 1048577 </ImageSize>'));
    expectCorrupt(xml.replace(/chksum="[0-9a-f]/, 'chksum="Z'));
    expectCorrupt(xml.replace('</bmap>', ''));
    // decode → encode gives the same text back.
    const info = decodeBmapXml(xml);
    expect(encodeBmapXml(info.imageSizeBytes, info.ranges)).toBe(xml);
  });
});
