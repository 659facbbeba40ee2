/** Sign narinfos with a Nix secret key file (`NAME:BASE64(seed ‖ public key)`), for hostile-cache tests. */
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function nixSigner(secretKeyFile: string): (fingerprint: string) => string {
  const text = readFileSync(secretKeyFile, 'utf8').trim();
  const colon = text.indexOf(':');
  const name = text.slice(0, colon);
  const raw = Buffer.from(text.slice(colon + 1), 'base64');
  const key = createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: raw.subarray(0, 32).toString('base64url'), x: raw.subarray(32, 64).toString('base64url') },
  });
  return (fingerprint) => `${name}:${sign(null, Buffer.from(fingerprint), key).toString('base64')}`;
}
