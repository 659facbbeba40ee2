/**
 * The value syntaxes repart's parsers use (systemd src/basic/extract-word.c, escape.c, path-util.c,
 * src/shared/specifier.c), re-implemented for the keys Partwright reads and writes.
 */

/**
 * The specifiers repart expands in Label=, CopyFiles=, CopyBlocks=, MakeDirectories= … (its
 * system_and_tmp_specifier_table, systemd.unit(5) and repart.d(5)), with what each means. repart
 * takes them from the machine (or --root=) it runs on; Partwright takes them from a SpecifierValues
 * (an os-release file and options) and from the building machine only when asked.
 */
export const SPECIFIERS: Readonly<Record<string, string>> = {
  a: 'architecture',
  A: 'operating system image version (IMAGE_VERSION=)',
  b: 'boot ID',
  B: 'operating system build ID (BUILD_ID=)',
  H: 'host name',
  l: 'short host name',
  q: 'pretty host name',
  m: 'machine ID',
  M: 'operating system image identifier (IMAGE_ID=)',
  o: 'operating system ID (ID=)',
  v: 'kernel release',
  w: 'operating system version ID (VERSION_ID=)',
  W: 'operating system variant ID (VARIANT_ID=)',
  T: 'directory for temporary files (/tmp)',
  V: 'directory for larger, persistent temporary files (/var/tmp)',
};

/** Specifier letter → its value; a letter without a value is an error where it is used. */
export type SpecifierValues = Readonly<Record<string, string>>;

/** os-release fields behind the os-release specifiers (os_release_specifier() in specifier.c). */
export const OS_RELEASE_SPECIFIERS: Readonly<Record<string, string>> = {
  A: 'IMAGE_VERSION', B: 'BUILD_ID', M: 'IMAGE_ID', o: 'ID', w: 'VERSION_ID', W: 'VARIANT_ID',
};

/**
 * An os-release file's assignments (os-release(5): KEY=VALUE, values optionally in single or double
 * quotes with backslash escapes; `#` comments). Unparseable lines are skipped, as systemd does.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2] as string;
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([\\"$`])/g, '$1');
    }
    out[m[1] as string] = v;
  }
  return out;
}

/** SpecifierValues from os-release fields, plus the fixed %T and %V. */
export function specifierValuesFromOsRelease(osRelease: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = { T: '/tmp', V: '/var/tmp' };
  for (const [letter, key] of Object.entries(OS_RELEASE_SPECIFIERS)) {
    const v = osRelease[key];
    if (v !== undefined) values[letter] = v;
  }
  return values;
}

export interface Expanded {
  value: string;
  /** Specifiers that were kept literally because no values were given (`%H`, …). */
  hostSpecifiers: string[];
}

/**
 * specifier_printf(): `%%` becomes `%`; a known specifier becomes its value. Without `values` (the
 * forms) known specifiers are kept literally and listed, so the caller can warn; with `values`, a
 * known specifier that has no value and any unknown `%x` is an error, as in repart.
 */
export function expandSpecifiers(text: string, values?: SpecifierValues): Expanded | { error: string } {
  let out = '';
  const host: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (n === undefined) {
      out += '%';
      break;
    }
    i++;
    if (n === '%') out += '%';
    else if (SPECIFIERS[n] !== undefined) {
      if (values === undefined) {
        out += `%${n}`;
        host.push(`%${n}`);
        continue;
      }
      const v = values[n];
      if (v === undefined) {
        const key = OS_RELEASE_SPECIFIERS[n];
        const how = key ? `an os-release file with ${key}= (--os-release FILE)` : '--host-specifiers to take it from the building machine';
        return { error: `specifier %${n} (${SPECIFIERS[n]}) has no value: give ${how}` };
      }
      out += v;
    } else return { error: `unknown specifier %${n}` };
  }
  return { value: out, hostSpecifiers: host };
}

/** The inverse of expandSpecifiers for literal text: every `%` doubled. */
export function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/**
 * path_simplify() followed by the absolute/normalized checks of path_simplify_and_warn(): duplicate
 * slashes, `.` components and a trailing slash go away; `..` components and relative paths are refused.
 */
