/**
 * Layout JSON: an ImageSpec as JSON, for autosave, files and share links. The reader treats its input
 * as hostile (share links are decoded from URLs): size-capped, no prototype keys, every value checked
 * by the field tables (fields.ts) with its JSON path, unknown keys reported, sizes within 0…2^53−1,
 * at most MAX_PARTITIONS partitions. The writer emits keys in a fixed order so equal specs give
 * equal text.
 */
import { diagnosticsError, type Diagnostic } from './diagnostics.ts';
import { ErrorCode } from './errors.ts';
import {
  BLOB_FIELDS,
  IMAGE_FIELDS,
  PARTITION_FIELDS,
  type FieldDef,
} from './fields.ts';
import type { BlobSpec, ImageSpec, PartitionSpec } from './spec.ts';

export const MAX_LAYOUT_JSON_CHARS = 1_000_000;
export const MAX_PARTITIONS = 256;
export const MAX_BLOBS = 64;
const MAX_STRING = 4096;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface LayoutJsonRead {
  /** Undefined when the input has errors. */
  spec: ImageSpec | undefined;
  diagnostics: Diagnostic[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const keyPath = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;

/** Any string anywhere longer than MAX_STRING, or any forbidden key, found before looking at meaning. */
function scan(v: Json, path: string, out: (path: string, message: string) => void, depth = 0): void {
  if (depth > 16) {
    out(path, 'nested too deeply');
    return;
  }
  if (typeof v === 'string') {
    if (v.length > MAX_STRING) out(path, `string too long (${v.length} > ${MAX_STRING} characters)`);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => scan(x, keyPath(path, i), out, depth + 1));
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) out(keyPath(path, k), `key "${k}" is not allowed`);
      else scan(v[k] as Json, keyPath(path, k), out, depth + 1);
    }
  }
}

/**
 * The 1-based line where each value of a JSON document starts, by the same paths the reader reports
 * (`partitions[2].sizeMinBytes`; the root is ''). Only for text JSON.parse accepted; a linear scan
 * that tracks strings, nesting and keys, no second parse.
 */
export function jsonValueLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  // One frame per open container: its path, and for an object the key being read / for an array the next index.
  const stack: { path: string; array: boolean; key: string | undefined; index: number }[] = [];
  let line = 1;
  let expectKey = false;
  const valueStarts = (): void => {
    const top = stack[stack.length - 1];
    if (!top) lines.set('', lines.get('') ?? line);
    else if (top.array) lines.set(keyPath(top.path, top.index), line);
    else if (top.key !== undefined) lines.set(keyPath(top.path, top.key), line);
  };
  const pathOfNew = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.array ? keyPath(top.path, top.index) : keyPath(top.path, top.key ?? '');
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0x22 /* " */) {
      let j = i + 1;
      let raw = '';
      for (; j < text.length && text.charCodeAt(j) !== 0x22; j++) if (text.charCodeAt(j) === 0x5c /* \ */) j++;
      raw = text.slice(i, j + 1);
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        try {
          top.key = JSON.parse(raw) as string;
        } catch {
          top.key = raw;
        }
        expectKey = false;
      } else valueStarts();
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      valueStarts();
      stack.push({ path: pathOfNew(), array: c === 0x5b, key: undefined, index: 0 });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.index++;
      else expectKey = true;
    } else if (c === 0x3a /* : */ || c === 0x20 || c === 0x09 || c === 0x0d) {
      // separators and white space
    } else {
      // a number, true, false or null: record where it starts, skip the rest of the token
      valueStarts();
      while (i + 1 < text.length && !/[,\]}\s]/.test(text[i + 1]!)) i++;
    }
  }
  return lines;
}

/** The line of `path`, or of its nearest enclosing value; 0 when the text is one line (a share link). */
function lineOf(lines: Map<string, number> | undefined, path: string): number {
  if (!lines) return 0;
  for (let p = path; ; ) {
    const at = lines.get(p);
    if (at !== undefined) return at;
    if (p === '') return 0;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut < 0 ? '' : p.slice(0, cut);
  }
}

