/**
 * Field encodings ISO 9660 uses everywhere (ECMA-119 4th ed. §7): both-byte-order numbers (§7.2.3,
 * §7.3.3), a-/d-character strings padded with spaces (§7.4), the 7-byte directory record date
 * (§9.1.5) and the 17-byte volume descriptor date (§8.4.26.1). Dates are always UTC (offset 0) and come
 * from inputs, never a clock.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

const LE = true;
const BE = false;

/** §7.2.3: 16-bit both-byte order (LE then BE, 4 bytes). */
export function setBoth16(view: DataView, at: number, value: number): void {
  view.setUint16(at, value, LE);
  view.setUint16(at + 2, value, BE);
}

/** §7.3.3: 32-bit both-byte order (LE then BE, 8 bytes). */
export function setBoth32(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, LE);
  view.setUint32(at + 4, value >>> 0, BE);
}

/** Read the little-endian half of a both-byte-order 32-bit field. */
export function getBoth32(view: DataView, at: number): number {
  return view.getUint32(at, LE);
}

export function getBoth16(view: DataView, at: number): number {
  return view.getUint16(at, LE);
}

/** ASCII `text` into `bytes[at..at+length)`, padded with spaces (§7.4.3; a- and d-strings). */
export function setPaddedAscii(bytes: Uint8Array, at: number, length: number, text: string): void {
  bytes.fill(0x20, at, at + length);
  for (let i = 0; i < Math.min(text.length, length); i++) bytes[at + i] = text.charCodeAt(i) & 0x7f;
}

/** UCS-2 big-endian `text` into `length` bytes, padded with UCS-2 spaces (Joliet SVD fields). */
export function setPaddedUcs2(bytes: Uint8Array, at: number, length: number, text: string): void {
  for (let i = 0; i < length; i += 2) {
    const c = i / 2 < text.length ? text.charCodeAt(i / 2) : 0x20;
    bytes[at + i] = c >> 8;
    bytes[at + i + 1] = c & 0xff;
  }
}

export function getAscii(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function getUcs2(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i + 1 < at + length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return s;
}

/** ECMA-119 §9.1.5: years since 1900, month, day, hour, minute, second, UTC offset in 15-minute units. */
export function encodeRecordDate(epochSeconds: number): Uint8Array {
  const d = utc(epochSeconds);
  if (d.getUTCFullYear() < 1900 || d.getUTCFullYear() > 2155) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Date ${epochSeconds} (Unix seconds) is outside 1900–2155, the range an ISO 9660 directory record can hold.`);
  }
  return Uint8Array.of(d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0);
}

export function decodeRecordDate(bytes: Uint8Array, at: number): number {
  const offsetQuarters = (bytes[at + 6]! << 24) >> 24;
  const ms = Date.UTC(1900 + bytes[at]!, bytes[at + 1]! - 1, bytes[at + 2]!, bytes[at + 3]!, bytes[at + 4]!, bytes[at + 5]!);
  return ms / 1000 - offsetQuarters * 15 * 60;
}

/** ECMA-119 §8.4.26.1: "YYYYMMDDHHMMSScc" digits then the UTC offset byte; `undefined` = not specified. */
export function encodeVolumeDate(epochSeconds: number | undefined): Uint8Array {
  const out = new Uint8Array(17);
  if (epochSeconds === undefined) {
    out.fill(0x30, 0, 16);
    return out;
  }
  const d = utc(epochSeconds);
  if (d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Date ${epochSeconds} (Unix seconds) is outside years 1–9999.`);
  }
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const text = pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + pad(Math.floor(d.getUTCMilliseconds() / 10), 2);
  for (let i = 0; i < 16; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** `undefined` when the date is "not specified" (all zero digits). */
export function decodeVolumeDate(bytes: Uint8Array, at: number): number | undefined {
  const text = getAscii(bytes, at, 16);
  if (!/^\d{16}$/.test(text) || /^0+$/.test(text)) return undefined;
  const n = (from: number, len: number) => Number(text.slice(from, from + len));
  const offsetQuarters = (bytes[at + 16]! << 24) >> 24;
  return Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(8, 2), n(10, 2), n(12, 2)) / 1000 - offsetQuarters * 15 * 60;
}

function utc(epochSeconds: number): Date {
  if (!Number.isFinite(epochSeconds)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Date ${epochSeconds} is not a number of Unix seconds.`);
  }
  return new Date(Math.floor(epochSeconds) * 1000);
}
