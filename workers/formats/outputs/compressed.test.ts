import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipRawImage, writeStream } from './compressed.ts';
import { rawBytes } from './image-source.ts';
import { cleanupTemp, oddImage, requireTools, run, scatteredImage, tempDir, writeChunksToFile, writeRaw } from './test-support/images.ts';

beforeAll(() => requireTools('gzip'));
afterAll(cleanupTemp);

describe('compressed raw output', () => {
  it('rawBytes streams the image with holes as zeros, equal to the raw writer', () => {
    const dir = tempDir();
    for (const image of [scatteredImage(), oddImage()]) {
      const raw = writeRaw(image, join(dir, 'raw.img'));
      const streamed = join(dir, 'streamed.img');
      expect(writeChunksToFile(rawBytes(image), streamed)).toBe(image.sizeBytes);
      expect(Buffer.compare(readFileSync(streamed), readFileSync(raw))).toBe(0);
    }
  });

  it('gzip via CompressionStream: gzip -t passes and gzip -d gives the raw image back', async () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const gz = join(dir, 'raw.img.gz');
    const fd = openSync(gz, 'w');
    const written = await writeStream(gzipRawImage(image), { write: (chunk) => void writeSync(fd, chunk) });
    closeSync(fd);
    expect(written).toBeLessThan(image.mappedBytes);
    run('gzip', ['-t', gz]);
    const restored = execFileSync('gzip', ['-dc', gz], { maxBuffer: 256 << 20 });
    expect(Buffer.compare(restored, readFileSync(raw))).toBe(0);
  });
});
