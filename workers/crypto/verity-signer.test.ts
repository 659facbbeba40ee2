/**
 * The root-hash signer over WebCrypto + pkijs, against openssl: PKCS#8, PKCS#1 and SEC1 PEM keys,
 * RSA signatures deterministic and byte-identical to `openssl smime -sign -noattr` (what repart's
 * PKCS7_sign makes), ECDSA ones deterministic (RFC 6979), every signature verified by `openssl smime -verify`, bad keys refused by code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../test-support/debian.ts';
import { createVeritySigner } from './verity-signer.ts';

requireTools('openssl');
const work = mkdtempSync(join(tmpdir(), 'pw-signer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pair(name: string, newkey: string[], traditional: boolean): { key: string; cert: string } {
  const key = join(work, `${name}.key`), cert = join(work, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-days', '30'], { stdio: 'ignore' });
  if (traditional) writeFileSync(key, execFileSync('openssl', ['pkey', '-in', key, '-traditional'], { encoding: 'utf8' }));
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

const HASH = 'c380fda19819651df8197cfe5831a9335b2d1eb143e066155f73f30e67da3e15';

function opensslVerifies(der: Uint8Array, certPem: string, content: string): boolean {
  const d = join(work, 'sig.der'), c = join(work, 'content.txt'), ca = join(work, 'ca.pem');
  writeFileSync(d, der);
  writeFileSync(c, content);
  writeFileSync(ca, certPem);
  return spawnSync('openssl', ['smime', '-verify', '-binary', '-inform', 'DER', '-in', d, '-content', c, '-CAfile', ca, '-purpose', 'any', '-out', '/dev/null']).status === 0;
}

describe('verity root hash signer', () => {
  const rsa8 = pair('rsa8', ['-newkey', 'rsa:2048'], false);
  const rsa1 = pair('rsa1', ['-newkey', 'rsa:2048'], true);
  const ec8 = pair('ec8', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], false);
  const sec1 = pair('sec1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], true);

  it('PKCS#8, PKCS#1 RSA and SEC1 EC keys sign; openssl verifies each and refuses another content', async () => {
    expect(rsa1.key).toMatch(/BEGIN RSA PRIVATE KEY/);
    expect(sec1.key).toMatch(/BEGIN EC PRIVATE KEY/);
    for (const p of [rsa8, rsa1, ec8, sec1]) {
      const signer = await createVeritySigner(p.key, p.cert);
      const der = await signer.sign(HASH);
      expect(opensslVerifies(der, p.cert, HASH)).toBe(true);
      expect(opensslVerifies(der, p.cert, HASH.replace('c', 'd'))).toBe(false);
    }
  });

  it('RSA: the same bytes as openssl smime -sign -noattr -binary (repart\'s PKCS7_sign), every time', async () => {
    const signer = await createVeritySigner(rsa8.key, rsa8.cert);
    const a = await signer.sign(HASH);
    expect(Buffer.from(await signer.sign(HASH)).equals(Buffer.from(a))).toBe(true);
    const c = join(work, 'rh.txt'), k = join(work, 'k.pem'), crt = join(work, 'c.pem'), out = join(work, 'ossl.der');
    writeFileSync(c, HASH);
    writeFileSync(k, rsa8.key);
    writeFileSync(crt, rsa8.cert);
    execFileSync('openssl', ['smime', '-sign', '-binary', '-noattr', '-md', 'sha256', '-in', c, '-signer', crt, '-inkey', k, '-outform', 'DER', '-out', out]);
    expect(Buffer.from(a).toString('hex')).toBe(readFileSync(out).toString('hex'));
  });

  it('ECDSA P-256: the same bytes every time (RFC 6979 nonce), another root hash another signature', async () => {
    for (const p of [ec8, sec1]) {
      const a = await (await createVeritySigner(p.key, p.cert)).sign(HASH);
      const b = await (await createVeritySigner(p.key, p.cert)).sign(HASH);
      expect(Buffer.from(b).toString('hex')).toBe(Buffer.from(a).toString('hex'));
      const other = await (await createVeritySigner(p.key, p.cert)).sign(HASH.replace('c', 'd'));
      expect(Buffer.from(other).equals(Buffer.from(a))).toBe(false);
      expect(opensslVerifies(a, p.cert, HASH)).toBe(true);
    }
    await expect(createVeritySigner(sec1.key, ec8.cert)).rejects.toThrow(/does not belong to the certificate/);
  });

  it('refuses a key that is not the certificate\'s, an encrypted key, and a file without PEM', async () => {
    await expect(createVeritySigner(rsa1.key, rsa8.cert)).rejects.toThrow(/does not belong to the certificate/);
    await expect(createVeritySigner(ec8.key, rsa8.cert)).rejects.toThrow(/cannot be imported as an RSA key/);
    const enc = execFileSync('openssl', ['pkey', '-aes256', '-passout', 'pass:x'], { input: rsa8.key, encoding: 'utf8' });
    await expect(createVeritySigner(enc, rsa8.cert)).rejects.toThrow(/encrypted/);
    await expect(createVeritySigner('hello', rsa8.cert)).rejects.toThrow(/no PEM "BEGIN PRIVATE KEY"/);
    await expect(createVeritySigner(rsa8.key, 'nope')).rejects.toThrow(/no PEM "BEGIN CERTIFICATE"/);
  });
});
