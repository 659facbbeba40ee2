/**
 * Nix's base-32 (nix/src/libutil/hash.cc `printHash32`): 32 digits without e, o, t, u, and the
 * bytes read from the END of the string, least significant 5-bit group first. A SHA-256 is 52 digits.
 */
import { NixError, NixProblem } from './errors.ts';

export const NIX_BASE32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz';

/** Digits needed for `byteCount` bytes: ceil(bytes * 8 / 5). */
export function nixBase32Length(byteCount: number): number {
  return Math.ceil((byteCount * 8) / 5);
}

export function encodeNixBase32(bytes: Uint8Array): string {
  const len = nixBase32Length(bytes.length);
  let out = '';
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0);
    out += NIX_BASE32_ALPHABET[c & 0x1f];
  }
  return out;
}

/** Decode `text` into `byteCount` bytes; refuses foreign digits and set bits past the end. */
export function decodeNixBase32(text: string, byteCount: number): Uint8Array {
  if (text.length !== nixBase32Length(byteCount)) {
    throw new NixError(NixProblem.BadNarInfo, `"${text}" is not a ${byteCount}-byte Nix base-32 hash (expected ${nixBase32Length(byteCount)} digits, got ${text.length}).`);
  }
  const out = new Uint8Array(byteCount);
  for (let n = 0; n < text.length; n++) {
    const ch = text[text.length - n - 1]!;
    const digit = NIX_BASE32_ALPHABET.indexOf(ch);
    if (digit < 0) throw new NixError(NixProblem.BadNarInfo, `"${text}" is not Nix base-32: "${ch}" is not one of its digits.`);
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i]! |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i + 1 < byteCount) out[i + 1]! |= carry;
    else if (carry !== 0) throw new NixError(NixProblem.BadNarInfo, `"${text}" is not Nix base-32: it has bits past the end of a ${byteCount}-byte hash.`);
  }
  return out;
}
