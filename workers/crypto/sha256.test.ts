import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, hmacSha256, sha256 } from './sha256.ts';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('sha256', () => {
  it('matches the FIPS 180-2 "abc" vector', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches node:crypto for every length around the padding boundaries', () => {
    for (let n = 0; n <= 300; n++) {
      const data = bytes(n, n + 7);
      expect(hex(sha256(data)), `length ${n}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('hashes incrementally in uneven pieces like node:crypto', () => {
    const data = bytes(10_000, 42);
    const h = new Sha256();
    let at = 0;
    for (const step of [1, 63, 64, 65, 127, 3000, 17]) {
      h.update(data.subarray(at, at + step));
      at += step;
    }
    h.update(data.subarray(at));
    expect(hex(h.digest())).toBe(createHash('sha256').update(data).digest('hex'));
  });
});

describe('hmacSha256', () => {
  it('matches node:crypto for short, block-sized and long keys', () => {
    for (const keyLength of [0, 1, 16, 63, 64, 65, 200]) {
      for (const msgLength of [0, 16, 24, 55, 56, 64, 1000]) {
        const key = bytes(keyLength, keyLength + 1);
        const msg = bytes(msgLength, msgLength + 3);
        expect(hex(hmacSha256(key, msg)), `key ${keyLength} msg ${msgLength}`).toBe(
          createHmac('sha256', key).update(msg).digest('hex'),
        );
      }
    }
  });
});
