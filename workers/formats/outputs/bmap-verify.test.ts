import { openSync, readFileSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBmapXml, makeBmap } from './bmap.ts';
import { verifyReadback } from './bmap-verify.ts';
import { cleanupTemp, requireTools, runStatus, scatteredImage, tempDir, writeRaw } from './test-support/images.ts';

beforeAll(() => requireTools('bmaptool'));
afterAll(cleanupTemp);

const reader = (bytes: Uint8Array) => async (offset: number, length: number) => bytes.subarray(offset, offset + length);

describe('verifyReadback: a written device read back, checked against the bmap', () => {
  it('accepts what bmaptool copy wrote over a "device" full of old data, and finds a changed byte', async () => {
    const dir = tempDir();
    const image = scatteredImage();
    const raw = writeRaw(image, join(dir, 'raw.img'));
    const bmapPath = join(dir, 'raw.img.bmap');
    writeFileSync(bmapPath, makeBmap(image));
    // The device: old data everywhere, a little longer than the image (a whole-device read-back).
    const device = join(dir, 'device.img');
    writeFileSync(device, Buffer.alloc(image.sizeBytes + 1024 * 1024, 0xa5));
    const copy = runStatus('bmaptool', ['copy', '--bmap', bmapPath, raw, device]);
    expect(copy.status, copy.output).toBe(0);

    const bmap = decodeBmapXml(readFileSync(bmapPath, 'utf8'));
    const readback = new Uint8Array(readFileSync(device));
    const ok = await verifyReadback(bmap, readback.length, reader(readback), { chunkBytes: 64 * 1024 });
    expect(ok.mismatches).toEqual([]);
    expect(ok.rangesChecked).toBe(bmap.ranges.length);
    expect(ok.bytesChecked).toBeGreaterThan(0);

    // One byte changed inside the second mapped range: that range, and only it, fails.
    const second = bmap.ranges[1]!;
    const fd = openSync(device, 'r+');
    writeSync(fd, Buffer.from([readback[second.firstBlock * 4096 + 7]! ^ 0xff]), 0, 1, second.firstBlock * 4096 + 7);
    closeSync(fd);
    const bad = new Uint8Array(readFileSync(device));
    const r = await verifyReadback(bmap, bad.length, reader(bad));
    expect(r.mismatches).toEqual([{ firstBlock: second.firstBlock, lastBlock: second.lastBlock }]);
  });

  it('refuses a read-back shorter than the image, saying how much to read', async () => {
    const image = scatteredImage();
    const bmap = decodeBmapXml(makeBmap(image));
    await expect(verifyReadback(bmap, 4096, reader(new Uint8Array(4096)))).rejects.toThrow(`read at least ${image.sizeBytes} bytes`);
  });
});