export function simplifyAbsolutePath(path: string): { path: string } | { error: string } {
  if (!path.startsWith('/')) return { error: 'path is not absolute' };
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { error: 'path is not normalized' };
  const simplified = `/${parts.join('/')}`;
  if (simplified.length >= 4096) return { error: `path has invalid length (${simplified.length} bytes)` };
  return { path: simplified };
}

/** True when `path` is already in the form simplifyAbsolutePath() returns. */
export function isSimplifiedAbsolutePath(path: string): boolean {
  const r = simplifyAbsolutePath(path);
  return 'path' in r && r.path === path;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ',
};

/**
 * Split at unescaped `separator`, C-unescaping each piece (extract_first_word with
 * EXTRACT_CUNESCAPE | EXTRACT_DONT_COALESCE_SEPARATORS, as CopyFiles= uses it).
 */
export function splitCUnescaped(text: string, separator: string): string[] | { error: string } {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === separator) {
      parts.push(cur);
      cur = '';
      continue;
    }
    if (c !== '\\') {
      cur += c;
      continue;
    }
    const n = text[i + 1];
    if (n === undefined) return { error: 'trailing backslash' };
    i++;
    const simple = SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      cur += simple;
      continue;
    }
    let m: RegExpExecArray | null;
    if (n === 'x' && (m = /^[0-9a-fA-F]{2}/.exec(text.slice(i + 1)))) {
      const code = parseInt(m[0], 16);
      if (code === 0) return { error: 'escaped NUL' };
      cur += String.fromCharCode(code);
      i += 2;
    } else if (n === 'u' && (m = /^[0-9a-fA-F]{4}/.exec(text.slice(i + 1)))) {
      cur += String.fromCodePoint(parseInt(m[0], 16));
      i += 4;
    } else if (n === 'U' && (m = /^[0-9a-fA-F]{8}/.exec(text.slice(i + 1)))) {
      const cp = parseInt(m[0], 16);
      if (cp > 0x10ffff) return { error: 'invalid escape' };
      cur += String.fromCodePoint(cp);
      i += 8;
    } else if (/^[0-7]{3}/.test(text.slice(i))) {
      const code = parseInt(text.slice(i, i + 3), 8);
      if (code === 0 || code > 255) return { error: 'invalid escape' };
      cur += String.fromCharCode(code);
      i += 2;
    } else return { error: `invalid escape \\${n}` };
  }
  parts.push(cur);
  return parts;
}

/** C-escape a path for CopyFiles=: backslash and the `:` separator, plus control characters. */
export function cEscapeForColonList(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === ':') out += '\\x3a';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Whitespace-separated words with shell-like quoting (extract_first_word with EXTRACT_UNQUOTE, as
 * MakeDirectories= uses it): `"…"` and `'…'` group, a backslash takes the next character literally.
 */
export function splitQuotedWords(text: string): string[] | { error: string } {
  const words: string[] = [];
  let i = 0;
  const ws = ' \t\n\r';
  while (true) {
    while (i < text.length && ws.includes(text[i] as string)) i++;
    if (i >= text.length) return words;
    let word = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i] as string;
      if (quote) {
        if (c === quote) quote = undefined;
        else if (c === '\\' && quote === '"') {
          const n = text[i + 1];
          if (n === undefined) return { error: 'unterminated quote' };
          word += n;
          i++;
        } else word += c;
        continue;
      }
      if (ws.includes(c)) break;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\') {
        const n = text[i + 1];
        if (n === undefined) return { error: 'trailing backslash' };
        word += n;
        i++;
      } else word += c;
    }
    if (quote) return { error: 'unterminated quote' };
    words.push(word);
  }
}

/** One word for a whitespace-separated list: bare when safe, else double-quoted with escapes. */
export function quoteWord(word: string): string {
  if (word !== '' && /^[^\s"'\\]+$/.test(word)) return word;
  return `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** string_is_safe(): no control characters, quotes or backslashes. */
export function isSafeString(text: string): boolean {
  return !/[\x00-\x1f\x7f"'\\]/.test(text);
}
