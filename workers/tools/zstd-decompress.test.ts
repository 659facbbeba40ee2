/**
 * ZstdDecompressor (libzstd's decoder in zstd.wasm) against Debian's zstd as the encoder: round
 * trips at several levels and chunkings, concatenated and skippable frames, output in ≤ 128 KiB
 * blocks, the window limit, and corrupt or cut input as ZstdDecodeError — including the frame that
 * made fzstd loop forever.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fzstdHangInput } from '../nix/test-support/fzstd-hang.ts';
import { requireDebian } from './test-support/e2fs-tools.ts';
import { compileZstdModule, ZstdCompressor, ZstdDecodeError, ZstdDecompressor, ZstdErrorCode, zstdWindowLogFor, ZSTD_WASM_URL } from './zstd.ts';

let module: WebAssembly.Module;
beforeAll(() => {
  requireDebian([['command -v zstd', 'zstd']]);
  module = compileZstdModule(readFileSync(ZSTD_WASM_URL));
});

const zstd = (args: string[], input: Uint8Array): Uint8Array => new Uint8Array(execFileSync('zstd', ['-q', '-c', ...args], { input, maxBuffer: 1 << 30 }));

/** Decode `input` pushed in pieces of `pieceBytes`; the blocks handed out, in order. */
function decode(input: Uint8Array, pieceBytes = input.length || 1, windowLogMax?: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const z = new ZstdDecompressor(module, (b) => blocks.push(b), windowLogMax === undefined ? {} : { windowLogMax });
  for (let i = 0; i < input.length; i += pieceBytes) z.push(input.subarray(i, i + pieceBytes));
  z.end();
  return blocks;
}

const joined = (blocks: Uint8Array[]) => Buffer.concat(blocks);

function decodeError(f: () => unknown): ZstdDecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ZstdDecodeError);
    return e as ZstdDecodeError;
  }
  throw new Error('expected a ZstdDecodeError');
}

/** Text-like data that compresses well, with some random runs. */
function sample(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new TextEncoder().encode('partwright builds disk images from repart layouts; ');
  for (let i = 0; i < bytes; i++) out[i] = words[i % words.length]!;
  for (let at = 0; at + 4096 < bytes; at += 65536) out.set(randomBytes(4096), at);
  return out;
}

describe('ZstdDecompressor', () => {
  it('reads what zstd -1, -3 and -19 write, pushed whole, in 1-byte pieces and in 7 KiB pieces', () => {
    const data = sample(3 << 20);
    for (const level of ['-1', '-3', '-19']) {
      const z = zstd([level], data);
      expect(joined(decode(z)).equals(data), level).toBe(true);
      expect(joined(decode(z, 7 << 10)).equals(data), level).toBe(true);
    }
    const small = sample(40_000);
    expect(joined(decode(zstd(['-3'], small), 1)).equals(small)).toBe(true);
  }, 120_000);

  it('hands out blocks of at most 128 KiB, the first while the input is still coming', () => {
    const data = new Uint8Array(8 << 20); // zeros: a few hundred bytes of zstd
    const z = zstd(['-3'], data);
    const blocks = decode(z);
    expect(Math.max(...blocks.map((b) => b.length))).toBeLessThanOrEqual(128 << 10);
    expect(blocks.length).toBeGreaterThanOrEqual(64);
    expect(joined(blocks).equals(data)).toBe(true);
  });

  it('reads concatenated frames, skippable frames, and an empty frame', () => {
    const a = sample(100_000);
    const b = sample(3000);
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const stream = Buffer.concat([zstd(['-3'], a), skippable, zstd(['-3'], new Uint8Array(0)), zstd(['-9'], b)]);
    expect(joined(decode(stream, 999)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('reads its own compressor\'s frames', () => {
    const data = sample(2 << 20);
    const c = new ZstdCompressor(module, { level: 5 });
    const frame = Buffer.concat([...c.push(data), ...c.end()]);
    expect(joined(decode(frame, 65536)).equals(data)).toBe(true);
    expect(Buffer.from(execFileSync('zstd', ['-q', '-dc'], { input: frame, maxBuffer: 1 << 30 })).equals(data)).toBe(true);
  });

  it('refuses a frame whose window is over 2^windowLogMax before decoding it', () => {
    const data = sample(4 << 20);
    const long = zstd(['-3', '--long=24'], data); // window 16 MiB
    expect(decodeError(() => decode(long, undefined, 23)).code).toBe(ZstdErrorCode.WindowTooLarge);
    expect(joined(decode(long, undefined, 24)).equals(data)).toBe(true);
    expect(zstdWindowLogFor(4096)).toBe(12);
    expect(zstdWindowLogFor(8 << 20)).toBe(23);
    expect(zstdWindowLogFor((8 << 20) + 1)).toBe(24);
    expect(zstdWindowLogFor(2 ** 40)).toBe(30);
    expect(() => new ZstdDecompressor(module, () => {}, { windowLogMax: 31 })).toThrow(RangeError);
  });

  it('cut, damaged, empty and non-zstd input are ZstdDecodeErrors', () => {
    const data = sample(300_000);
    const z = zstd(['-3'], data);
    expect(decodeError(() => decode(z.subarray(0, z.length - 5))).code).toBe(ZstdErrorCode.Truncated);
    expect(decodeError(() => decode(new Uint8Array(0))).message).toMatch(/empty/);
    expect(decodeError(() => decode(new TextEncoder().encode('not zstd at all'))).message).toMatch(/Unknown frame descriptor/);
    const damaged = z.slice();
    damaged[damaged.length - 2]! ^= 0xff; // inside the content checksum
    expect(decodeError(() => decode(damaged)).code).toBe(ZstdErrorCode.ChecksumWrong);
  });

  it('the frame that hung fzstd is an error at once', () => {
    const t0 = performance.now();
    const e = decodeError(() => decode(fzstdHangInput()));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.code).not.toBe(0);
  });

  it('an error thrown by onData stops decoding and frees the context', () => {
    const z = zstd(['-3'], new Uint8Array(64 << 20));
    let blocks = 0;
    const d = new ZstdDecompressor(module, () => {
      if (++blocks === 3) throw new Error('enough');
    });
    expect(() => d.push(z)).toThrow('enough');
    expect(blocks).toBe(3);
    expect(() => d.push(z)).toThrow(/ended/);
  });
});
