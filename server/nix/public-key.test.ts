import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePublicKey } from './http.ts';

describe('cachePublicKey', () => {
  it('derives NAME:BASE64 from a Nix secret key file (seed then public key), and nothing from a bad file', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const dir = mkdtempSync(join(tmpdir(), 'pw-key-'));
    writeFileSync(join(dir, 'sec'), `test-1:${Buffer.concat([seed, pub]).toString('base64')}`);
    expect(cachePublicKey(join(dir, 'sec'))).toBe(`test-1:${pub.toString('base64')}`);
    writeFileSync(join(dir, 'bad'), 'test-1:AAAA');
    expect(cachePublicKey(join(dir, 'bad'))).toBeUndefined();
    expect(cachePublicKey(join(dir, 'missing'))).toBeUndefined();
  });
});
