import { describe, expect, it } from 'vitest';
import * as zlib from 'node:zlib';
import { crc32 } from './crc32.ts';

describe('crc32', () => {
  it('gives the IEEE check value for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('continues across chunks and agrees with zlib', () => {
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 31 + 7) & 0xff);
    expect(crc32(bytes.subarray(5000), crc32(bytes.subarray(0, 5000)))).toBe(crc32(bytes));
    const zcrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
    if (zcrc) expect(crc32(bytes)).toBe(zcrc(bytes));
  });
});
