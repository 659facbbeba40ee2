/**
 * Byte sizes and integers as systemd writes them.
 *
 * `parseSize` follows systemd's parse_size() with base 1024 (src/basic/parse-util.c), which is what
 * repart uses for `SizeMinBytes=` and friends: a decimal number, an optional fraction, an optional
 * suffix `K M G T P E` (powers of 1024) or `B`; several components may follow each other with
 * strictly smaller suffixes (`1G 512M`). Results past 2^53 − 1 are refused: they cannot be exact in
 * a JS number and no disk is that large.
 *
 * `parseSystemdUnsigned` follows safe_atou64() and friends: C's strtoull with base 0 (so `0x` hex and
 * a leading `0` for octal) plus `0b`/`0o` prefixes, leading whitespace and `+` allowed, `-` refused.
 */
import { ErrorCode, PartwrightError } from './errors.ts';

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;
export const TIB = 1024 * GIB;
export const PIB = 1024 * TIB;
export const EIB = 1024 * PIB;

/** Suffixes from largest to smallest; `''` (plain bytes) last, as parse_size() tries them. */
const SIZE_SUFFIXES: readonly (readonly [string, bigint])[] = [
  ['E', 1n << 60n],
  ['P', 1n << 50n],
  ['T', 1n << 40n],
  ['G', 1n << 30n],
  ['M', 1n << 20n],
  ['K', 1n << 10n],
  ['B', 1n],
  ['', 1n],
];

const U64_MAX = (1n << 64n) - 1n;
const WHITESPACE = ' \t\n\r';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.includes(text[i] as string)) i++;
  return i;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

export type SizeParseFailure = 'invalid' | 'range';

/** parse_size(…, 1024) without throwing: the byte count, or why it failed. */
export function tryParseSize(text: string): number | SizeParseFailure {
  let total = 0n;
  let start = 0;
  let i = 0;
  do {
    i = skipWhitespace(text, i);
    // strtoull(…, 10): optional sign, then digits.
    let j = i;
    const sign = text[j];
    if (sign === '+' || sign === '-') j++;
    const digitsStart = j;
    while (isDigit(text[j])) j++;
    if (j === digitsStart) return 'invalid';
    if (sign === '-') return 'range';
    const whole = BigInt(text.slice(digitsStart, j));
    if (whole > U64_MAX) return 'range';
    let frac = 0;
    if (text[j] === '.') {
      j++;
      const fracStart = j;
      while (isDigit(text[j])) j++;
      if (j > fracStart) {
        const digits = text.slice(fracStart, j);
        if (BigInt(digits) > U64_MAX) return 'range';
        frac = Number(digits) / 10 ** digits.length;
      }
    }
    j = skipWhitespace(text, j);
    let k = start;
    for (; k < SIZE_SUFFIXES.length; k++) {
      if (text.startsWith((SIZE_SUFFIXES[k] as readonly [string, bigint])[0], j)) break;
    }
    const entry = SIZE_SUFFIXES[k];
    if (!entry) return 'invalid';
    const [suffix, factor] = entry;
    if (whole + (frac > 0 ? 1n : 0n) > U64_MAX / factor) return 'range';
    const part = whole * factor + BigInt(Math.floor(frac * Number(factor)));
    total += part;
    if (total > U64_MAX) return 'range';
    i = j + suffix.length;
    start = k + 1;
  } while (i < text.length);
  if (total > MAX_SAFE) return 'range';
  return Number(total);
}

/** parse_size(…, 1024); throws a PartwrightError (`invalid-spec`) naming the text. */
export function parseSize(text: string): number {
  const r = tryParseSize(text);
  if (typeof r === 'number') return r;
  throw new PartwrightError(
    ErrorCode.InvalidSpec,
    r === 'range' ? `Size value out of range (0…2^53−1 bytes): ${text}` : `Failed to parse size value: ${text}`,
  );
}

const HUMAN_UNITS: readonly (readonly [string, number])[] = [
  ['EiB', EIB],
  ['PiB', PIB],
  ['TiB', TIB],
  ['GiB', GIB],
  ['MiB', MIB],
  ['KiB', KIB],
];

/** For people: `512 B`, `64 MiB`, `7.40 GiB` (two decimals unless exact). */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of HUMAN_UNITS) {
    if (bytes >= factor) {
      const v = bytes / factor;
      return Number.isInteger(v) ? `${v} ${unit}` : `${v.toFixed(2)} ${unit}`;
    }
  }
  return `${bytes} B`;
}

/** For repart.d files: exact, with the largest suffix that divides the value (`1G`, `1536M`, `4097`). */
export function formatSizeForConf(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Not a byte count: ${bytes}`);
  }
  if (bytes === 0) return '0';
  const b = BigInt(bytes);
  for (const [suffix, factor] of SIZE_SUFFIXES) {
    if (suffix === 'B' || suffix === '') break;
    if (b % factor === 0n) return `${b / factor}${suffix}`;
  }
  return String(bytes);
}

/**
 * safe_atou64()-style unsigned integer (base 0: decimal, `0x` hex, leading-`0` octal, `0b`, `0o`),
 * at most `max`. Returns undefined for anything else, including negative numbers.
 */
export function parseSystemdUnsigned(text: string, max: bigint = U64_MAX): bigint | undefined {
  const s = text.slice(skipWhitespace(text, 0));
  let base = 10;
  let body = s;
  let negative = false;
  const pre = /^(0[bB])|^(0[oO])/.exec(s);
  if (pre) {
    base = pre[1] ? 2 : 8;
    body = s.slice(2);
  } else {
    if (body.startsWith('+') || body.startsWith('-')) {
      negative = body.startsWith('-');
      body = body.slice(1);
    }
    if (/^0[xX]/.test(body)) {
      base = 16;
      body = body.slice(2);
    } else if (body.startsWith('0') && body.length > 1) {
      base = 8;
      body = body.slice(1);
    }
  }
  const digitRe = base === 16 ? /^[0-9a-fA-F]+$/ : base === 10 ? /^[0-9]+$/ : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
  if (!digitRe.test(body)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const value = BigInt(prefix + body);
  if (value > U64_MAX) return undefined;
  if (negative && value !== 0n) return undefined;
  if (value > max) return undefined;
  return value;
}

/** safe_atoi32()-style signed integer (same bases as parseSystemdUnsigned). */
export function parseSystemdInt32(text: string): number | undefined {
  const s = text.slice(skipWhitespace(text, 0));
  const negative = s.startsWith('-');
  const magnitude = parseSystemdUnsigned(negative ? `+${s.slice(1)}` : s);
  if (magnitude === undefined) return undefined;
  const v = negative ? -magnitude : magnitude;
  if (v < -(1n << 31n) || v > (1n << 31n) - 1n) return undefined;
  return Number(v);
}
