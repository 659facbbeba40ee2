/**
 * 8.3 short names made the way mtools 4.0.32 makes them when `mcopy` copies a file in (the project's
 * oracle): mtools file_name.c dos_name(), vfat.c autorename(), mk_direntry.c get_slots().
 *
 * - Letters are upper-cased; spaces and dots (except the last dot) are dropped; a name longer than
 *   8.3, or one with dropped characters, gets a `~1` tail and a long name.
 * - A name that fits 8.3 but mixes cases keeps its 8.3 form (no tail) plus a long name.
 * - An all-lower-case base and/or extension is stored as 8.3 with the NT case bits and no long name.
 * - Unlike mtools, a non-ASCII lower-case letter always gets a long name (mtools' case bits would
 *   read back upper-cased: "café" → "cafÉ").
 * - Short names are encoded in code page 850 (mtools' default); a character CP850 lacks becomes `_`
 *   and forces a long name (mtools uses glibc's //TRANSLIT there, which may pick a look-alike: a
 *   known difference for characters outside CP850).
 * - Reserved DOS device names (CON, AUX, PRN, NUL, COM1–4, LPT1–4) and characters that are legal in
 *   long but not in short names (`;+=[]',`) get a `~1` tail; a short name that collides with one
 *   already in the directory gets its tail bumped (`~2`, …, `~10` shortens the base).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** NT reserved byte bits: base / extension stored upper-case but meant lower-case (mtools BASECASE/EXTCASE). */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;

/** Code page 850, bytes 0x80–0xFF (IBM CP850; what mtools uses by default). */
const CP850_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';
const TO_CP850 = new Map<number, number>();
for (let i = 0; i < 128; i++) TO_CP850.set(CP850_HIGH.codePointAt(i)!, 0x80 + i);

/** The Unicode character for a CP850 byte (short names read back). */
export function cp850ToChar(byte: number): string {
  return byte < 0x80 ? String.fromCharCode(byte) : CP850_HIGH[byte - 0x80]!;
}

/** mtools vfat.c short_illegals / long_illegals. */
const SHORT_ILLEGALS = ';+=[]\',"*\\<>/?:|';
const LONG_ILLEGALS = '"*\\<>/?:|\u0005';
/** 1 for each byte that is one of SHORT_ILLEGALS. */
const SHORT_ILLEGAL_BYTE = new Uint8Array(256);
for (const ch of SHORT_ILLEGALS) SHORT_ILLEGAL_BYTE[ch.charCodeAt(0)] = 1;
/** mangled bits: 1 = needs a long name, 2 = needs a numeric tail. */
const NEEDS_LONG = 1;
const NEEDS_TAIL = 2;
const SPACE = 0x20;
const TILDE = 0x7e;
/** A first name byte of 0xE5 means "deleted"; 0x05 stands for it (fatgen103 §6.1). */
const DELETED = 0xe5;
const E5_ESCAPE = 0x05;

export interface ShortName {
  /** The 11 bytes (8 base + 3 extension, space-padded, CP850) as stored in the entry. */
  bytes: Uint8Array;
  /** NT case bits for the entry (only when no long name is stored). */
  caseBits: number;
  /** True when a long-name (VFAT) entry sequence must precede the short entry. */
  needsLongName: boolean;
}

// The ASCII fast paths below give the same answers as the Unicode ones; they matter because a
// directory of names that share a prefix (file-1000.bin, file-1001.bin, …) retries tails many times.

function isLower(c: string): boolean {
  const code = c.charCodeAt(0);
  if (c.length === 1 && code < 0x80) return code >= 0x61 && code <= 0x7a;
  return /\p{Ll}/u.test(c);
}

function isUpper(c: string): boolean {
  const code = c.charCodeAt(0);
  if (c.length === 1 && code < 0x80) return code >= 0x41 && code <= 0x5a;
  return /\p{Lu}/u.test(c) || /\p{Lt}/u.test(c);
}

/** towupper(): simple one-to-one mapping only (ß stays ß). */
function toUpper(c: string): string {
  const code = c.charCodeAt(0);
  if (c.length === 1 && code < 0x80) return code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : c;
  const u = c.toUpperCase();
  return [...u].length === 1 ? u : c;
}

/** towupper() of one code point, as a code point. */
function upperCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 0x20 : cp;
  return toUpper(String.fromCodePoint(cp)).codePointAt(0)!;
}

/**
 * mtools TranslateToDos(): up to `count` characters of `chars` into `out` (CP850), upper-cased;
 * `truncated` tells whether characters were left over.
 */
