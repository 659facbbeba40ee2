/**
 * Narinfo signatures: `Sig: <key name>:<base64 Ed25519 signature>` over the fingerprint, checked
 * against trusted keys written as Nix writes them (`trusted-public-keys = NAME:BASE64`). WebCrypto
 * Ed25519 (Node 20, current Chromium/Firefox/Safari).
 */
import { NixError, NixProblem } from './errors.ts';
import { decodeBase64, narInfoFingerprint, type NarInfo } from './narinfo.ts';

const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

/** WebCrypto's CryptoKey, named so that DOM-less (Node-typed) builds see it too. */
type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface TrustedKey {
  name: string;
  key: VerifyKey;
}

function splitNamed(text: string, what: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new NixError(NixProblem.BadKey, `${what} "${text}" is not NAME:BASE64.`);
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/** Import `NAME:BASE64` public keys (32-byte Ed25519). Throws `bad-key` naming the bad one. */
export async function importTrustedKeys(keys: readonly string[]): Promise<TrustedKey[]> {
  const out: TrustedKey[] = [];
  for (const text of keys) {
    const [name, b64] = splitNamed(text.trim(), 'trusted public key');
    let raw: Uint8Array;
    try {
      raw = decodeBase64(b64, `trusted public key ${name}`);
    } catch {
      throw new NixError(NixProblem.BadKey, `trusted public key ${name}: "${b64}" is not base64.`, { key: name });
    }
    if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new NixError(NixProblem.BadKey, `trusted public key ${name} is ${raw.length} bytes; an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES}.`, { key: name });
    }
    const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
    out.push({ name, key });
  }
  return out;
}

/**
 * Accept `info` if one of its signatures is by a trusted key and verifies (as Nix's
 * `checkSignatures` with `require-sigs`). Throws `unsigned`, `untrusted-key` or `bad-signature`
 * naming the store path and key(s). Returns the name of the key that verified.
 */
export async function verifyNarInfoSignature(info: NarInfo, trusted: readonly TrustedKey[], cacheUrl = ''): Promise<string> {
  const from = cacheUrl ? ` from ${cacheUrl}` : '';
  const trustedNames = trusted.map((k) => k.name).join(', ') || '(none configured)';
  if (info.signatures.length === 0) {
    throw new NixError(NixProblem.Unsigned, `${info.storePath}${from} is not signed; trusted keys: ${trustedNames}.`, { storePath: info.storePath, cacheUrl });
  }
  const fingerprint = new TextEncoder().encode(narInfoFingerprint(info));
  const untrusted: string[] = [];
  const failed: string[] = [];
  for (const sig of info.signatures) {
    const [name, b64] = splitNamed(sig, `${info.storePath}: signature`);
    const key = trusted.find((k) => k.name === name);
    if (!key) {
      untrusted.push(name);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(b64, 'signature');
    } catch {
      failed.push(name);
      continue;
    }
    if (bytes.length === ED25519_SIGNATURE_BYTES && (await crypto.subtle.verify('Ed25519', key.key, bytes as Uint8Array<ArrayBuffer>, fingerprint))) {
      return name;
    }
    failed.push(name);
  }
  if (failed.length > 0) {
    throw new NixError(NixProblem.BadSignature, `${info.storePath}${from}: the signature by key ${failed.join(', ')} does not verify (tampered narinfo or wrong key).`, { storePath: info.storePath, key: failed[0], cacheUrl });
  }
  throw new NixError(NixProblem.UntrustedKey, `${info.storePath}${from} is signed only by untrusted key ${untrusted.join(', ')}; trusted keys: ${trustedNames}.`, { storePath: info.storePath, key: untrusted[0], cacheUrl });
}