/** Read layout JSON, collecting diagnostics at their line (file name only labels the messages). */
export function readLayoutJson(text: string, file = 'layout.json'): LayoutJsonRead {
  const diagnostics: Diagnostic[] = [];
  // Lines are worked out only once there is something to report, and only for multi-line text.
  let lines: Map<string, number> | undefined;
  let parsed = false;
  const at = (path: string): number => {
    if (!parsed || !text.includes('\n')) return 0;
    lines ??= jsonValueLines(text);
    return lineOf(lines, path);
  };
  const error = (path: string, message: string): void => {
    diagnostics.push({ file, line: at(path), severity: 'error', message, path });
  };
  const warn = (path: string, message: string): void => {
    diagnostics.push({ file, line: at(path), severity: 'warning', message, path });
  };
  if (text.length > MAX_LAYOUT_JSON_CHARS) {
    error('', `layout is too large (${text.length} > ${MAX_LAYOUT_JSON_CHARS} characters)`);
    return { spec: undefined, diagnostics };
  }
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (e) {
    // V8 says where: "… at position N" (Node 20) or "… (line L column C)" (newer engines).
    const message = (e as Error).message;
    const pos = /at position (\d+)/.exec(message);
    const lc = /\(line (\d+) column \d+\)/.exec(message);
    const line = lc ? Number(lc[1]) : pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    diagnostics.push({ file, line: text.includes('\n') ? line : 0, severity: 'error', message: `not valid JSON: ${message}`, path: '' });
    return { spec: undefined, diagnostics };
  }
  parsed = true;
  scan(root, '', error);
  if (diagnostics.length) return { spec: undefined, diagnostics };
  if (!isObject(root)) {
    error('', 'must be a JSON object');
    return { spec: undefined, diagnostics };
  }

  /** Copy the fields of `src` that `fields` know into `dst`; report the rest. */
  const readFields = <T>(
    src: JsonObject,
    dst: T,
    fields: readonly FieldDef<T, unknown>[],
    base: string,
    extraKeys: readonly string[],
  ): void => {
    const byId = new Map(fields.map((f) => [f.id, f]));
    for (const [k, v] of Object.entries(src)) {
      const f = byId.get(k);
      if (!f) {
        if (!extraKeys.includes(k)) warn(keyPath(base, k), `unknown key "${k}", ignored`);
        continue;
      }
      const problem = f.check(v);
      if (problem) error(keyPath(base, k), problem.startsWith('[') ? `${problem}` : problem);
      else f.set(dst, structuredCopy(v));
    }
  };

  const spec: ImageSpec = { table: 'gpt', partitions: [] };
  // Image fields: top-level ones and the gpt/mbr/base/cloudInit groups.
  const diskFields = IMAGE_FIELDS;
  const groups = new Map<string, FieldDef<ImageSpec, unknown>[]>();
  const topFields: FieldDef<ImageSpec, unknown>[] = [];
  for (const f of diskFields) {
    const dot = f.id.indexOf('.');
    if (dot < 0) topFields.push(f);
    else {
      const g = f.id.slice(0, dot);
      groups.set(g, [...(groups.get(g) ?? []), f]);
    }
  }
  readFields(root, spec, topFields, '', ['partitions', 'blobs', ...groups.keys()]);
  for (const [g, fields] of groups) {
    const v = root[g];
    if (v === undefined) continue;
    if (!isObject(v)) {
      error(g, 'must be an object');
      continue;
    }
    // Group fields are addressed by dotted id; read them one by one.
    for (const [k, item] of Object.entries(v)) {
      const f = fields.find((x) => x.id === `${g}.${k}`);
      if (!f) {
        warn(keyPath(g, k), `unknown key "${k}", ignored`);
        continue;
      }
      const problem = f.check(item);
      if (problem) error(keyPath(g, k), problem);
      else f.set(spec, structuredCopy(item));
    }
  }
  if (spec.base && spec.base.source === undefined) error('base.source', 'is required when base is given');

  const partitions = root.partitions;
  if (partitions === undefined) error('partitions', 'is required (an array, may be empty)');
  else if (!Array.isArray(partitions)) error('partitions', 'must be an array');
  else if (partitions.length > MAX_PARTITIONS) error('partitions', `too many partitions (${partitions.length} > ${MAX_PARTITIONS})`);
  else {
    partitions.forEach((p, i) => {
      const base = `partitions[${i}]`;
      if (!isObject(p)) {
        error(base, 'must be an object');
        return;
      }
      const out = {} as PartitionSpec;
      readFields(p, out, PARTITION_FIELDS as readonly FieldDef<PartitionSpec, unknown>[], base, ['sourceName']);
      if (p.sourceName !== undefined) {
        if (typeof p.sourceName !== 'string' || !/^[^/\\\x00-\x1f]{1,255}$/.test(p.sourceName)) {
          error(`${base}.sourceName`, 'must be a file name');
        } else out.sourceName = p.sourceName;
      }
      if (p.type === undefined) error(`${base}.type`, 'is required');
      spec.partitions.push(out);
    });
  }

  const blobs = root.blobs;
  if (blobs !== undefined) {
    if (!Array.isArray(blobs)) error('blobs', 'must be an array');
    else if (blobs.length > MAX_BLOBS) error('blobs', `too many blobs (${blobs.length} > ${MAX_BLOBS})`);
    else {
      spec.blobs = blobs.map((b, i) => {
        const base = `blobs[${i}]`;
        const out = {} as BlobSpec;
        if (!isObject(b)) {
          error(base, 'must be an object');
          return out;
        }
        readFields(b, out, BLOB_FIELDS as readonly FieldDef<BlobSpec, unknown>[], base, []);
        for (const f of BLOB_FIELDS) if (f.required && b[f.id] === undefined) error(`${base}.${f.id}`, 'is required');
        return out;
      });
    }
  }

  const failed = diagnostics.some((d) => d.severity === 'error');
  return { spec: failed ? undefined : spec, diagnostics };
}