function translate(chars: string[], count: number, out: number[], state: { mangled: number }): 'none' | 'upper' | 'lower' {
  let caseSeen: 'none' | 'upper' | 'lower' = 'none';
  const taken = chars.slice(0, count);
  if (chars.length > count) state.mangled |= NEEDS_LONG | NEEDS_TAIL;
  let t = 0;
  for (const ch of taken) {
    if (ch === ' ' || ch === '.') {
      state.mangled |= NEEDS_LONG | NEEDS_TAIL;
      continue;
    }
    let c = ch;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      state.mangled |= NEEDS_LONG | NEEDS_TAIL;
      c = '_';
    } else if (isLower(ch)) {
      c = toUpper(ch);
      // Deliberate difference from mtools: it stores "café" as 8.3 with the lower-case bit, but its
      // own tolower is ASCII-only, so it reads "cafÉ" back. A non-ASCII lower-case letter gets a long name.
      if (cp >= 0x80) state.mangled |= NEEDS_LONG;
      if (caseSeen === 'upper') state.mangled |= NEEDS_LONG;
      else caseSeen = 'lower';
    } else if (isUpper(ch)) {
      if (caseSeen === 'lower') state.mangled |= NEEDS_LONG;
      else caseSeen = 'upper';
    }
    // wchar_to_dos(): ASCII as is, CP850 when it has the character, else '_' (mangled |= 1).
    const code = c.codePointAt(0)!;
    let byte: number;
    if (code >= 0x20 && code <= 0x7e) byte = code;
    else {
      const mapped = TO_CP850.get(code);
      if (mapped === undefined) {
        byte = 0x5f;
        state.mangled |= NEEDS_LONG;
      } else byte = mapped;
    }
    if (byte === 0x3f) { // '?' from an untransliterable character
      byte = 0x5f;
      state.mangled |= NEEDS_LONG;
    }
    out[t++] = byte;
  }
  return caseSeen;
}

/** mtools vfat.c autorename() on the 8-byte base (with the extension after it, as in dos_name_t). */
export function autorenameShort(name: Uint8Array, bump: boolean): void {
  const limit = 8;
  // The C string runs over base and extension (11 bytes) up to the NUL sentinel after them.
  for (let p = 0; p < 11; p++) {
    if (SHORT_ILLEGAL_BYTE[name[p]!] === 1) {
      name[p] = 0x5f;
      bump = false;
    }
  }
  let tildePos = -1;
  let seqnum = 0;
  let maxseq = 0;
  let dotPos = 0;
  for (; dotPos < limit && name[dotPos] !== SPACE; dotPos++) {
    const c = name[dotPos]!;
    if (c === TILDE) {
      tildePos = dotPos;
      seqnum = 0;
      maxseq = 1;
    } else if (c >= 0x30 && c <= 0x39) {
      seqnum = seqnum * 10 + (c - 0x30);
      maxseq *= 10;
    } else tildePos = -1; // sequence number interrupted
  }
  if (tildePos === -1) {
    if (dotPos > limit - 2) {
      tildePos = limit - 2;
      dotPos = limit;
    } else {
      tildePos = dotPos;
      dotPos += 2;
    }
    seqnum = 1;
  } else {
    if (bump) seqnum++;
    if (seqnum > 999999) {
      seqnum = 1;
      tildePos = dotPos - 2;
    }
    if (seqnum === maxseq) {
      if (dotPos >= limit) tildePos--;
      else dotPos++;
    }
  }
  // mtools_numeric_tail is 1 by default: the tail is always written.
  const tail = `~${seqnum}`;
  for (let i = 0; i < tail.length; i++) name[tildePos + i] = tail.charCodeAt(i);
  // sprintf's NUL lands on name[tildePos + tail.length]; mtools puts the byte saved from dotPos back
  // there, and the two positions always coincide (so the NUL below is never reached in practice).
  const end = tildePos + tail.length;
  if (end < 11 && end < dotPos) name[end] = 0;
}

/** mtools dos_name(): the first candidate short name of a long name, before collision handling. */
export function dosName(longName: string): { bytes: Uint8Array; mangled: number; caseBits: number } {
  const state = { mangled: 0 };
  const bytes = new Uint8Array(11).fill(SPACE);
  let name = longName;
  const lead = /^[. ]*/.exec(name)![0].length;
  if (lead) {
    name = name.slice(lead);
    state.mangled = NEEDS_LONG | NEEDS_TAIL;
  }
  const dot = name.lastIndexOf('.');
  const baseChars = [...(dot >= 0 ? name.slice(0, dot) : name)];
  const base: number[] = [];
  const baseCase = translate(baseChars, 8, base, state);
  bytes.set(base, 0);
  let extCase: 'none' | 'upper' | 'lower' = 'upper';
  if (dot >= 0) {
    const ext: number[] = [];
    extCase = translate([...name.slice(dot + 1)], 3, ext, state);
    bytes.set(ext, 8);
  }
  if (state.mangled & NEEDS_TAIL) autorenameShort(bytes, false);
  let caseBits = 0;
  if (!state.mangled) {
    if (baseCase === 'lower') caseBits |= CASE_LOWER_BASE;
    if (extCase === 'lower') caseBits |= CASE_LOWER_EXT;
  }
  if (bytes[0] === DELETED) bytes[0] = E5_ESCAPE;
  return { bytes, mangled: state.mangled, caseBits };
}

