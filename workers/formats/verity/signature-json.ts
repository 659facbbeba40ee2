/**
 * The verity signature partition (`Verity=signature`): one compact JSON object
 * `{"rootHash":HEX,"certificateFingerprint":HEX,"signature":BASE64}` — the signature a DER PKCS#7
 * detached signature over the root hash's lower-case hex text, the fingerprint the SHA-256 of the
 * certificate's DER — NUL-padded to a multiple of 4096 bytes (systemd-repart's context_verity_sig;
 * the Discoverable Partitions Specification). The partition itself is 16 KiB (VERITY_SIG_SIZE).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { fromHex, toHex } from './tree.ts';

export const VERITY_SIGNATURE_PAD_BYTES = 4096;

export interface VeritySignatureJson {
  rootHash: Uint8Array;
  certificateFingerprint: Uint8Array;
  /** DER PKCS#7 SignedData, detached. */
  signature: Uint8Array;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function encodeVeritySignatureJson(v: VeritySignatureJson, maxBytes: number): Uint8Array {
  const text = JSON.stringify({ rootHash: toHex(v.rootHash), certificateFingerprint: toHex(v.certificateFingerprint), signature: base64(v.signature) });
  const json = new TextEncoder().encode(text);
  const padded = Math.ceil(json.length / VERITY_SIGNATURE_PAD_BYTES) * VERITY_SIGNATURE_PAD_BYTES;
  if (padded > maxBytes) {
    throw new PartwrightError(ErrorCode.DoesNotFit, `The verity signature JSON needs ${padded} bytes, more than its ${maxBytes}-byte partition; use a smaller certificate.`);
  }
  const out = new Uint8Array(padded);
  out.set(json);
  return out;
}

/** Reads the JSON from a signature partition's first bytes (up to the first NUL). */
export function decodeVeritySignatureJson(bytes: Uint8Array): VeritySignatureJson {
  const end = bytes.indexOf(0);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(end < 0 ? bytes : bytes.subarray(0, end)));
  } catch {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Not a verity signature partition: no JSON object at its start.');
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.rootHash !== 'string' || typeof o.signature !== 'string') {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Verity signature JSON lacks "rootHash" or "signature".');
  }
  return {
    rootHash: fromHex(o.rootHash),
    certificateFingerprint: typeof o.certificateFingerprint === 'string' ? fromHex(o.certificateFingerprint) : new Uint8Array(0),
    signature: Uint8Array.from(atob(o.signature), (c) => c.charCodeAt(0)),
  };
}
