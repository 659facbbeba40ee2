/**
 * UUIDs as text (lower-case, dashed) and as 16 bytes in string order (RFC 4122; systemd's
 * sd_id128_t). The one place that parses and prints them; GPT's mixed-endian on-disk form is in
 * formats/guid.ts, seed derivation in plan/uuid.ts.
 */
import { ErrorCode, PartwrightError } from './errors.ts';

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The all-zero UUID (repart's `UUID=null`; an unused GPT entry's type). */
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

/** True when `text` is a UUID written with or without dashes, any case. */
export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/** The 16 bytes of a UUID in string order; throws `invalid-spec` when it is not one. */
export function uuidToBytes(text: string): Uint8Array {
  if (!UUID_RE.test(text)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `"${text}" is not a GUID/UUID (expected 8-4-4-4-12 hex digits)`);
  }
  const hex = text.replace(/-/g, '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** 16 bytes in string order (from `offset`) as a lower-case dashed UUID. */
export function bytesToUuid(bytes: Uint8Array, offset = 0): string {
  if (bytes.length < offset + 16) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `a UUID needs 16 bytes, got ${bytes.length - offset}`);
  }
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[offset + i]!];
  }
  return s;
}

/** Lower-case dashed form; throws `invalid-spec` when `text` is not a UUID. */
export function normalizeUuid(text: string): string {
  return bytesToUuid(uuidToBytes(text));
}

/** Lower-case dashed form, or undefined when `text` is not a UUID. */
export function tryNormalizeUuid(text: string): string | undefined {
  return UUID_RE.test(text) ? normalizeUuid(text) : undefined;
}
