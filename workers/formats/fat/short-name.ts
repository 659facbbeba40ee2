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

function isLower(c: string): boolean {
  return /\p{Ll}/u.test(c);
}

function isUpper(c: string): boolean {
  return /\p{Lu}/u.test(c) || /\p{Lt}/u.test(c);
}

/** towupper(): simple one-to-one mapping only (ß stays ß). */
function toUpper(c: string): string {
  const u = c.toUpperCase();
  return [...u].length === 1 ? u : c;
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
    if (SHORT_ILLEGALS.includes(String.fromCharCode(name[p]!))) {
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

function isReservedShort(b: Uint8Array): boolean {
  const base = String.fromCharCode(...b.subarray(0, 8)).toUpperCase();
  if (/^(CON|AUX|PRN|NUL| {3}) {5}$/.test(base)) return true;
  return /^(COM|LPT)[1-4] {4}$/.test(base);
}

function containsShortIllegals(b: Uint8Array): boolean {
  for (const c of b) {
    if ((c < 0x20 && c !== E5_ESCAPE) || SHORT_ILLEGALS.includes(String.fromCharCode(c))) return true;
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
  let base = '';
  for (let i = 0; i < 8; i++) base += cp850ToChar(i === 0 && bytes[0] === E5_ESCAPE ? DELETED : bytes[i]!);
  let ext = '';
  for (let i = 8; i < 11; i++) ext += cp850ToChar(bytes[i]!);
  base = base.replace(/ +$/, '');
  ext = ext.replace(/ +$/, '');
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
  for (const ch of name) {
    hash = rol(hash, 5);
    const c = toUpper(ch).codePointAt(0)!;
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

  private bits(hash: number): [number, number][] {
    return [hash, rol(hash, 12), rol(hash, 24)].map((h) => [Math.floor(h / 32) % DC_BITMAP_WORDS, 1 << (h % 32)]);
  }

  add(name: string): void {
    this.bits(calcHash(name)).forEach(([word, bit], k) => { this.maps[k]![word]! |= bit; });
  }

  has(name: string): boolean {
    return this.bits(calcHash(name)).every(([word, bit], k) => (this.maps[k]![word]! & bit) !== 0);
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

  /** Record an entry of the directory (also "." and "..", and the volume label in the root). */
  reserve(bytes: Uint8Array, longName?: string): void {
    const key = String.fromCharCode(...bytes);
    this.shorts.add(key);
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
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw badName(longName, 'no free short name');
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
      if (this.shorts.has(String.fromCharCode(...bytes))) {
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