function structuredCopy<V>(v: V): V {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as V);
}

/** Read layout JSON or throw an `invalid-spec` PartwrightError listing the problems. */
export function parseLayoutJson(text: string, file = 'layout.json'): ImageSpec {
  const r = readLayoutJson(text, file);
  const err = diagnosticsError(r.diagnostics, ErrorCode.InvalidSpec);
  if (err || !r.spec) throw err ?? new Error('unreachable');
  return r.spec;
}

/** Known keys of `obj` in table order. */
function ordered<T>(obj: T, fields: readonly FieldDef<T, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = f.get(obj);
    if (v !== undefined) out[f.id] = v;
  }
  return out;
}

/** JSON text with a fixed key order (table order), two-space indent, trailing newline. */
export function stringifyLayoutJson(spec: ImageSpec): string {
  const out: Record<string, unknown> = {};
  for (const f of IMAGE_FIELDS) {
    const v = f.get(spec);
    if (v === undefined) continue;
    const dot = f.id.indexOf('.');
    if (dot < 0) out[f.id] = v;
    else ((out[f.id.slice(0, dot)] ??= {}) as Record<string, unknown>)[f.id.slice(dot + 1)] = v;
  }
  if (out.table === undefined) out.table = spec.table;
  out.partitions = spec.partitions.map((p) => {
    const o = ordered(p, PARTITION_FIELDS as readonly FieldDef<PartitionSpec, unknown>[]);
    if (Array.isArray(o.copyFiles)) o.copyFiles = (o.copyFiles as PartitionSpec['copyFiles'] & object).map((e) => ({ source: e.source, target: e.target }));
    if (p.sourceName !== undefined) o.sourceName = p.sourceName;
    return o;
  });
  if (spec.blobs) out.blobs = spec.blobs.map((b) => ordered(b, BLOB_FIELDS as readonly FieldDef<BlobSpec, unknown>[]));
  return `${JSON.stringify(out, null, 2)}\n`;
}
