/**
 * Test images for the output writers: sparse images with deterministic, random-looking data (plus
 * runs of one repeated word, written zeros and data touching the image's end), the raw file the
 * engine's raw writer makes from them, and the real tools as oracles. Node only (tests).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from '../../../hosts/node/file.ts';
import { writeRawImage } from '../raw.ts';
import { SparseImage } from '../../../disk/sparse-image.ts';

export { requireTools } from '../../../test-support/debian.ts';

/** Run a tool; throws with its output when it fails. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

export function runStatus(cmd: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'partwright-outputs-'));
  dirs.push(dir);
  return dir;
}

export function cleanupTemp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Deterministic bytes that look random (xorshift32), so nothing compresses into FILL by accident. */
export function noise(sizeBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** `sizeBytes` of one little-endian 32-bit word repeated. */
export function repeatedWord(sizeBytes: number, word: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  const v = new DataView(out.buffer);
  for (let i = 0; i + 4 <= sizeBytes; i += 4) v.setUint32(i, word, true);
  return out;
}

export type Fill = 'noise' | { word: number };

export interface Piece {
  offsetBytes: number;
  sizeBytes: number;
  fill: Fill;
}

export function makeImage(sizeBytes: number, pieces: readonly Piece[]): SparseImage {
  const image = new SparseImage(sizeBytes);
  pieces.forEach((p, i) => {
    image.write(p.offsetBytes, p.fill === 'noise' ? noise(p.sizeBytes, i + 1) : repeatedWord(p.sizeBytes, p.fill.word));
  });
  return image;
}

const MiB = 1 << 20;
const GiB = 1 << 30;

/**
 * 64 MiB + 12,800 bytes (a multiple of 512 but not of 4096, 64 KiB or 2 MiB), data scattered:
 * unaligned noise, all-0xFF and all-zero runs written inside the data, a repeated 32-bit pattern
 * that does not fill whole blocks at its ends, runs crossing 64 KiB and 2 MiB boundaries, and
 * noise touching the last (partial) block.
 */
export function scatteredImage(): SparseImage {
  const size = 64 * MiB + 12_800;
  return makeImage(size, [
    { offsetBytes: 0, sizeBytes: MiB + 300, fill: 'noise' },
    { offsetBytes: 5_000_123, sizeBytes: 70_001, fill: 'noise' },
    { offsetBytes: 8 * MiB, sizeBytes: 2 * MiB, fill: { word: 0xffffffff } },
    { offsetBytes: 10 * MiB, sizeBytes: 64 * 1024, fill: { word: 0 } },
    { offsetBytes: 10 * MiB + 64 * 1024, sizeBytes: 4096 * 3, fill: 'noise' },
    { offsetBytes: 12 * MiB + 100, sizeBytes: 40_000, fill: { word: 0xdeadbeef } },
    { offsetBytes: 18 * MiB - 5000, sizeBytes: 10_000, fill: 'noise' },
    { offsetBytes: 40 * MiB + 4096, sizeBytes: 3 * MiB, fill: 'noise' },
    { offsetBytes: size - 700, sizeBytes: 700, fill: 'noise' },
  ]);
}

/**
 * 16 GiB + 1536 bytes with about 6 MiB of data: tables at the start, data across a 512 MiB qcow2 L2
 * boundary and across 4 GiB, a lone run at 10 GiB, and the last bytes of the image.
 */
export function bigImage(): SparseImage {
  const size = 16 * GiB + 1536;
  return makeImage(size, [
    { offsetBytes: 0, sizeBytes: MiB, fill: 'noise' },
    { offsetBytes: GiB - 32 * 1024, sizeBytes: 96 * 1024, fill: 'noise' },
    { offsetBytes: 4 * GiB - 1_500_000, sizeBytes: 3 * MiB, fill: 'noise' },
    { offsetBytes: 10 * GiB + 12_345, sizeBytes: 100_000, fill: { word: 0x01020304 } },
    { offsetBytes: size - 1000, sizeBytes: 1000, fill: 'noise' },
  ]);
}

/** 12,388 bytes: not even a whole number of sectors. */
export function oddImage(): SparseImage {
  return makeImage(12_388, [
    { offsetBytes: 0, sizeBytes: 4000, fill: 'noise' },
    { offsetBytes: 8192 + 10, sizeBytes: 12_388 - 8192 - 10, fill: 'noise' },
  ]);
}

/** The raw image file made by the engine's raw writer (holes stay holes). */
export function writeRaw(image: SparseImage, path: string): string {
  // FileSink creates its file exclusively (never through an existing path): start from none.
  rmSync(path, { force: true });
  const sink = new FileSink(path);
  writeRawImage(image, sink);
  sink.close();
  return path;
}

/** Stream chunks into a file; returns the bytes written. */
export function writeChunksToFile(chunks: Iterable<Uint8Array>, path: string): number {
  const fd = openSync(path, 'w');
  let total = 0;
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.length) done += writeSync(fd, c, done, c.length - done);
      total += c.length;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/**
 * qemu-img's verdict on two raw files (reads only allocated parts, so 16 GiB files are quick; a
 * longer file matches when its extra bytes are zeros).
 */
export function rawFilesIdentical(a: string, b: string): boolean {
  return runStatus('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', a, b]).status === 0;
}
