/**
 * Decompression bombs (issue 15): a correctly signed narinfo says NarSize 4096, but URL and
 * Compression are not signed, so the body can be anything. zstd (3 GiB of zeros in ~96 KB of RLE
 * blocks, or ~99 KB from the real zstd -3; a single-segment frame declaring 3 GiB), xz (256 MiB of zeros made by the real xz) and an endless uncompressed body must each be
 * refused in under a second with under 64 MiB of extra memory. Each runs in its own process so its
 * peak memory is its own.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../formats/test-support/tools.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bomb-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const RUNNER = path.join(import.meta.dirname, 'test-support/bomb-run.ts');

/** A zstd frame of `blocks` RLE blocks of 128 KiB zeros each (RFC 8878 §3.1.1.2), window 128 KiB. */
function zstdRleBomb(blocks: number): Uint8Array {
  const out = new Uint8Array(6 + blocks * 4);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, (17 - 10) << 3]);
  const blockBytes = 128 << 10;
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = (blockBytes << 3) | (1 << 1) | last;
    out.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x00], 6 + i * 4);
  }
  return out;
}

function run(compression: string, file: string): { ms: number; peakGrowthBytes: number; error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, compression, file], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { ms: number; peakGrowthBytes: number; error: string };
}

describe('a signed NarSize bounds decompression in time and memory', () => {
  it('zstd: 3 GiB of zeros in 96 KB', () => {
    requireTools('zstd');
    const file = path.join(dir, 'bomb.zst');
    fs.writeFileSync(file, zstdRleBomb(3 * 8192));
    // The real zstd agrees it is a valid 3 GiB stream.
    const listed = spawnSync('zstd', ['-lv', file], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const r = run('zstd', file);
    console.log(`zstd bomb: ${r.ms.toFixed(0)} ms, +${(r.peakGrowthBytes / 2 ** 20).toFixed(1)} MiB: ${r.error}`);
    expect(r.error).toMatch(/^nar-size-mismatch: .*NarSize 4096/);
    expect(r.ms).toBeLessThan(1000);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);

  it('zstd: 3 GiB of zeros compressed by the real zstd -3 (about 99 KB, a 2 MiB window)', () => {
    requireTools('zstd');
    const file = path.join(dir, 'bomb-cli.zst');
    const made = spawnSync('sh', ['-c', `head -c ${3 * 2 ** 30} /dev/zero | zstd -q -3 -T1 > ${file}`]);
    expect(made.status).toBe(0);
    expect(fs.statSync(file).size).toBeLessThan(128 << 10);
    const r = run('zstd', file);
    console.log(`zstd -3 bomb (${fs.statSync(file).size} bytes): ${r.ms.toFixed(0)} ms, +${(r.peakGrowthBytes / 2 ** 20).toFixed(1)} MiB: ${r.error}`);
    expect(r.error).toMatch(/^nar-size-mismatch: .*NarSize 4096/);
    expect(r.ms).toBeLessThan(1000);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);

  it('zstd: a single-segment frame declaring 3 GiB is refused before its buffer is allocated', () => {
    const file = path.join(dir, 'single.zst');
    // Single segment, 8-byte Frame_Content_Size 3 GiB (so the window is 3 GiB), then RLE blocks.
    const frame = zstdRleBomb(4);
    const header = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0xc0, 0, 0, 0, 0]);
    fs.writeFileSync(file, Buffer.concat([header, frame.subarray(6)]));
    const r = run('zstd', file);
    expect(r.error).toMatch(/^decompress: .*window/);
    expect(r.ms).toBeLessThan(1000);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);

  it('zstd: a frame asking for a 2 GiB window is refused before it is allocated', () => {
    const file = path.join(dir, 'window.zst');
    const bomb = zstdRleBomb(4);
    bomb[5] = (31 - 10) << 3;
    fs.writeFileSync(file, bomb);
    const r = run('zstd', file);
    expect(r.error).toMatch(/window/);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);

  it('xz: 256 MiB of zeros', () => {
    requireTools('xz');
    const file = path.join(dir, 'bomb.xz');
    const made = spawnSync('sh', ['-c', `head -c 268435456 /dev/zero | xz -0 -T1 > ${file}`]);
    expect(made.status).toBe(0);
    const r = run('xz', file);
    console.log(`xz bomb: ${r.ms.toFixed(0)} ms, +${(r.peakGrowthBytes / 2 ** 20).toFixed(1)} MiB: ${r.error}`);
    expect(r.error).toMatch(/^nar-size-mismatch: /);
    expect(r.ms).toBeLessThan(1000);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);

  it('none: an endless body', () => {
    const r = run('none', '-');
    expect(r.error).toMatch(/^nar-size-mismatch: /);
    expect(r.ms).toBeLessThan(1000);
    expect(r.peakGrowthBytes).toBeLessThan(64 << 20);
  }, 150_000);
});
