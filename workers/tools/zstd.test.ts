/**
 * The zstd.wasm smoke test (STYLE.md §8): what the adapter writes, Debian's zstd reads back
 * byte for byte, and a long stream goes through in bounded memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparseImage } from '../disk/sparse-image.ts';
import { rawBytes } from '../formats/outputs/image-source.ts';
import { requireDebian } from './test-support/e2fs-tools.ts';
import { compileZstdModule, ZstdCompressor, ZSTD_WASM_URL, zstdCompressChunks } from './zstd.ts';

const MiB = 1 << 20;
let module: WebAssembly.Module;
let dir: string;

beforeAll(() => {
  requireDebian([['command -v zstd', 'zstd']]);
  module = compileZstdModule(readFileSync(ZSTD_WASM_URL));
  dir = mkdtempSync(join(tmpdir(), 'partwright-zstd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeAll(chunks: Iterable<Uint8Array>, file: string): number {
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (const c of chunks) {
      for (let done = 0; done < c.length;) done += writeSync(fd, c, done, c.length - done);
      total += c.length;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

function concat(chunks: Iterable<Uint8Array>): Buffer {
  return Buffer.concat([...chunks]);
}

describe('zstd.wasm', () => {
  it('has no imports', () => {
    const api = (globalThis as unknown as { WebAssembly: { Module: { imports(m: unknown): unknown[] } } }).WebAssembly;
    expect(api.Module.imports(module)).toEqual([]);
  });

  it('compresses a sparse image so that zstd -t passes and zstd -dc gives back the raw bytes', () => {
    const image = new SparseImage(48 * MiB);
    image.write(0, randomBytes(3 * MiB + 17));
    image.write(10 * MiB + 5, Buffer.from('partwright '.repeat(200_000)));
    image.write(48 * MiB - 4096, randomBytes(4096));
    const file = join(dir, 'image.zst');
    const written = writeAll(zstdCompressChunks(rawBytes(image), module, { pledgedSizeBytes: image.sizeBytes }), file);
    expect(written).toBeLessThan(6 * MiB);
    execFileSync('zstd', ['-q', '-t', file]);
    const back = execFileSync('zstd', ['-q', '-dc', file], { maxBuffer: 64 * MiB });
    expect(back.equals(concat(rawBytes(image)))).toBe(true);
    expect(execFileSync('zstd', ['-l', file], { encoding: 'utf8' })).toMatch(/\b48\.0 MiB\b/);
  });

  it('takes chunks of any size, empty input and other levels', () => {
    const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(2 * MiB + 3), Buffer.from('abc'.repeat(400_000))]);
    for (const level of [1, 3, 9, 19]) {
      const pieces = [data.subarray(0, 1), data.subarray(1, 1 * MiB + 7), data.subarray(1 * MiB + 7, 1 * MiB + 7), data.subarray(1 * MiB + 7)];
      const z = concat(zstdCompressChunks(pieces, module, level));
      expect(spawnSync('zstd', ['-q', '-dc'], { input: z, maxBuffer: 64 * MiB }).stdout.equals(data)).toBe(true);
    }
    const empty = concat(zstdCompressChunks([], module));
    expect(spawnSync('zstd', ['-q', '-dc'], { input: empty }).stdout.length).toBe(0);
    expect(() => new ZstdCompressor(module, { level: 99 })).toThrow(/level/);
    // A pledged size that is wrong is zstd's error, reported by name.
    expect(() => [...zstdCompressChunks([new Uint8Array(10)], module, { pledgedSizeBytes: 5 })]).toThrow(/zstd: .*size/i);
  });

  it('streams 256 MiB of mixed data and zeros in bounded memory', () => {
    const random = randomBytes(MiB);
    const text = Buffer.from('0123456789abcdef'.repeat(MiB / 16));
    const zeros = new Uint8Array(MiB);
    const inputHash = createHash('sha256');
    let peakRss = 0;
    const rss0 = process.memoryUsage().rss;
    function* input(): Generator<Uint8Array> {
      for (let i = 0; i < 256; i++) {
        const chunk = i % 4 === 0 ? random.map((b) => b ^ i) : i % 4 === 1 ? text : zeros;
        inputHash.update(chunk);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        yield chunk;
      }
    }
    const file = join(dir, 'big.zst');
    const written = writeAll(zstdCompressChunks(input(), module), file);
    expect(written).toBeLessThan(70 * MiB);
    expect(peakRss - rss0).toBeLessThan(96 * MiB);
    const outHash = execFileSync('sh', ['-c', `zstd -q -dc '${file}' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    expect(outHash).toBe(inputHash.digest('hex'));
  }, 120_000);
});
