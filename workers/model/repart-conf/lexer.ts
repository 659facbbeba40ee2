/**
 * The line syntax of systemd's .conf files (src/shared/conf-parser.c config_parse/parse_line),
 * re-implemented: `#`/`;` comment lines (also inside a continuation), a trailing backslash joins the
 * next line (the backslash becomes a space), a UTF-8 BOM at the start is skipped, `[Section]`
 * headers, `Key = value` with whitespace stripped around both sides. Values are not unquoted here;
 * each key's parser decides (as in systemd).
 */
import type { DiagnosticSeverity } from '../diagnostics.ts';

export type ConfItem =
  | { kind: 'section'; name: string; line: number }
  | { kind: 'assign'; key: string; value: string; line: number }
  /** A line that is neither: the reader reports it (what it says depends on the current section). */
  | { kind: 'junk'; reason: 'missing-equals' | 'missing-key'; line: number };

export interface LexProblem {
  line: number;
  severity: DiagnosticSeverity;
  message: string;
}

const WS = ' \t\n\r';
const COMMENT_START = '#;';

function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WS.includes(s[a] as string)) a++;
  while (b > a && WS.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/** Does the text end in an unescaped backslash (an odd run of backslashes)? */
function endsWithContinuation(s: string): boolean {
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    if (escaped) escaped = false;
    else if (s[i] === '\\') escaped = true;
  }
  return escaped;
}

/** Sections, assignments and line-level problems of one file. */
export function lexConf(text: string): { items: ConfItem[]; problems: LexProblem[] } {
  const items: ConfItem[] = [];
  const problems: LexProblem[] = [];
  // read_line() ends a line at \n, \r, \r\n (and NUL, which text input does not carry).
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let continuation: string | undefined;
  let line = 0;

  const parseLine = (raw: string, at: number): void => {
    const l = strip(raw);
    if (l === '') return;
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) {
        problems.push({ line: at, severity: 'error', message: `Invalid section header '${l}'` });
        return;
      }
      const name = l.slice(1, -1);
      if (/[\x00-\x1f\x7f"'\\]/.test(name)) {
        problems.push({ line: at, severity: 'error', message: `Bad characters in section header '${l}'` });
        return;
      }
      items.push({ kind: 'section', name, line: at });
      return;
    }
    const eq = l.indexOf('=');
    if (eq <= 0) {
      items.push({ kind: 'junk', reason: eq < 0 ? 'missing-equals' : 'missing-key', line: at });
      return;
    }
    items.push({ kind: 'assign', key: strip(l.slice(0, eq)), value: strip(l.slice(eq + 1)), line: at });
  };

  for (let i = 0; i < lines.length; i++) {
    let buf = lines[i] as string;
    line++;
    const lead = buf.replace(/^[ \t\n\r]+/, '');
    if (lead !== '' && COMMENT_START.includes(lead[0] as string)) continue;
    if (i === 0 && buf.startsWith('\uFEFF')) buf = buf.slice(1);
    const p = continuation === undefined ? buf : continuation + buf;
    if (endsWithContinuation(p)) {
      continuation = `${p.slice(0, -1)} `;
      continue;
    }
    continuation = undefined;
    parseLine(p, line);
  }
  if (continuation !== undefined) parseLine(continuation, ++line);
  return { items, problems };
}