/** The 11 bytes as a string of char codes 0–255 (a Set key). */
function byteKey(b: Uint8Array): string {
  return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!);
}

/** Reserved DOS device bases (upper case, space-padded to 8): CON, AUX, PRN, NUL, all spaces, COM1–4, LPT1–4. */
const RESERVED_BASES = new Set(['CON', 'AUX', 'PRN', 'NUL', '   ', 'COM1', 'COM2', 'COM3', 'COM4', 'LPT1', 'LPT2', 'LPT3', 'LPT4']
  .map((n) => n.padEnd(8, ' ')));

function isReservedShort(b: Uint8Array): boolean {
  // Only 4 bytes can differ from spaces; a byte ≥ 0x80 never upper-cases into these ASCII names.
  if (b[4] !== SPACE || b[5] !== SPACE || b[6] !== SPACE || b[7] !== SPACE) return false;
  let base = '';
  for (let i = 0; i < 8; i++) {
    const c = b[i]!;
    if (c >= 0x80) return false;
    base += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return RESERVED_BASES.has(base);
}

function containsShortIllegals(b: Uint8Array): boolean {
  for (const c of b) {
    if ((c < 0x20 && c !== E5_ESCAPE) || SHORT_ILLEGAL_BYTE[c] === 1) return true;
  }
  return false;
}

function badName(name: string, why: string): PartwrightError {
  return new PartwrightError(ErrorCode.InvalidSpec, `Cannot store "${name}" on FAT: ${why}.`, { where: name });
}

/** Checks a long name as mtools' get_slots() does before it will write it (plus the VFAT length limit). */
export function validateLongName(name: string): void {
  if (name === '.' || name === '..') throw badName(name, 'the name is reserved');
  if (name.length === 0 || /^[. ]*$/.test(name)) throw badName(name, 'the name is empty or only dots and spaces');
  if (name.length > 255) throw badName(name, 'long names are at most 255 UTF-16 code units');
  if (/[ .]$/.test(name)) throw badName(name, 'FAT names cannot end in a space or a dot');
  for (const ch of name) {
    if (ch.codePointAt(0)! < 0x20 || LONG_ILLEGALS.includes(ch)) throw badName(name, `the character ${JSON.stringify(ch)} is not allowed`);
  }
  if (/^(CON|AUX|PRN|NUL)$/i.test(name) || /^(COM|LPT)[1-4]$/i.test(name)) throw badName(name, 'it is a reserved DOS device name');
}

/** The 8.3 display form of 11 short-name bytes ("README.TXT"), case bits applied. */
export function shortNameText(bytes: Uint8Array, caseBits = 0): string {
  let baseEnd = 8;
  while (baseEnd > 0 && bytes[baseEnd - 1] === SPACE) baseEnd--;
  let extEnd = 11;
  while (extEnd > 8 && bytes[extEnd - 1] === SPACE) extEnd--;
  let base = '';
  for (let i = 0; i < baseEnd; i++) base += cp850ToChar(i === 0 && bytes[0] === E5_ESCAPE ? DELETED : bytes[i]!);
  let ext = '';
  for (let i = 8; i < extEnd; i++) ext += cp850ToChar(bytes[i]!);
  if (caseBits & CASE_LOWER_BASE) base = base.toLowerCase();
  if (caseBits & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

/** mtools dirCache.h DC_BITMAP_SIZE: words per bitmap of its name filter. */
const DC_BITMAP_WORDS = 128;

const rol = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

/** mtools dirCache.c calcHash() over the name's characters (wchar_t = code points), upper-cased. */
function calcHash(name: string): number {
  let hash = 0;
  let i = 0;
  for (let at = 0; at < name.length; at++) {
    hash = rol(hash, 5);
    const cp = name.codePointAt(at)!;
    if (cp > 0xffff) at++;
    const c = upperCodePoint(cp);
    hash = (hash ^ Math.imul(c, c + 2) ^ Math.imul(i, i + 2)) >>> 0;
    i++;
  }
  hash = Math.imul(hash, hash + 2) >>> 0;
  hash = (hash ^ ((hash & 0xfff) << 12)) >>> 0;
  hash = (hash ^ ((hash & 0xff000) << 24)) >>> 0;
  return hash;
}

/**
 * mtools' per-directory name filter (three 4096-bit bitmaps of every entry's long and short name).
 * When a candidate short name of a long-named file hits it, mtools assumes a clash and bumps the tail
 * without checking ("pessimistic short rename"), so tails can skip numbers; this reproduces that.
 */
class NameFilter {
  private readonly maps = [new Uint32Array(DC_BITMAP_WORDS), new Uint32Array(DC_BITMAP_WORDS), new Uint32Array(DC_BITMAP_WORDS)];
  count = 0;

  /** Map k's hash: the name's hash rotated by 0, 12, 24 bits. */
  private static hashFor(hash: number, k: number): number {
    return k === 0 ? hash : rol(hash, 12 * k);
  }

  add(name: string): void {
    const hash = calcHash(name);
    for (let k = 0; k < 3; k++) {
      const h = NameFilter.hashFor(hash, k);
      this.maps[k]![Math.floor(h / 32) % DC_BITMAP_WORDS]! |= 1 << (h % 32);
    }
  }

  has(name: string): boolean {
    const hash = calcHash(name);
    for (let k = 0; k < 3; k++) {
      const h = NameFilter.hashFor(hash, k);
      if ((this.maps[k]![Math.floor(h / 32) % DC_BITMAP_WORDS]! & (1 << (h % 32))) === 0) return false;
    }
    return true;
  }
}

/**
 * Gives the entries of one directory their short names, in order, as one `mcopy` process copying
 * them in that order does (mcopy -s, or mcopy with many arguments: NixOS's sdImage does that).
 */
export class ShortNameAllocator {
  private readonly shorts = new Set<string>();
  /** Lower-cased long names and short display names already present (mtools' "long match"). */
  private readonly names = new Set<string>();
  private readonly filter = new NameFilter();
  /**
   * For a short name already taken: the first candidate after it (by tail bumps) that was not taken
   * when last looked at. A taken name is always bumped when a long name is stored (by the filter or
   * the taken check), so the candidates in between need no second look: without this, names with a
   * common prefix (file-1000.bin, file-1001.bin, …) would retry every tail before theirs.
   */
  private readonly nextUntaken = new Map<string, Uint8Array>();

  /** Record an entry of the directory (also "." and "..", and the volume label in the root). */
  reserve(bytes: Uint8Array, longName?: string): void {
    this.shorts.add(byteKey(bytes));
    const text = shortNameText(bytes);
    this.names.add(text.toLowerCase());
    if (longName) this.names.add(longName.toLowerCase());
    this.filter.add(longName ?? '');
    this.filter.add(text);
    this.filter.count++;
  }

  allocate(longName: string): ShortName {
    validateLongName(longName);
    const lower = longName.toLowerCase();
    if (this.names.has(lower)) {
      throw badName(longName, 'another entry in the same directory has this name (FAT names ignore case)');
    }
    const first = dosName(longName);
    const bytes = first.bytes;
    let needsLong = (first.mangled & NEEDS_LONG) !== 0;
    const longHashed = this.filter.count > 0 && this.filter.has(longName);
    const takenRun: string[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw badName(longName, 'no free short name');
      if (needsLong) {
        const key = byteKey(bytes);
        if (this.shorts.has(key)) {
          takenRun.push(key);
          const next = this.nextUntaken.get(key);
          if (next) bytes.set(next);
          else autorenameShort(bytes, true);
          continue;
        }
        if (takenRun.length > 0) {
          for (const k of takenRun) this.nextUntaken.set(k, bytes.slice());
          takenRun.length = 0;
        }
      }
      if (isReservedShort(bytes) || containsShortIllegals(bytes)) {
        needsLong = true;
        autorenameShort(bytes, true);
        continue;
      }
      // mtools lookupForInsert(): a filter hit on the short name of a long-named file is taken as a clash.
      if (this.filter.count > 0 && !longHashed && needsLong && this.filter.has(shortNameText(bytes))) {
        autorenameShort(bytes, true);
        continue;
      }
      if (this.shorts.has(byteKey(bytes))) {
        if (!needsLong) throw badName(longName, `its 8.3 name ${shortNameText(bytes)} is already used in the directory`);
        autorenameShort(bytes, true);
        continue;
      }
      break;
    }
    this.reserve(bytes, needsLong ? longName : undefined);
    return { bytes, caseBits: needsLong ? 0 : first.caseBits, needsLongName: needsLong };
  }
}
