/**
 * Names as the three trees store them: the ISO 9660 level-2/3 identifiers (d-characters, ECMA-119
 * §7.5/§7.6, at most 31 characters as level 2 allows: §10.2), Joliet's UCS-2 names (Joliet
 * specification 1995: at most 64 characters, `* / : ; ? \` forbidden), and the volume identifier check.
 * Rock Ridge carries the real name (NM), so ISO and Joliet names only need to be valid and unique.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** ECMA-119 §7.4.1: the d-characters. */
const D_CHARACTERS = /^[A-Z0-9_]*$/;
/** §8.4.6: the volume identifier field is 32 bytes. */
export const VOLUME_ID_MAX = 32;
/** Joliet's volume identifier is the same 32 bytes holding 16 UCS-2 characters. */
export const JOLIET_VOLUME_ID_MAX = 16;
/** §10.2 (level 2 and 3): a file identifier (name + '.' + extension) of at most 30 characters + ';1'. */
const ISO_FILE_NAME_MAX = 30;
/** §10.2: a directory identifier of at most 31 characters. */
const ISO_DIR_NAME_MAX = 31;
const ISO_EXT_MAX = 8;
/** Joliet: identifiers of at most 64 UCS-2 characters (the version suffix included here). */
const JOLIET_NAME_MAX = 64;
const JOLIET_FORBIDDEN = /[*/:;?\\\u0000-\u001f]/g;

/**
 * Check a volume label: at most 32 characters; `strict` (the default) wants d-characters only
 * (A–Z, 0–9, _), as ECMA-119 §8.4.6 says; relaxed allows any printable ASCII (what xorriso accepts and
 * NixOS labels such as `nixos-24.05-x86_64` use). The error says which characters are wrong.
 */
export function validateVolumeId(volumeId: string, strict: boolean, where = 'volumeId'): void {
  if (volumeId.length === 0) throw new PartwrightError(ErrorCode.InvalidSpec, 'The volume label is empty; ISO 9660 needs 1 to 32 characters.', { where });
  if (volumeId.length > VOLUME_ID_MAX) {
    throw new PartwrightError(ErrorCode.InvalidSpec,
      `The volume label "${volumeId}" has ${volumeId.length} characters; ISO 9660 allows at most ${VOLUME_ID_MAX}.`, { where });
  }
  const bad = [...new Set([...volumeId].filter((c) => (strict ? !D_CHARACTERS.test(c) : c < ' ' || c > '~')))];
  if (bad.length > 0) {
    const shown = bad.map((c) => JSON.stringify(c)).join(', ');
    throw new PartwrightError(ErrorCode.InvalidSpec, strict
      ? `The volume label "${volumeId}" has ${shown}, which ISO 9660 does not allow: use only A–Z, 0–9 and _ (d-characters), e.g. "${volumeId.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}", or allow relaxed labels.`
      : `The volume label "${volumeId}" has ${shown}: only printable ASCII fits an ISO 9660 volume label.`, { where });
  }
}

/** Check an a-character identifier field (publisher, application, …) of `max` bytes: printable ASCII. */
export function validateIdField(value: string, max: number, where: string): void {
  if (value.length > max) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `${where} "${value}" has ${value.length} characters; the field holds ${max}.`, { where });
  }
  const bad = [...value].find((c) => c < ' ' || c > '~');
  if (bad !== undefined) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `${where} "${value}" has ${JSON.stringify(bad)}: ISO 9660 identifiers are printable ASCII.`, { where });
  }
}

function toDChars(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Per-directory allocator of unique ISO 9660 identifiers (without the ';1' version). */
export class IsoNameAllocator {
  private readonly used = new Set<string>();

  /** `NAME.EXT` for files (the dot always present, §7.5.1), `NAME` for directories. */
  allocate(name: string, isDir: boolean): string {
    let base: string;
    let ext = '';
    if (isDir) {
      base = toDChars(name).slice(0, ISO_DIR_NAME_MAX);
    } else {
      const dot = name.lastIndexOf('.');
      const hasExt = dot > 0 && dot < name.length - 1;
      ext = hasExt ? toDChars(name.slice(dot + 1)).slice(0, ISO_EXT_MAX) : '';
      base = toDChars(hasExt ? name.slice(0, dot) : name).slice(0, ISO_FILE_NAME_MAX - 1 - ext.length);
    }
    if (base === '') base = '_';
    const room = isDir ? ISO_DIR_NAME_MAX : ISO_FILE_NAME_MAX - 1 - ext.length;
    const make = (b: string) => (isDir ? b : `${b}.${ext}`);
    let candidate = make(base);
    for (let n = 1; this.used.has(candidate); n++) {
      const suffix = String(n);
      candidate = make(base.slice(0, room - suffix.length) + suffix);
    }
    this.used.add(candidate);
    return candidate;
  }
}

/** Per-directory allocator of unique Joliet names (UCS-2, at most 64 characters with ';1'). */
export class JolietNameAllocator {
  private readonly used = new Set<string>();

  allocate(name: string, isDir: boolean): string {
    const room = isDir ? JOLIET_NAME_MAX : JOLIET_NAME_MAX - 2;
    // Characters outside the BMP have no UCS-2 form.
    let clean = [...name].map((c) => (c.length > 1 ? '_' : c)).join('').replace(JOLIET_FORBIDDEN, '_');
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    const stem = ext ? clean.slice(0, dot) : clean;
    if (clean.length > room) clean = stem.slice(0, room - ext.length) + ext;
    let candidate = clean;
    for (let n = 1; this.used.has(candidate); n++) {
      const suffix = String(n);
      candidate = stem.slice(0, Math.max(1, room - ext.length - suffix.length)) + suffix + ext;
    }
    this.used.add(candidate);
    return isDir ? candidate : `${candidate};1`;
  }
}

/** ECMA-119 §9.3: records sorted by name, then extension, each padded with spaces; then version. */
export function compareIsoIdentifiers(a: string, b: string): number {
  const split = (s: string) => {
    const semi = s.indexOf(';');
    const body = semi >= 0 ? s.slice(0, semi) : s;
    const dot = body.indexOf('.');
    return dot >= 0 ? [body.slice(0, dot), body.slice(dot + 1)] : [body, ''];
  };
  const [an, ae] = split(a);
  const [bn, be] = split(b);
  return comparePadded(an!, bn!) || comparePadded(ae!, be!);
}

function comparePadded(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const pa = a.padEnd(n, ' ');
  const pb = b.padEnd(n, ' ');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Joliet records: sorted by their UCS-2 code units. */
export function compareUcs2(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function ucs2Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) >> 8;
    out[2 * i + 1] = text.charCodeAt(i) & 0xff;
  }
  return out;
}

export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** UTF-8 bytes of a Rock Ridge name or symlink target (TextEncoder exists in workers and Node). */
export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
