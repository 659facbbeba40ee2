import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { mappedUnits } from './image-source.ts';
import { decodeQcow2Header, planQcow2, qcow2Chunks, QCOW2_CLUSTER_BYTES } from './qcow2.ts';
import { bigImage, cleanupTemp, makeImage, oddImage, requireTools, run, runStatus, scatteredImage, tempDir, writeChunksToFile, writeRaw } from './test-support/images.ts';
import type { SparseImage } from '../../disk/sparse-image.ts';

beforeAll(() => requireTools('qemu-img'));
afterAll(cleanupTemp);

interface QemuInfo {
  'virtual-size': number;
  format: string;
  'format-specific': { data: { compat: string; 'refcount-bits': number } };
  'cluster-size': number;
}

interface MapEntry {
  start: number;
  length: number;
  data: boolean;
  zero: boolean;
}

/** Write the qcow2 and check it with qemu-img: clean, same content, right size, holes unallocated. */
function checkWithQemu(image: SparseImage, name: string): { qcow2: string; fileBytes: number } {
  const dir = tempDir();
  const raw = writeRaw(image, join(dir, 'raw.img'));
  const layout = planQcow2(image);
  const qcow2 = join(dir, `${name}.qcow2`);
  const written = writeChunksToFile(qcow2Chunks(image, layout), qcow2);
  expect(written).toBe(layout.fileSizeBytes);
  expect(statSync(qcow2).size).toBe(layout.fileSizeBytes);

  const check = runStatus('qemu-img', ['check', '-f', 'qcow2', qcow2]);
  expect(check.output).toMatch(/No errors were found on the image/);
  expect(check.status, check.output).toBe(0);
  const compare = runStatus('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, qcow2]);
  expect(compare.output).toMatch(/Images are identical/);
  expect(compare.status).toBe(0);

  const info = JSON.parse(run('qemu-img', ['info', '--output=json', qcow2])) as QemuInfo;
  expect(info.format).toBe('qcow2');
  // QEMU counts sectors: it also sees the raw file of a partial last sector as rounded up.
  expect(info['virtual-size']).toBe(Math.ceil(image.sizeBytes / 512) * 512);
  expect(info['cluster-size']).toBe(QCOW2_CLUSTER_BYTES);
  expect(info['format-specific'].data).toMatchObject({ compat: '1.1', 'refcount-bits': 16 });

  // Allocated = exactly the clusters that hold data.
  const map = JSON.parse(run('qemu-img', ['map', '--output=json', qcow2])) as MapEntry[];
  const allocated = map.filter((e) => e.data).map((e) => ({ firstUnit: e.start / QCOW2_CLUSTER_BYTES, unitCount: Math.ceil(e.length / QCOW2_CLUSTER_BYTES) }));
  expect(allocated).toEqual(mappedUnits(image, QCOW2_CLUSTER_BYTES));
  return { qcow2, fileBytes: layout.fileSizeBytes };
}

describe('qcow2 output', () => {
  it('scattered 64 MiB image: qemu-img check clean, compare identical, only data clusters allocated', () => {
    const image = scatteredImage();
    const { qcow2, fileBytes } = checkWithQemu(image, 'scattered');
    const clusters = mappedUnits(image, QCOW2_CLUSTER_BYTES).reduce((n, r) => n + r.unitCount, 0);
    // header + L1 + refcount table + refcount block + one L2 + the data clusters
    expect(fileBytes).toBe((5 + clusters) * QCOW2_CLUSTER_BYTES);
    // Negative control: one changed byte in the last data cluster and qemu-img compare notices.
    const fd = openSync(qcow2, 'r+');
    writeSync(fd, Uint8Array.of(0xa5 ^ image.read(image.sizeBytes - 1, 1)[0]!), 0, 1, fileBytes - QCOW2_CLUSTER_BYTES + ((image.sizeBytes - 1) % QCOW2_CLUSTER_BYTES));
    closeSync(fd);
    expect(runStatus('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', join(qcow2, '..', 'raw.img'), qcow2]).output).toMatch(/Content mismatch at offset 67121152/);
  });

  it('16 GiB image with little data: small file, data across L2 tables (512 MiB each)', () => {
    const image = bigImage();
    const started = performance.now();
    const layout = planQcow2(image);
    expect(layout.l2Indexes.length).toBeGreaterThan(4);
    const { fileBytes } = checkWithQemu(image, 'big');
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(fileBytes).toBeLessThan(16 << 20);
  });

  it('an image that is not a whole number of sectors (12,388 bytes) is rounded up to 12,800', () => {
    const image = oddImage();
    expect(planQcow2(image).virtualSizeBytes).toBe(12_800);
    checkWithQemu(image, 'odd');
  });

  it('an image without data has no L2 tables and no data clusters', () => {
    const image = makeImage(3 * 512 * 1024 * 1024 + 512, []);
    const layout = planQcow2(image);
    expect(layout.l2Indexes).toEqual([]);
    expect(layout.dataClusters).toBe(0);
    checkWithQemu(image, 'empty');
  });

  it('reads the header qemu-img create writes, and rejects corrupt headers with coded errors', () => {
    const dir = tempDir();
    const file = join(dir, 'made-by-qemu.qcow2');
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=1.1,cluster_size=65536', file, '1G']);
    const bytes = new Uint8Array(readFileSync(file));
    const h = decodeQcow2Header(bytes);
    expect(h).toMatchObject({ version: 3, clusterBits: 16, virtualSizeBytes: 1 << 30, refcountOrder: 4, l1Entries: 2 });
    for (const [offset, value] of [[0, 0x00], [7, 2], [23, 40], [103, 8]] as const) {
      const bad = bytes.slice(0, 112);
      bad[offset] = value;
      try {
        decodeQcow2Header(bad);
        throw new Error(`byte ${offset} = ${value} was accepted`);
      } catch (e) {
        expect((e as PartwrightError).code).toBe(ErrorCode.CorruptTable);
      }
    }
  });
});
