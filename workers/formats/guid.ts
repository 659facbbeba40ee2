/**
 * GUIDs as text (lower-case, dashed: `c12a7328-f81f-11d2-ba4b-00a0c93ec93b`) and as bytes.
 *
 * Two byte forms exist:
 * - *string order*: the 16 bytes in the order the hex digits are written (RFC 4122; what systemd's
 *   `sd_id128_t` holds and what repart's HMAC derivation hashes);
 * - *GPT on-disk order* (UEFI 2.10 appendix A, EFI_GUID): the first three groups are little-endian
 *   (4, 2 and 2 bytes, each reversed), the last 8 bytes in string order.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { NULL_UUID, bytesToUuid, isUuid, normalizeUuid, uuidToBytes } from '../model/uuid.ts';

export { bytesToUuid, uuidToBytes };

/** The all-zero GUID: an unused GPT entry's type. */
export const ZERO_GUID = NULL_UUID;

/** Byte positions of string-order bytes 0..15 inside the GPT on-disk form. */
const DISK_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/** True when `text` is a GUID (with or without dashes, any case). */
export const isGuid = isUuid;

/** Normalise a GUID to lower-case dashed form; throws `invalid-spec` when it is not one. */
export const normalizeGuidText = normalizeUuid;

/** A GUID in GPT's on-disk (mixed-endian) byte order. */
export function encodeGuid(text: string): Uint8Array {
  const string = uuidToBytes(text);
  const disk = new Uint8Array(16);
  for (let i = 0; i < 16; i++) disk[DISK_ORDER[i]!] = string[i]!;
  return disk;
}

/** Read a GUID stored in GPT's on-disk byte order at `offset`. */
export function decodeGuid(bytes: Uint8Array, offset = 0): string {
  if (bytes.length < offset + 16) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `a GUID needs 16 bytes, got ${bytes.length - offset}`);
  }
  const string = new Uint8Array(16);
  for (let i = 0; i < 16; i++) string[i] = bytes[offset + DISK_ORDER[i]!]!;
  return bytesToUuid(string);
}
