/**
 * The one table of fields. Every setting a layout can hold is described once here: its place in the
 * spec, its place in a repart.d file, how its text is parsed and written, its default, its range and
 * a line of help. The `.conf` importer/exporter (repart-conf.ts), the JSON validator (layout-json.ts)
 * and the web app's forms all walk these tables; nothing else lists fields.
 *
 * Parsing follows systemd-repart 252's own table (src/partition/repart.c, partition_read_definition)
 * and the severities it uses: `severity: 'error'` where repart refuses the file, `'warning'` where it
 * logs and ignores the assignment. Partwright's own keys live in `X-` sections, which repart skips.
 */
import type { DiagnosticSeverity } from './diagnostics.ts';
import { ErrorCode, PartwrightError } from './errors.ts';
import { ARCHITECTURES, normalizeGuid, resolvePartitionType, type Architecture } from './partition-types.ts';
import type {
  BlobSpec,
  CopyFilesEntry,
  EmptyMode,
  ImageSpec,
  MinimizeMode,
  MountPointEntry,
  SymlinkEntry,
  PartitionSpec,
  RepartVersion,
  SectorSize,
  TableType,
} from './spec.ts';
import { EMPTY_MODES } from './spec.ts';
import { FILE_SYSTEMS, ISO_FORMAT } from './registry.ts';
import { checkCloudInitValue, checkSshKey, type CloudInitSpec } from './cloud-init.ts';
import { PRESETS, presetByName } from './presets/index.ts';
import { formatSizeForConf, parseSystemdInt32, parseSystemdUnsigned, tryParseSize } from './units.ts';
import {
  cEscapeForColonList,
  escapeSpecifiers,
  expandSpecifiers,
  isSafeString,
  isSimplifiedAbsolutePath,
  quoteWord,
  simplifyAbsolutePath,
  type SpecifierValues,
  splitCUnescaped,
  splitQuotedWords,
} from './repart-conf/values.ts';

// ---------------------------------------------------------------------------------------------
// Shapes

/** The repart.d sections Partwright reads. Anything else starting with `X-` is ignored, as by repart. */
export type ConfSection = 'Partition' | 'X-Partwright' | 'X-Partwright-Disk' | 'X-Partwright-Blob' | 'X-Partwright-CloudInit';

/** What kind of value a field holds: picks the form control and the JSON type. */
export type FieldKind =
  | 'partition-type' // Type=: identifier or GUID
  | 'label' // GPT label, ≤ 36 UTF-16 units
  | 'uuid' // a UUID (or repart's `null`)
  | 'integer'
  | 'size' // bytes; `512M`, `1.5G` in .conf files
  | 'size-or-auto'
  | 'boolean'
  | 'enum'
  | 'string'
  | 'filesystem' // Format=
  | 'path' // an absolute path
  | 'path-or-auto' // CopyBlocks=
  | 'copy-files' // list of SOURCE[:TARGET]
  | 'path-list' // whitespace-separated absolute paths, repeatable
  | 'exclude-list' // absolute paths, one per assignment; a trailing '/' is kept (ExcludeFiles=)
  | 'symlink-list' // PATH:TARGET pairs, whitespace-separated (MakeSymlinks=)
  | 'mount-points' // WHERE[:OPTIONS] (MountPoint=)
  | 'gpt-flags' // 64-bit attribute field
  | 'byte' // MBR type byte
  | 'hex32' // 32-bit identifier written as 0x…
  | 'secret' // a single line shown masked (the Wi-Fi password)
  | 'type-list' // comma-separated partition types (DeferPartitions=, as repart's --defer-partitions=)
  | 'file-list' // whitespace-separated, quotable file paths (CopyFrom=)
  | 'string-list'; // repeatable single-line values, one per assignment (SSHAuthorizedKeys=)

/** What parsing a .conf needs besides the text: specifier values (repart-conf/values.ts). */
export interface ParseEnv {
  /**
   * Values for %a, %A, %H, … When given, a specifier without a value is an error (file:line); when
   * absent (forms), specifiers are kept as written with a warning.
   */
  specifiers?: SpecifierValues;
}

/** The outcome of parsing one `Key=value` assignment. */
export type ParseOutcome<V> =
  /** Set the value (for list fields: append these items). `notes` are warnings to report. */
  | { kind: 'set'; value: V; notes?: string[] }
  /** Empty assignment: back to the default (for list fields: clear the list). */
  | { kind: 'reset' }
  /** Refused: `error` makes the file invalid (repart refuses it), `warning` drops the assignment. */
  | { kind: 'invalid'; severity: DiagnosticSeverity; message: string };

export interface FieldDef<T, V> {
  /** Where the value lives in the spec: a key (`sizeMinBytes`) or a dotted path (`gpt.entriesLba`). */
  readonly id: string;
  readonly section: ConfSection;
  /** The key in the section (`SizeMinBytes`). */
  readonly confKey: string;
  readonly kind: FieldKind;
  /** Short name for a form label. */
  readonly title: string;
  /** One line of help. */
  readonly help: string;
  /** Repeatable key: each assignment appends, an empty assignment clears. */
  readonly list: boolean;
  /** Closed set of accepted values (canonical spellings), for enums. */
  readonly choices?: readonly string[];
  /** Inclusive numeric range, for integers and sizes. */
  readonly min?: number;
  readonly max?: number;
  /** What happens when the field is not set, in words. */
  readonly defaultText: string;
  /** The default value when it is a plain value. */
  readonly defaultValue?: V;
  /** First systemd-repart version that reads this key (repart keys only). */
  readonly sinceRepart?: number;
  get(target: T): V | undefined;
  set(target: T, value: V | undefined): void;
  /** Parse the text after `=` (already stripped of surrounding whitespace); `env` carries specifier values. */
  parse(raw: string, env?: ParseEnv): ParseOutcome<V>;
  /** The values of the `Key=` lines that write `value` (several for list fields). */
  format(value: V): string[];
  /** Validate a value from JSON or a form: undefined when fine, else what is wrong. */
  check(value: unknown): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Value kinds (parse / format / check triples)

type Kind<V> = Pick<FieldDef<unknown, V>, 'kind' | 'parse' | 'format' | 'check'> &
  Partial<Pick<FieldDef<unknown, V>, 'choices' | 'min' | 'max'>>;

const MAX_TEXT = 4096;
const MAX_LIST = 1024;
const ignoring = (msg: string, raw: string): ParseOutcome<never> => ({
  kind: 'invalid',
  severity: 'warning',
  message: `${msg}, ignoring: ${raw}`,
});
const refusing = (message: string): ParseOutcome<never> => ({ kind: 'invalid', severity: 'error', message });

function isSafeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function sizeKind(confKey: string, severity: DiagnosticSeverity): Kind<number> {
  return {
    kind: 'size',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    parse(raw) {
      const r = tryParseSize(raw);
      if (typeof r === 'number') return { kind: 'set', value: r };
      const what = r === 'range' ? 'Size value out of range' : 'Failed to parse size value';
      return severity === 'error' ? refusing(`${what}: ${raw}`) : ignoring(`${what} for ${confKey}=`, raw);
    },
    format: (v) => [formatSizeForConf(v)],
    check: (v) => (isSafeInt(v) && v >= 0 ? undefined : 'must be a whole number of bytes (0…2^53−1)'),
  };
}

function integerKind(confKey: string, min: number, max: number, severity: DiagnosticSeverity): Kind<number> {
  return {
    kind: 'integer',
    min,
    max,
    parse(raw) {
      const v = min < 0 ? parseSystemdInt32(raw) : parseSystemdUnsigned(raw);
      const n = v === undefined ? undefined : Number(v);
      if (n === undefined || n < min || n > max) {
        const msg = n === undefined ? `Failed to parse ${confKey}= value` : `${confKey}= needs to be in range ${min}…${max}`;
        return severity === 'error' ? refusing(`${msg}: ${raw}`) : ignoring(msg, raw);
      }
      return { kind: 'set', value: n };
    },
    format: (v) => [String(v)],
    check: (v) => (isSafeInt(v) && v >= min && v <= max ? undefined : `must be an integer ${min}…${max}`),
  };
}

const BOOL_TRUE = ['1', 'yes', 'y', 'true', 't', 'on'];
const BOOL_FALSE = ['0', 'no', 'n', 'false', 'f', 'off'];

/** parse_boolean(): case-insensitive yes/no/1/0/true/false/on/off/y/n/t/f. */
export function parseBoolean(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (BOOL_TRUE.includes(v)) return true;
  if (BOOL_FALSE.includes(v)) return false;
  return undefined;
}

/**
 * A boolean. `tristate` keys (ReadOnly=, NoAuto=, GrowFileSystem=) reset on an empty assignment;
 * plain ones (FactoryReset=) warn, as config_parse_bool() does.
 */
function booleanKind(confKey: string, tristate: boolean, severity: DiagnosticSeverity = 'warning'): Kind<boolean> {
  return {
    kind: 'boolean',
    parse(raw) {
      if (raw === '' && tristate) return { kind: 'reset' };
      const b = parseBoolean(raw);
      if (b !== undefined) return { kind: 'set', value: b };
      const msg = `Failed to parse boolean value for ${confKey}=`;
      return severity === 'error' ? refusing(`${msg}: ${raw}`) : ignoring(msg, raw);
    },
    format: (v) => [v ? 'yes' : 'no'],
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  };
}

/** An enum whose canonical names are `choices`; `booleans` maps yes/no spellings (repart's _WITH_BOOLEAN tables). */
function enumKind<E extends string>(
  choices: readonly E[],
  what: string,
  booleans?: { yes: E; no: E },
  severity: DiagnosticSeverity = 'warning',
): Kind<E> {
  return {
    kind: 'enum',
    choices,
    parse(raw) {
      if (raw === '') return { kind: 'reset' };
      const hit = choices.find((c) => c === raw);
      if (hit) return { kind: 'set', value: hit };
      if (booleans) {
        const b = parseBoolean(raw);
        if (b !== undefined) return { kind: 'set', value: b ? booleans.yes : booleans.no };
      }
      return severity === 'error' ? refusing(`Invalid ${what}: ${raw}`) : ignoring(`Invalid ${what}`, raw);
    },
    format: (v) => [v],
    check: (v) => (typeof v === 'string' && (choices as readonly string[]).includes(v) ? undefined : `must be one of ${choices.join(', ')}`),
  };
}

/** A single-line text value that survives a repart.d round trip. */
function checkConfText(v: unknown, maxLength = MAX_TEXT): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length > maxLength) return `must be at most ${maxLength} characters`;
  if (/[\x00-\x1f\x7f]/.test(v)) return 'must not contain control characters or line breaks';
  if (v !== v.trim()) return 'must not start or end with whitespace';
  if (/\\$/.test(v)) return 'must not end with a backslash';
  return undefined;
}

function stringKind(maxLength = MAX_TEXT): Kind<string> {
  return {
    kind: 'string',
    parse: (raw) => (raw === '' ? { kind: 'reset' } : { kind: 'set', value: raw }),
    format: (v) => [v],
    check: (v) => (v === '' ? 'must not be empty' : checkConfText(v, maxLength)),
  };
}

function specifierNotes(confKey: string, hostSpecifiers: string[]): string[] | undefined {
  if (hostSpecifiers.length === 0) return undefined;
  return [
    `Specifier ${hostSpecifiers.join(', ')} in ${confKey}= depends on the machine repart runs on; Partwright keeps it as literal text`,
  ];
}

/** One absolute path with specifiers (CopyBlocks=, MakeDirectories= words, CopyFiles= halves). */
function parsePath(confKey: string, raw: string, env?: ParseEnv): { path: string; notes?: string[] } | { warning: string } | { error: string } {
  const e = expandSpecifiers(raw, env?.specifiers);
  if ('error' in e) {
    return env?.specifiers ? { error: `Failed to expand specifiers in ${confKey}= (${e.error}): ${raw}` } : { warning: `Failed to expand specifiers in ${confKey}= (${e.error}), ignoring: ${raw}` };
  }
  const s = simplifyAbsolutePath(e.value);
  if ('error' in s) return { warning: `${confKey}= ${s.error}, ignoring: ${e.value}` };
  const notes = specifierNotes(confKey, e.hostSpecifiers);
  return notes ? { path: s.path, notes } : { path: s.path };
}

function checkPath(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length > MAX_TEXT) return `must be at most ${MAX_TEXT} characters`;
  if (/[\x00-\x1f\x7f]/.test(v)) return 'must not contain control characters';
  if (!isSimplifiedAbsolutePath(v)) return 'must be an absolute path without "..", "//" or a trailing "/"';
  return undefined;
}

function checkList(v: unknown, item: (x: unknown) => string | undefined): string | undefined {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > MAX_LIST) return `must have at most ${MAX_LIST} entries`;
  for (let i = 0; i < v.length; i++) {
    const m = item(v[i]);
    if (m) return `[${i}]: ${m}`;
  }
  return undefined;
}

/** Whitespace-separated, quotable, repeatable absolute paths (MakeDirectories=, StorePaths=). */
function pathListKind(confKey: string, severity: DiagnosticSeverity): Kind<string[]> {
  return {
    kind: 'path-list',
    parse(raw, env) {
      if (raw === '') return { kind: 'reset' };
      const words = splitQuotedWords(raw);
      if ('error' in words) {
        return severity === 'error' ? refusing(`Invalid syntax in ${confKey}=: ${raw}`) : ignoring('Invalid syntax', raw);
      }
      const value: string[] = [];
      const notes: string[] = [];
      for (const w of words) {
        const p = parsePath(confKey, w, env);
        if ('error' in p) return refusing(p.error);
        if ('warning' in p) {
          if (severity === 'error') return refusing(p.warning.replace(', ignoring', ''));
          notes.push(p.warning);
          continue;
        }
        value.push(p.path);
        if (p.notes) notes.push(...p.notes);
      }
      return notes.length ? { kind: 'set', value, notes } : { kind: 'set', value };
    },
    format: (v) => (v.length === 0 ? [] : [v.map((p) => quoteWord(escapeSpecifiers(p))).join(' ')]),
    check: (v) => checkList(v, checkPath),
  };
}

/**
 * ExcludeFiles= / ExcludeFilesTarget= (config_parse_exclude_files): whitespace-separated, quotable
 * absolute paths, specifiers expanded; a trailing `/` is meaningful (the directory's contents only)
 * and is kept (PATH_KEEP_TRAILING_SLASH); an empty assignment clears the list.
 */
function excludeListKind(confKey: string): Kind<string[]> {
  return {
    kind: 'exclude-list',
    parse(raw, env) {
      if (raw === '') return { kind: 'reset' };
      const words = splitQuotedWords(raw);
      if ('error' in words) return ignoring('Invalid syntax', raw);
      const value: string[] = [];
      const notes: string[] = [];
      for (const w of words) {
        const slash = w.length > 1 && w.endsWith('/');
        const p = parsePath(confKey, slash ? w.replace(/\/+$/, '') : w, env);
        if ('error' in p) return refusing(p.error);
        // repart stops at the first bad word and keeps what it read before it.
        if ('warning' in p) {
          notes.push(p.warning);
          break;
        }
        value.push(slash && p.path !== '/' ? `${p.path}/` : p.path);
        notes.push(...(p.notes ?? []));
      }
      return notes.length ? { kind: 'set', value, notes } : { kind: 'set', value };
    },
    format: (v) => (v.length === 0 ? [] : [v.map((x) => quoteWord(escapeSpecifiers(x))).join(' ')]),
    check: (v) => checkList(v, (x) => (typeof x === 'string' && x.length > 1 && x.endsWith('/') ? checkPath(x.slice(0, -1)) : checkPath(x))),
  };
}

/**
 * MakeSymlinks= (config_parse_make_symlinks): whitespace-separated `PATH:TARGET` words; PATH absolute,
 * specifiers expanded in both; a bad word is skipped with a warning; an empty assignment changes
 * nothing (repart does not clear the list).
 */
const symlinkListKind: Kind<SymlinkEntry[]> = {
  kind: 'symlink-list',
  parse(raw, env) {
    const words = splitQuotedWords(raw);
    if ('error' in words) return ignoring('Invalid syntax', raw);
    const value: SymlinkEntry[] = [];
    const notes: string[] = [];
    for (const w of words) {
      const i = w.indexOf(':');
      const path = i < 0 ? w : w.slice(0, i);
      const rest = i < 0 ? '' : w.slice(i + 1);
      const j = rest.indexOf(':');
      const target = j < 0 ? rest : rest.slice(0, j);
      if (i < 0 || path === '' || target === '') {
        notes.push(`Missing source or target in ${raw}, ignoring`);
        continue;
      }
      const at = parsePath('MakeSymlinks', path, env);
      if ('error' in at) return refusing(at.error);
      if ('warning' in at) {
        notes.push(at.warning);
        continue;
      }
      // The target's specifiers are expanded too (TEST-58-REPART testcase_make_symlinks reads back
      // /bar-ARCH for MakeSymlinks=/dir/foo-%a:/bar-%a).
      const t = expandSpecifiers(target, env?.specifiers);
      if ('error' in t) {
        if (env?.specifiers) return refusing(`Failed to expand specifiers in MakeSymlinks= (${t.error}): ${w}`);
        notes.push(`Failed to expand specifiers in MakeSymlinks= (${t.error}), ignoring: ${w}`);
        continue;
      }
      value.push({ path: at.path, target: t.value });
      notes.push(...(at.notes ?? []), ...(specifierNotes('MakeSymlinks', t.hostSpecifiers) ?? []));
    }
    return notes.length ? { kind: 'set', value, notes } : { kind: 'set', value };
  },
  format: (v) => (v.length === 0 ? [] : [v.map((e) => quoteWord(`${escapeSpecifiers(e.path)}:${escapeSpecifiers(e.target)}`)).join(' ')]),
  check: (v) =>
    checkList(v, (e) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'must be an object { path, target }';
      const extra = Object.keys(e).filter((k) => k !== 'path' && k !== 'target');
      if (extra.length) return `unknown key "${extra[0]}"`;
      const o = e as Record<string, unknown>;
      const s = checkPath(o.path);
      if (s) return `path: ${s}`;
      if (typeof o.path === 'string' && o.path.includes(':')) return 'path: must not contain ":"';
      if (typeof o.target !== 'string' || o.target === '') return 'target: must be a non-empty string';
      if (o.target.includes(':') || /[\s"'\\]/.test(o.target)) return 'target: must not contain ":", whitespace, quotes or backslashes';
      return checkConfText(o.target) ? `target: ${checkConfText(o.target)}` : undefined;
    }),
};

/** MountPoint= (config_parse_mountpoint): `WHERE[:OPTIONS]`, WHERE absolute; repeatable. */
const mountPointsKind: Kind<MountPointEntry[]> = {
  kind: 'mount-points',
  parse(raw, env) {
    if (raw === '') return { kind: 'reset' };
    const parts = splitCUnescaped(raw, ':');
    if (!Array.isArray(parts) || parts.length > 2) return ignoring('Invalid MountPoint= (WHERE[:OPTIONS])', raw);
    const where = parsePath('MountPoint', parts[0]!, env);
    if ('error' in where) return refusing(where.error);
    if ('warning' in where) return { kind: 'invalid', severity: 'warning', message: where.warning };
    const options = parts[1];
    const value: MountPointEntry[] = [options !== undefined && options !== '' ? { where: where.path, options } : { where: where.path }];
    return where.notes ? { kind: 'set', value, notes: where.notes } : { kind: 'set', value };
  },
  format: (v) => v.map((e) => (e.options !== undefined ? `${cEscapeForColonList(escapeSpecifiers(e.where))}:${cEscapeForColonList(e.options)}` : cEscapeForColonList(escapeSpecifiers(e.where)))),
  check: (v) =>
    checkList(v, (e) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'must be an object { where, options? }';
      const extra = Object.keys(e).filter((k) => k !== 'where' && k !== 'options');
      if (extra.length) return `unknown key "${extra[0]}"`;
      const o = e as Record<string, unknown>;
      const w = checkPath(o.where);
      if (w) return `where: ${w}`;
      if (o.options === undefined) return undefined;
      if (typeof o.options !== 'string' || o.options === '') return 'options: must be a non-empty string';
      return checkConfText(o.options) ? `options: ${checkConfText(o.options)}` : undefined;
    }),
};

/** SupplementFor= (filename_part_is_valid): a definition's file name without `.conf`. */
const definitionNameKind: Kind<string> = {
  kind: 'string',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    if (raw === '.' || raw === '..' || raw.includes('/') || raw.length > 255) return refusing(`SupplementFor= is an invalid filename: ${raw}`);
    return { kind: 'set', value: raw };
  },
  format: (v) => [v],
  check: (v) => (typeof v !== 'string' || v === '' || v === '.' || v === '..' || v.includes('/') ? 'must be a definition file name without .conf (e.g. 10-esp)' : checkConfText(v, 255)),
};

// ---------------------------------------------------------------------------------------------
// Partition fields ([Partition] and [X-Partwright])

/** Spec keys that are repart.d fields (everything but bookkeeping). */
export type PartitionFieldKey = Exclude<keyof PartitionSpec, 'sourceName'>;
type PartitionValue<K extends PartitionFieldKey> = NonNullable<PartitionSpec[K]>;

export type PartitionFieldDef<K extends PartitionFieldKey = PartitionFieldKey> = FieldDef<PartitionSpec, PartitionValue<K>> & {
  readonly id: K;
};
/** Any partition field; narrow on `id` to get the value type. */
export type PartitionField = { [K in PartitionFieldKey]: PartitionFieldDef<K> }[PartitionFieldKey];

type FieldText<V> = Pick<FieldDef<unknown, V>, 'title' | 'help' | 'defaultText'> &
  Partial<Pick<FieldDef<unknown, V>, 'defaultValue' | 'sinceRepart' | 'min' | 'max'>>;

function partitionField<K extends PartitionFieldKey>(
  id: K,
  section: 'Partition' | 'X-Partwright',
  confKey: string,
  kind: Kind<PartitionValue<K>>,
  text: FieldText<PartitionValue<K>>,
): PartitionFieldDef<K> {
  return {
    id,
    section,
    confKey,
    list: ['copy-files', 'path-list', 'exclude-list', 'symlink-list', 'mount-points'].includes(kind.kind),
    ...kind,
    ...text,
    get: (p) => p[id] as PartitionValue<K> | undefined,
    set(p, v) {
      if (v === undefined) delete p[id];
      else (p as Record<K, unknown>)[id] = v;
    },
  };
}

const typeKind: Kind<string> = {
  kind: 'partition-type',
  parse(raw) {
    const r = resolvePartitionType(raw);
    if (!r) return refusing(`Failed to parse partition type: ${raw}`);
    const guid = normalizeGuid(raw);
    return { kind: 'set', value: guid ?? raw };
  },
  format: (v) => [v],
  check(v) {
    if (typeof v !== 'string') return 'must be a string';
    if (!resolvePartitionType(v)) return `unknown partition type "${v.slice(0, 64)}" (use a repart identifier or a GUID)`;
    return undefined;
  },
};

/** GPT partition names hold 36 UTF-16 code units (GPT_LABEL_MAX). */
export const GPT_LABEL_MAX = 36;

const labelKind: Kind<string> = {
  kind: 'label',
  parse(raw, env) {
    // The empty label is a real label for repart (not a reset).
    const e = expandSpecifiers(raw, env?.specifiers);
    if ('error' in e) {
      return env?.specifiers ? refusing(`Failed to expand specifiers in Label= (${e.error}): ${raw}`) : ignoring(`Failed to expand specifiers in Label= (${e.error})`, raw);
    }
    if (e.value.length > GPT_LABEL_MAX) {
      return ignoring(`Partition label too long for GPT table (${e.value.length} > ${GPT_LABEL_MAX} UTF-16 units)`, raw);
    }
    const notes = specifierNotes('Label', e.hostSpecifiers);
    return notes ? { kind: 'set', value: e.value, notes } : { kind: 'set', value: e.value };
  },
  format: (v) => [escapeSpecifiers(v)],
  check(v) {
    if (typeof v !== 'string') return 'must be a string';
    if (v.length > GPT_LABEL_MAX) return `must be at most ${GPT_LABEL_MAX} UTF-16 code units`;
    if (/[\uD800-\uDFFF]/.test(v.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) return 'must be valid Unicode';
    return v === '' ? undefined : checkConfText(v);
  },
};

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const partitionUuidKind: Kind<string> = {
  kind: 'uuid',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    if (raw === 'null') return { kind: 'set', value: 'null' };
    // sd_id128_from_string(): 32 hex digits, or the 36-character dashed form.
    if (/^[0-9a-fA-F]{32}$/.test(raw) || /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) {
      return { kind: 'set', value: normalizeGuid(raw) as string };
    }
    return ignoring('Failed to parse 128bit ID/UUID', raw);
  },
  format: (v) => [v],
  check: (v) => (typeof v === 'string' && (v === 'null' || UUID_TEXT.test(v)) ? undefined : 'must be a lower-case UUID or "null"'),
};

const fatTypeKind: Kind<12 | 16 | 32> = {
  kind: 'enum',
  choices: ['12', '16', '32'],
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    if (raw === '12' || raw === '16' || raw === '32') return { kind: 'set', value: Number(raw) as 12 | 16 | 32 };
    return refusing(`FATType= must be 12, 16 or 32: ${raw}`);
  },
  format: (v) => [String(v)],
  check: (v) => (v === 12 || v === 16 || v === 32 ? undefined : 'must be 12, 16 or 32'),
};

const fsUuidKind: Kind<string> = {
  kind: 'uuid',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const g = normalizeGuid(raw);
    return g ? { kind: 'set', value: g } : refusing(`Failed to parse FileSystemUUID= value: ${raw}`);
  },
  format: (v) => [v],
  check: (v) => (typeof v === 'string' && UUID_TEXT.test(v) ? undefined : 'must be a lower-case UUID'),
};

const formatKind: Kind<string> = {
  kind: 'filesystem',
  parse(raw) {
    if (raw === '' || raw === '.' || raw === '..' || raw.includes('/') || raw.length > 255) {
      // repart 252 words this "refusing" but logs it without an error code: the value is dropped
      // and the run goes on (checked with /usr/bin/systemd-repart).
      return { kind: 'invalid', severity: 'warning', message: `File system type is not valid, refusing: ${raw}` };
    }
    return { kind: 'set', value: raw };
  },
  format: (v) => [v],
  check(v) {
    if (typeof v !== 'string' || v === '' || v === '.' || v === '..' || v.includes('/')) return 'must be a file system name (vfat, ext4, …)';
    return checkConfText(v, 255);
  },
};

const copyBlocksKind: Kind<string> = {
  kind: 'path-or-auto',
  parse(raw, env) {
    if (raw === '') return { kind: 'reset' };
    if (raw === 'auto') return { kind: 'set', value: 'auto' };
    const p = parsePath('CopyBlocks', raw, env);
    if ('error' in p) return refusing(p.error);
    if ('warning' in p) return { kind: 'invalid', severity: 'warning', message: p.warning };
    return p.notes ? { kind: 'set', value: p.path, notes: p.notes } : { kind: 'set', value: p.path };
  },
  format: (v) => [v === 'auto' ? v : escapeSpecifiers(v)],
  check: (v) => (v === 'auto' ? undefined : checkPath(v)),
};

/**
 * CopyFiles= options, the third colon field of the newest repart (config_parse_copy_files):
 * comma-separated; `fsverity=off` is the default; `fsverity=copy` would carry the sources' fs-verity
 * state into the image, which Partwright cannot read (no host gives it) — refused, naming it; other
 * words are warnings, as repart gives them.
 */
function copyFilesOptionNotes(options: string): { error: string } | { notes: string[] } {
  const notes: string[] = [];
  for (const word of options.split(',')) {
    if (word === '') continue;
    if (word.startsWith('fsverity=')) {
      const v = word.slice('fsverity='.length);
      if (v === 'copy') return { error: 'CopyFiles= option fsverity=copy: Partwright cannot read the sources\' fs-verity state or enable fs-verity in the image; remove the option' };
      if (v !== 'off') notes.push("fsverity= expects either 'off' or 'copy'.");
    } else notes.push(`Encountered unknown option '${word}', ignoring.`);
  }
  return { notes };
}

const copyFilesKind: Kind<CopyFilesEntry[]> = {
  kind: 'copy-files',
  parse(raw, env) {
    // repart 252 warns "No argument specified" for an empty value; newer versions clear the list.
    if (raw === '') return { kind: 'reset' };
    const parts = splitCUnescaped(raw, ':');
    if (!Array.isArray(parts)) return refusing(`Failed to extract source path (${parts.error}): ${raw}`);
    if (parts.length > 3) return refusing(`Too many arguments: ${raw}`);
    const [sourceText, targetText, optionsText] = parts as [string, string | undefined, string | undefined];
    const opts = optionsText !== undefined && optionsText !== '' ? copyFilesOptionNotes(optionsText) : { notes: [] };
    if ('error' in opts) return refusing(opts.error);
    const source = parsePath('CopyFiles', sourceText, env);
    if ('error' in source) return refusing(source.error);
    if ('warning' in source) return { kind: 'invalid', severity: 'warning', message: source.warning };
    const target = targetText === undefined || targetText === '' ? source : parsePath('CopyFiles', targetText, env);
    if ('error' in target) return refusing(target.error);
    if ('warning' in target) return { kind: 'invalid', severity: 'warning', message: target.warning };
    const notes = [...opts.notes, ...(source.notes ?? []), ...(target === source ? [] : (target.notes ?? []))];
    const value = [{ source: source.path, target: target.path, ...(optionsText ? { options: optionsText } : {}) }];
    return notes.length ? { kind: 'set', value, notes } : { kind: 'set', value };
  },
  format: (v) =>
    v.map((e) => {
      const s = cEscapeForColonList(escapeSpecifiers(e.source));
      const t = cEscapeForColonList(escapeSpecifiers(e.target));
      if (e.options !== undefined) return `${s}:${t}:${cEscapeForColonList(e.options)}`;
      return e.source === e.target ? s : `${s}:${t}`;
    }),
  check: (v) =>
    checkList(v, (e) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'must be an object { source, target, options? }';
      const extra = Object.keys(e).filter((k) => k !== 'source' && k !== 'target' && k !== 'options');
      if (extra.length) return `unknown key "${extra[0]}"`;
      const o = e as Record<string, unknown>;
      const s = checkPath(o.source);
      if (s) return `source: ${s}`;
      const t = checkPath(o.target);
      if (t) return `target: ${t}`;
      if (o.options === undefined) return undefined;
      if (typeof o.options !== 'string' || o.options === '') return 'options: must be a non-empty string';
      if (o.options.includes(':')) return 'options: must not contain ":"';
      const bad = checkConfText(o.options);
      if (bad) return `options: ${bad}`;
      return 'error' in copyFilesOptionNotes(o.options) ? 'options: fsverity=copy cannot be made by Partwright' : undefined;
    }),
};

const flagsKind: Kind<string> = {
  kind: 'gpt-flags',
  parse(raw) {
    const v = parseSystemdUnsigned(raw);
    if (v === undefined) return ignoring('Failed to parse Flags= value', raw);
    // Keep plain decimal and 0x-hex as written; other spellings (octal, 0b, +, spaces) become hex.
    const value = /^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(raw) ? raw : `0x${v.toString(16)}`;
    return { kind: 'set', value };
  },
  format: (v) => [v],
  check(v) {
    if (typeof v !== 'string' || !/^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(v)) return 'must be a decimal or 0x-hex integer as text';
    return parseSystemdUnsigned(v) === undefined ? 'must fit in 64 bits' : undefined;
  },
};

const mbrTypeKind: Kind<number> = {
  kind: 'byte',
  min: 1,
  max: 255,
  parse(raw) {
    const v = parseSystemdUnsigned(raw, 255n);
    if (v === undefined || v === 0n) return refusing(`MBRType= must be a partition type byte 0x01…0xff: ${raw}`);
    return { kind: 'set', value: Number(v) };
  },
  format: (v) => [`0x${v.toString(16).padStart(2, '0')}`],
  check: (v) => (isSafeInt(v) && v >= 1 && v <= 255 ? undefined : 'must be a byte 1…255 (0x01…0xff)'),
};

/** VerityDataBlockSizeBytes= / VerityHashBlockSizeBytes=: a power of two from 512 to 4096 (repart refuses others). */
function verityBlockSizeKind(confKey: string): Kind<number> {
  const ok = (v: number) => v >= 512 && v <= 4096 && (v & (v - 1)) === 0;
  return {
    kind: 'size',
    min: 512,
    max: 4096,
    parse(raw) {
      const r = tryParseSize(raw);
      if (typeof r !== 'number' || !ok(r)) return refusing(`${confKey}= must be a power of 2 between 512 and 4096: ${raw}`);
      return { kind: 'set', value: r };
    },
    format: (v) => [String(v)],
    check: (v) => (isSafeInt(v) && ok(v) ? undefined : 'must be 512, 1024, 2048 or 4096'),
  };
}

const ENCRYPT_MODES = ['off', 'key-file', 'tpm2', 'key-file+tpm2'] as const;
const VERITY_MODES = ['off', 'data', 'hash', 'signature'] as const;
const MINIMIZE_MODES: readonly MinimizeMode[] = ['off', 'best', 'guess'];

/** Every partition field, in the order a repart.d file lists them. */
export const PARTITION_FIELDS: readonly PartitionField[] = [
  partitionField('type', 'Partition', 'Type', typeKind, {
    title: 'Type',
    help: 'What the partition is for: a name such as esp, root, swap or linux-generic, or a raw type GUID.',
    defaultText: 'required',
  }),
  partitionField('label', 'Partition', 'Label', labelKind, {
    title: 'Label',
    help: 'The GPT partition name, up to 36 characters; an empty label is allowed.',
    defaultText: 'the type name, with -2, -3… for repeats',
  }),
  partitionField('uuid', 'Partition', 'UUID', partitionUuidKind, {
    title: 'Partition UUID',
    help: 'A fixed partition UUID, or "null" for all zeros; normally derived from the image seed.',
    defaultText: 'derived from the seed',
  }),
  partitionField('priority', 'Partition', 'Priority', integerKind('Priority', -(2 ** 31), 2 ** 31 - 1, 'warning'), {
    title: 'Priority',
    help: 'When the disk is too small, partitions with the highest priority are dropped first; 0 or less is never dropped.',
    defaultText: '0',
    defaultValue: 0,
  }),
  partitionField('weight', 'Partition', 'Weight', integerKind('Weight', 0, 1_000_000, 'warning'), {
    title: 'Weight',
    help: 'Share of the free space this partition grows into, relative to the other weights (0 = do not grow).',
    defaultText: '1000',
    defaultValue: 1000,
  }),
  partitionField('paddingWeight', 'Partition', 'PaddingWeight', integerKind('PaddingWeight', 0, 1_000_000, 'warning'), {
    title: 'Padding weight',
    help: 'Share of the free space left empty after this partition, relative to the other weights.',
    defaultText: '0',
    defaultValue: 0,
  }),
  partitionField('sizeMinBytes', 'Partition', 'SizeMinBytes', sizeKind('SizeMinBytes', 'error'), {
    title: 'Minimum size',
    help: 'The smallest the partition may be; rounded down to 4 KiB.',
    defaultText: '10 MiB',
  }),
  partitionField('sizeMaxBytes', 'Partition', 'SizeMaxBytes', sizeKind('SizeMaxBytes', 'error'), {
    title: 'Maximum size',
    help: 'The largest the partition may grow to; rounded up to 4 KiB.',
    defaultText: 'no limit',
  }),
  partitionField('paddingMinBytes', 'Partition', 'PaddingMinBytes', sizeKind('PaddingMinBytes', 'error'), {
    title: 'Minimum padding',
    help: 'Empty space kept after the partition at least; rounded down to 4 KiB.',
    defaultText: '0',
  }),
  partitionField('paddingMaxBytes', 'Partition', 'PaddingMaxBytes', sizeKind('PaddingMaxBytes', 'error'), {
    title: 'Maximum padding',
    help: 'Empty space kept after the partition at most; rounded up to 4 KiB.',
    defaultText: 'no limit',
  }),
  partitionField('factoryReset', 'Partition', 'FactoryReset', booleanKind('FactoryReset', false), {
    title: 'Factory reset',
    help: 'Mark the partition as one that a factory reset erases.',
    defaultText: 'no',
    defaultValue: false,
  }),
  partitionField('copyBlocks', 'Partition', 'CopyBlocks', copyBlocksKind, {
    title: 'Copy blocks from',
    help: 'Fill the partition with the bytes of this file or block device ("auto": the running system\'s matching partition).',
    defaultText: 'none',
  }),
  partitionField('format', 'Partition', 'Format', formatKind, {
    title: 'File system',
    help: `Make this file system in the partition (Partwright makes ${FILE_SYSTEMS.map((f) => f.name).join(', ')}; ${ISO_FORMAT} is a Table=iso image).`,
    defaultText: 'none (ext4 when files or directories are copied in)',
  }),
  partitionField('copyFiles', 'Partition', 'CopyFiles', copyFilesKind, {
    title: 'Copy files',
    help: 'SOURCE[:TARGET]: copy a file or directory tree into the new file system; repeat for more.',
    defaultText: 'none',
  }),
  partitionField('makeDirectories', 'Partition', 'MakeDirectories', pathListKind('MakeDirectories', 'warning'), {
    title: 'Make directories',
    help: 'Absolute paths of empty directories to create in the new file system, separated by spaces.',
    defaultText: 'none',
  }),
  partitionField('excludeFiles', 'Partition', 'ExcludeFiles', excludeListKind('ExcludeFiles'), {
    title: 'Exclude source files',
    help: 'A source path (under the copy source) that CopyFiles= skips; ending in "/" skips only what the directory holds. One per line.',
    defaultText: 'none',
    sinceRepart: 254,
  }),
  partitionField('excludeFilesTarget', 'Partition', 'ExcludeFilesTarget', excludeListKind('ExcludeFilesTarget'), {
    title: 'Exclude target paths',
    help: 'A path in the new file system that nothing is copied into; ending in "/" keeps the directory itself. One per line.',
    defaultText: 'none',
    sinceRepart: 254,
  }),
  partitionField('makeSymlinks', 'Partition', 'MakeSymlinks', symlinkListKind, {
    title: 'Make symlinks',
    help: 'PATH:TARGET pairs, separated by spaces: symlinks created in the new file system (not on vfat).',
    defaultText: 'none',
    sinceRepart: 257,
  }),
  partitionField('supplementFor', 'Partition', 'SupplementFor', definitionNameKind, {
    title: 'Supplement for',
    help: 'Another definition (file name without .conf, e.g. 10-esp) this one is merged into; it is only created when the merged partition cannot be placed (an existing or too small target).',
    defaultText: 'none',
    sinceRepart: 257,
  }),
  partitionField('volumeLabel', 'Partition', 'VolumeLabel', labelKind, {
    title: 'LUKS volume label',
    help: 'Label of the LUKS superblock when Encrypt= is on (repart defaults it to luks-LABEL); no effect without encryption.',
    defaultText: 'luks- plus the partition label',
    sinceRepart: 256,
  }),
  partitionField('mountPoints', 'Partition', 'MountPoint', mountPointsKind, {
    title: 'Mount points',
    help: 'WHERE[:OPTIONS]: an /etc/fstab line for this partition, written by --generate-fstab=. One per line.',
    defaultText: 'none',
    sinceRepart: 256,
  }),
  partitionField('discard', 'Partition', 'Discard', booleanKind('Discard', true), {
    title: 'Discard through LUKS',
    help: 'Pass discards through the LUKS volume (Encrypt=); no effect without encryption.',
    defaultText: 'no',
    sinceRepart: 258,
  }),
  partitionField('encrypt', 'Partition', 'Encrypt', enumKind(ENCRYPT_MODES, 'encryption mode', { yes: 'key-file', no: 'off' }), {
    title: 'Encryption',
    help: 'Wrap the file system in LUKS2, unlocked by a key file and/or a TPM2 (Partwright records it but does not encrypt yet).',
    defaultText: 'off',
    defaultValue: 'off',
  }),
  partitionField('verity', 'Partition', 'Verity', enumKind(VERITY_MODES, 'verity mode'), {
    title: 'Verity',
    help: 'Role in a dm-verity set: the data partition, the hash partition computed over it (its UUIDs become the root hash halves), or the signature partition (needs a key and certificate).',
    defaultText: 'off',
    defaultValue: 'off',
  }),
  partitionField('verityMatchKey', 'Partition', 'VerityMatchKey', stringKind(), {
    title: 'Verity match key',
    help: 'Ties the data, hash and signature partitions of one verity set together.',
    defaultText: 'none',
  }),
  partitionField('verityDataBlockSizeBytes', 'Partition', 'VerityDataBlockSizeBytes', verityBlockSizeKind('VerityDataBlockSizeBytes'), {
    title: 'Verity data block size',
    help: 'Block size the hash tree covers the data partition in (512…4096, a power of 2); set on the hash partition.',
    defaultText: 'the sector size when set explicitly, else 4096',
    sinceRepart: 255,
  }),
  partitionField('verityHashBlockSizeBytes', 'Partition', 'VerityHashBlockSizeBytes', verityBlockSizeKind('VerityHashBlockSizeBytes'), {
    title: 'Verity hash block size',
    help: 'Block size of the hash tree itself (512…4096, a power of 2); set on the hash partition.',
    defaultText: 'the sector size when set explicitly, else 4096',
    sinceRepart: 255,
  }),
  partitionField('flags', 'Partition', 'Flags', flagsKind, {
    title: 'GPT attribute flags',
    help: 'The raw 64-bit GPT attribute field, decimal or 0x-hex; ReadOnly=, NoAuto= and GrowFileSystem= adjust it.',
    defaultText: 'from the type (grow-fs bit 59 on root, usr, home, srv, var, tmp, xbootldr)',
  }),
  partitionField('readOnly', 'Partition', 'ReadOnly', booleanKind('ReadOnly', true), {
    title: 'Read-only',
    help: 'Set the read-only attribute (bit 60) so the partition is mounted read-only.',
    defaultText: 'yes for verity partitions, else no',
  }),
  partitionField('noAuto', 'Partition', 'NoAuto', booleanKind('NoAuto', true), {
    title: 'No auto-mount',
    help: 'Set the no-auto attribute (bit 63) so systemd does not mount it automatically.',
    defaultText: 'no',
  }),
  partitionField('growFileSystem', 'Partition', 'GrowFileSystem', booleanKind('GrowFileSystem', true), {
    title: 'Grow file system',
    help: 'Set the grow-fs attribute (bit 59) so the file system is grown to fill the partition on first mount.',
    defaultText: 'yes for root, usr, home, srv, var, tmp and xbootldr unless read-only',
  }),
  partitionField('splitName', 'Partition', 'SplitName', stringKind(), {
    title: 'Split file name',
    help: 'Name pattern for writing this partition to its own file when splitting the image ("-" to never split).',
    defaultText: '%t.%U',
  }),
  partitionField('minimize', 'Partition', 'Minimize', enumKind<MinimizeMode>(MINIMIZE_MODES, 'minimize mode', { yes: 'best', no: 'off' }), {
    title: 'Minimize',
    help: 'Make the file system as small as its contents allow (best) or estimate it (guess); repart 253 and later.',
    defaultText: 'off',
    defaultValue: 'off',
    sinceRepart: 253,
  }),
  partitionField('compression', 'Partition', 'Compression', stringKind(), {
    title: 'Compression',
    help: 'Compressor of a read-only file system: squashfs gzip, zstd or xz, erofs lz4, lz4hc or lzma; repart 257 and later.',
    defaultText: 'squashfs: gzip; erofs: none',
    sinceRepart: 257,
  }),
  partitionField('compressionLevel', 'Partition', 'CompressionLevel', integerKind('CompressionLevel', 0, 22, 'warning'), {
    title: 'Compression level',
    help: 'Level for Compression= (gzip 1–9, zstd 1–22, lz4hc 3–12, lzma 0–9); repart 257 and later.',
    defaultText: "the compressor's default (gzip 9, zstd 15, lz4hc 9, lzma 6)",
    sinceRepart: 257,
  }),
  partitionField('mbrType', 'X-Partwright', 'MBRType', mbrTypeKind, {
    title: 'MBR type',
    help: 'The partition type byte in an MBR or hybrid table, such as 0x0c (FAT32 LBA) or 0x83 (Linux).',
    defaultText: 'from the GPT type: ESP 0xef, swap 0x82, Microsoft basic data 0x0c, else 0x83',
  }),
  partitionField('mbrBootable', 'X-Partwright', 'MBRBootable', booleanKind('MBRBootable', true, 'error'), {
    title: 'MBR bootable',
    help: 'Set the MBR "active" flag (0x80) that old BIOSes and the Raspberry Pi look for.',
    defaultText: 'no',
    defaultValue: false,
  }),
  partitionField('hybridMbr', 'X-Partwright', 'HybridMBR', booleanKind('HybridMBR', true, 'error'), {
    title: 'In hybrid MBR',
    help: 'For hybrid tables: also list this partition in the MBR (three at most).',
    defaultText: 'no',
    defaultValue: false,
  }),
  partitionField('fatType', 'X-Partwright', 'FATType', fatTypeKind, {
    title: 'FAT type',
    help: 'FAT12, FAT16 or FAT32 for Format=vfat; small volumes such as a 30 MiB Raspberry Pi firmware partition want 16.',
    defaultText: '32 (as systemd-repart makes vfat)',
    defaultValue: 32,
  }),
  partitionField('volumeId', 'X-Partwright', 'VolumeID', hex32Kind('VolumeID'), {
    title: 'FAT volume ID',
    help: 'The FAT serial number (shown as XXXX-XXXX), e.g. 0x2178694e for NixOS SD images.',
    defaultText: 'derived from the partition UUID, as repart does',
  }),
  partitionField('fileSystemUuid', 'X-Partwright', 'FileSystemUUID', fsUuidKind, {
    title: 'File system UUID',
    help: 'The UUID of the file system made by Format= (ext4 and others), e.g. for root=UUID=.',
    defaultText: 'derived from the partition UUID, as repart does',
  }),
  partitionField('isoBiosBoot', 'X-Partwright', 'ISOBIOSBoot', stringKind(), {
    title: 'ISO BIOS boot file',
    help: 'Table=iso: path inside the ISO of the BIOS boot file (e.g. /isolinux/isolinux.bin) for an El Torito no-emulation entry.',
    defaultText: 'none (no BIOS entry)',
  }),
  partitionField('isoHybridMbr', 'X-Partwright', 'ISOHybridMBR', stringKind(), {
    title: 'isohybrid MBR',
    help: 'Table=iso: MBR boot code file (syslinux\'s isohdpfx.bin) so the ISO also boots from a USB stick.',
    defaultText: 'none (CD only)',
  }),
  partitionField('isoEfiImage', 'X-Partwright', 'ISOEFIImage', stringKind(), {
    title: 'ISO EFI image path',
    help: 'Table=iso: where the FAT image made from the layout\'s ESP goes inside the ISO (the EFI El Torito entry).',
    defaultText: '/boot/efi.img',
  }),
  partitionField('isoPublisher', 'X-Partwright', 'ISOPublisher', stringKind(), {
    title: 'ISO publisher',
    help: 'Table=iso: the publisher identifier (up to 128 characters).',
    defaultText: 'none',
  }),
  partitionField('isoApplication', 'X-Partwright', 'ISOApplication', stringKind(), {
    title: 'ISO application',
    help: 'Table=iso: the application identifier (up to 128 characters).',
    defaultText: 'none',
  }),
  partitionField('isoFileOrder', 'X-Partwright', 'ISOFileOrder', pathListKind('ISOFileOrder', 'error'), {
    title: 'ISO file order',
    help: 'Table=iso: paths laid out first (after the boot files), separated by spaces.',
    defaultText: 'tree order',
  }),
  partitionField('isoPath', 'X-Partwright', 'ISOPath', stringKind(), {
    title: 'Path inside the ISO',
    help: 'Table=iso, on a Format=squashfs definition: the file its image becomes inside the ISO (NixOS: /nix-store.squashfs); StorePaths= closures are laid out as NixOS\'s store image (store paths and nix-path-registration at its root).',
    defaultText: 'none',
  }),
  partitionField('storePaths', 'X-Partwright', 'StorePaths', pathListKind('StorePaths', 'error'), {
    title: 'Nix store paths',
    help: 'Nix store paths whose closures are copied into this partition, separated by spaces.',
    defaultText: 'none',
  }),
];

// The [Partition] keys of repart 252's table, with the release that added each (the version-info of
// man/repart.d.xml); the newer keys carry theirs in their rows above.
const SINCE: Readonly<Record<string, number>> = {
  Type: 245, Label: 245, UUID: 246, Priority: 245, Weight: 245, PaddingWeight: 245, SizeMinBytes: 245, SizeMaxBytes: 245,
  PaddingMinBytes: 245, PaddingMaxBytes: 245, FactoryReset: 245, CopyBlocks: 246, Format: 247, CopyFiles: 247,
  Encrypt: 247, MakeDirectories: 249, Flags: 249, ReadOnly: 249, NoAuto: 249, GrowFileSystem: 249, Verity: 252,
  VerityMatchKey: 252, SplitName: 252,
};
for (const f of PARTITION_FIELDS) {
  if (f.section === 'Partition' && f.sinceRepart === undefined) (f as { sinceRepart?: number }).sinceRepart = SINCE[f.confKey];
}

// ---------------------------------------------------------------------------------------------
// Image fields ([X-Partwright-Disk])

interface DiskValues {
  table: TableType;
  sectorSizeBytes: SectorSize;
  sizeBytes: number | 'auto';
  seed: string;
  architecture: Architecture;
  firstPartitionOffsetBytes: number;
  'gpt.entriesLba': number;
  'gpt.entryCount': number;
  'mbr.diskId': number;
  'mbr.protectiveFirst': boolean;
  'base.source': string;
  'base.inPlace': boolean;
  sourceDateEpoch: number;
  copySource: string;
  repartVersion: RepartVersion;
  preset: string;
  empty: EmptyMode;
  copyFrom: string[];
  grainSizeBytes: number;
  deferPartitions: string[];
}
export type DiskFieldId = keyof DiskValues;
export type DiskFieldDef<K extends DiskFieldId = DiskFieldId> = FieldDef<ImageSpec, DiskValues[K]> & { readonly id: K };
export type DiskField = { [K in DiskFieldId]: DiskFieldDef<K> }[DiskFieldId];

type Group = 'gpt' | 'mbr' | 'base';

function diskField<K extends DiskFieldId>(
  id: K,
  confKey: string,
  kind: Kind<DiskValues[K]>,
  text: FieldText<DiskValues[K]>,
): DiskFieldDef<K> {
  const [group, key] = id.includes('.') ? (id.split('.') as [Group, string]) : [undefined, id];
  return {
    id,
    section: 'X-Partwright-Disk',
    confKey,
    list: false,
    ...kind,
    ...text,
    get(spec) {
      const holder = (group ? spec[group] : spec) as Record<string, unknown> | undefined;
      return holder?.[key] as DiskValues[K] | undefined;
    },
    set(spec, v) {
      const s = spec as unknown as Record<string, Record<string, unknown> | undefined>;
      if (!group) {
        if (v === undefined) delete (spec as unknown as Record<string, unknown>)[key];
        else (spec as unknown as Record<string, unknown>)[key] = v;
        return;
      }
      if (v === undefined) {
        const holder = s[group];
        if (!holder) return;
        delete holder[key];
        if (Object.keys(holder).length === 0) delete s[group];
        return;
      }
      (s[group] ??= {})[key] = v;
    },
  };
}

const seedKind: Kind<string> = {
  kind: 'uuid',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const g = /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)
      ? normalizeGuid(raw)
      : undefined;
    return g ? { kind: 'set', value: g } : refusing(`Failed to parse seed UUID: ${raw}`);
  },
  format: (v) => [v],
  check: (v) => (typeof v === 'string' && UUID_TEXT.test(v) ? undefined : 'must be a lower-case UUID'),
};

const sectorSizeKind: Kind<SectorSize> = {
  kind: 'enum',
  choices: ['512', '1024', '2048', '4096'],
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const v = parseSystemdUnsigned(raw);
    if (v === 512n || v === 1024n || v === 2048n || v === 4096n) return { kind: 'set', value: Number(v) as SectorSize };
    return refusing(`SectorSize= must be 512, 1024, 2048 or 4096: ${raw}`);
  },
  format: (v) => [String(v)],
  check: (v) => (v === 512 || v === 1024 || v === 2048 || v === 4096 ? undefined : 'must be 512, 1024, 2048 or 4096'),
};

const diskSizeKind: Kind<number | 'auto'> = {
  kind: 'size-or-auto',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    if (raw === 'auto') return { kind: 'set', value: 'auto' };
    const r = tryParseSize(raw);
    if (typeof r === 'number') return { kind: 'set', value: r };
    return refusing(`${r === 'range' ? 'Size value out of range' : 'Failed to parse size value'}: ${raw}`);
  },
  format: (v) => [v === 'auto' ? 'auto' : formatSizeForConf(v)],
  check: (v) => (v === 'auto' || (isSafeInt(v) && v > 0) ? undefined : 'must be "auto" or a positive whole number of bytes'),
};

function hex32Kind(confKey: string): Kind<number> {
  return {
    kind: 'hex32',
    min: 0,
    max: 0xffffffff,
    parse(raw) {
      if (raw === '') return { kind: 'reset' };
      const v = parseSystemdUnsigned(raw, 0xffffffffn);
      return v === undefined ? refusing(`${confKey}= must be a 32-bit number such as 0x2178694e: ${raw}`) : { kind: 'set', value: Number(v) };
    },
    format: (v) => [`0x${v.toString(16).padStart(8, '0')}`],
    check: (v) => (isSafeInt(v) && v >= 0 && v <= 0xffffffff ? undefined : 'must be a 32-bit unsigned integer'),
  };
}

/** Preset=: one of the presets' names (read when parsing, so the preset table may import the model). */
const presetKind: Kind<string> = {
  kind: 'enum',
  get choices() {
    return PRESETS.map((p) => p.name);
  },
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    return presetByName(raw) ? { kind: 'set', value: raw } : refusing(`Unknown preset ${raw}; presets are ${PRESETS.map((p) => p.name).join(', ')}`);
  },
  format: (v) => [v],
  check: (v) => (typeof v === 'string' && presetByName(v) ? undefined : `must be one of ${PRESETS.map((p) => p.name).join(', ')}`),
};

/** GrainSize=: a size that is a power of two of at least 512 (the planner's check of --grain-size=). */
const grainSizeKind: Kind<number> = {
  kind: 'size',
  min: 512,
  max: 2 ** 52,
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const r = tryParseSize(raw);
    if (typeof r !== 'number') return refusing(`${r === 'range' ? 'Size value out of range' : 'Failed to parse size value'}: ${raw}`);
    return isGrain(r) ? { kind: 'set', value: r } : refusing(`GrainSize= must be a power of two of at least 512: ${raw}`);
  },
  format: (v) => [formatSizeForConf(v)],
  check: (v) => (isGrain(v) ? undefined : 'must be a power of two of at least 512 bytes'),
};

function isGrain(v: unknown): v is number {
  return isSafeInt(v) && v >= 512 && v <= 2 ** 52 && Number.isInteger(Math.log2(v));
}

/**
 * DeferPartitions=: partition type identifiers or GUIDs separated by commas, as repart's
 * --defer-partitions= takes them (one assignment; an empty one clears). GUIDs are kept lower-case.
 */
const typeListKind: Kind<string[]> = {
  kind: 'type-list',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const words = raw.split(',').map((t) => t.trim());
    if (words.some((t) => t === '')) return refusing(`DeferPartitions= takes partition types separated by commas, without empty entries: ${raw}`);
    const bad = words.find((t) => !resolvePartitionType(t));
    if (bad !== undefined) return refusing(`Failed to parse partition type in DeferPartitions=: ${bad}`);
    return { kind: 'set', value: words.map((t) => normalizeGuid(t) ?? t) };
  },
  format: (v) => (v.length === 0 ? [] : [v.join(',')]),
  check(v) {
    if (Array.isArray(v) && v.length === 0) return 'must name at least one partition type';
    return checkList(v, (t) => (typeof t !== 'string' ? 'must be a string' : /[\s,]/.test(t) || !resolvePartitionType(t) || (normalizeGuid(t) !== undefined && normalizeGuid(t) !== t) ? `unknown partition type "${String(t).slice(0, 64)}" (use a repart identifier or a lower-case GUID)` : undefined));
  },
};

/** CopyFrom=: image files, whitespace-separated and quotable (one assignment; an empty one clears); relative to the layout. */
const fileListKind: Kind<string[]> = {
  kind: 'file-list',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const words = splitQuotedWords(raw);
    if ('error' in words) return refusing(`Invalid syntax in CopyFrom= (${words.error}): ${raw}`);
    for (const w of words) {
      const m = w === '' ? 'must not be empty' : checkConfText(w);
      if (m) return refusing(`CopyFrom= path ${m}: ${raw}`);
    }
    return words.length ? { kind: 'set', value: words } : { kind: 'reset' };
  },
  format: (v) => (v.length === 0 ? [] : [v.map(quoteWord).join(' ')]),
  check(v) {
    if (Array.isArray(v) && v.length === 0) return 'must name at least one image';
    return checkList(v, (x) => (x === '' ? 'must not be empty' : checkConfText(x)));
  },
};

function withReset<V>(k: Kind<V>): Kind<V> {
  return { ...k, parse: (raw, env) => (raw === '' ? { kind: 'reset' } : k.parse(raw, env)) };
}

/** Image-wide settings: `[X-Partwright-Disk]`, at most once per key across a directory. */
export const DISK_FIELDS: readonly DiskField[] = [
  diskField('table', 'Table', enumKind<TableType>(['gpt', 'mbr', 'hybrid', 'iso'], 'partition table type', undefined, 'error'), {
    title: 'Partition table',
    help: 'gpt (what repart writes), mbr (old BIOS, Raspberry Pi), hybrid (GPT plus an MBR listing up to three partitions), or iso (an ISO9660 image with El Torito boot entries).',
    defaultText: 'gpt',
    defaultValue: 'gpt',
  }),
  diskField('sectorSizeBytes', 'SectorSize', sectorSizeKind, {
    title: 'Sector size',
    help: 'Logical sector size of the target device in bytes.',
    defaultText: '512',
    defaultValue: 512,
  }),
  diskField('sizeBytes', 'Size', diskSizeKind, {
    title: 'Disk size',
    help: 'Size of the image, or "auto" for the smallest that holds every partition\'s minimum (like repart --size=).',
    defaultText: 'auto',
    defaultValue: 'auto',
  }),
  diskField('seed', 'Seed', seedKind, {
    title: 'Seed',
    help: 'UUID from which disk and partition UUIDs are derived, so the same layout gives the same image (like repart --seed=).',
    defaultText: "0867da16-f251-457d-a9e8-c31f9a3c220b (nixpkgs' image.repart default)",
  }),
  diskField('architecture', 'Architecture', enumKind<Architecture>(ARCHITECTURES, 'architecture', undefined, 'error'), {
    title: 'Architecture',
    help: 'Which CPU architecture Type=root, usr and their verity types mean.',
    defaultText: 'x86-64',
    defaultValue: 'x86-64',
  }),
  diskField('firstPartitionOffsetBytes', 'FirstPartitionOffset', withReset(sizeKind('FirstPartitionOffset', 'error')), {
    title: 'First partition offset',
    help: 'Where the first partition starts, leaving room for boot loaders written as blobs.',
    defaultText: '1 MiB',
    defaultValue: 1024 * 1024,
  }),
  diskField('gpt.entriesLba', 'GPTEntriesLBA', withReset(integerKind('GPTEntriesLBA', 2, 2 ** 32 - 1, 'error')), {
    title: 'GPT entries LBA',
    help: 'Sector where the GPT partition entry array starts; move it to free the space a blob needs.',
    defaultText: '2',
    defaultValue: 2,
  }),
  diskField('gpt.entryCount', 'GPTEntryCount', withReset(integerKind('GPTEntryCount', 1, 65_536, 'error')), {
    title: 'GPT entry count',
    help: 'Number of slots in the GPT entry array (UEFI asks for at least 16 KiB, i.e. 128).',
    defaultText: '128',
    defaultValue: 128,
  }),
  diskField('copySource', 'CopySource', stringKind(), {
    title: 'Copy source',
    help: 'Folder that absolute CopyFiles=/CopyBlocks= sources are taken from (repart --copy-source=); relative to the layout.',
    defaultText: '/ (the host\'s root)',
  }),
  diskField('sourceDateEpoch', 'SourceDateEpoch', withReset(integerKind('SourceDateEpoch', 0, 2 ** 32 - 1, 'error')), {
    title: 'Source date epoch',
    help: 'Unix time stamped on every file written into file systems (SOURCE_DATE_EPOCH), so builds are reproducible.',
    defaultText: '0, or the SOURCE_DATE_EPOCH environment variable in the CLI',
    defaultValue: 0,
  }),
  diskField('mbr.diskId', 'MBRDiskId', hex32Kind('MBRDiskId'), {
    title: 'MBR disk identifier',
    help: 'The 32-bit disk signature at byte 440 of the MBR (Linux shows it in PARTUUID=XXXXXXXX-NN).',
    defaultText: 'derived from the seed',
  }),
  diskField('mbr.protectiveFirst', 'MBRProtectiveFirst', booleanKind('MBRProtectiveFirst', true, 'error'), {
    title: 'Protective entry first',
    help: 'For hybrid tables: put the 0xEE protective entry in the first MBR slot instead of the last.',
    defaultText: 'no',
    defaultValue: false,
  }),
  diskField('base.source', 'BaseImage', stringKind(), {
    title: 'Base image',
    help: 'An existing image whose partitions are kept; new partitions are added after them (repart\'s normal mode).',
    defaultText: 'none (start from an empty disk)',
  }),
  diskField('base.inPlace', 'BaseImageInPlace', booleanKind('BaseImageInPlace', true, 'error'), {
    title: 'Modify base image in place',
    help: 'Write into the base image itself instead of a copy of it.',
    defaultText: 'no',
    defaultValue: false,
  }),
  diskField('empty', 'Empty', enumKind<EmptyMode>(EMPTY_MODES, 'empty mode', undefined, 'error'), {
    title: 'Existing table',
    help: 'What happens to the base image\'s partition table (repart --empty=): refuse needs a GPT, allow takes a GPT or a blank image, require only a blank one, force starts the image over on its size, create needs no base image.',
    defaultText: 'refuse with a base image, create without',
    sinceRepart: 245,
  }),
  diskField('copyFrom', 'CopyFrom', fileListKind, {
    title: 'Copy partitions from',
    help: 'Images whose partitions are copied in first, with their type, UUID, label, flags, size and bytes (repart --copy-from=); paths separated by spaces, relative to the layout.',
    defaultText: 'none',
    sinceRepart: 255,
  }),
  diskField('grainSizeBytes', 'GrainSize', grainSizeKind, {
    title: 'Grain size',
    help: 'Alignment of partition starts and sizes, a power of two of at least 512 (repart --grain-size=); the grain is this or 4096, at least the sector size.',
    defaultText: '4096 (or the sector size when larger)',
    sinceRepart: 261,
  }),
  diskField('deferPartitions', 'DeferPartitions', typeListKind, {
    title: 'Deferred partition types',
    help: 'Partition types, separated by commas (repart --defer-partitions=), whose new partitions are planned but not written: their space stays free for a later run.',
    defaultText: 'none',
    sinceRepart: 255,
  }),
  diskField('repartVersion', 'RepartVersion', enumKind<RepartVersion>(['252', 'latest'], 'repart version', undefined, 'error'), {
    title: 'systemd-repart version',
    help: 'Whose placement rules to follow where versions differ: latest (the newest systemd, as NixOS runs) or 252 (Debian 12). See docs/repart-compat.md.',
    defaultText: 'latest',
    defaultValue: 'latest',
  }),
  diskField('preset', 'Preset', presetKind, {
    title: 'Preset',
    help: 'A NixOS image kind (partwright presets) whose boot loaders and own files a build adds to this layout.',
    defaultText: 'none (the layout as written)',
  }),
];

// ---------------------------------------------------------------------------------------------
// First-boot fields ([X-Partwright-CloudInit]): `spec.cloudInit`, image-wide like [X-Partwright-Disk]

export type CloudInitFieldKey = keyof CloudInitSpec;
export type CloudInitFieldDef<K extends CloudInitFieldKey = CloudInitFieldKey> = FieldDef<ImageSpec, NonNullable<CloudInitSpec[K]>> & {
  readonly id: `cloudInit.${K}`;
  /** The key in `spec.cloudInit`. */
  readonly key: K;
};
export type CloudInitField = { [K in CloudInitFieldKey]: CloudInitFieldDef<K> }[CloudInitFieldKey];

function cloudInitField<K extends CloudInitFieldKey>(
  key: K,
  confKey: string,
  kind: Kind<NonNullable<CloudInitSpec[K]>>,
  text: FieldText<NonNullable<CloudInitSpec[K]>>,
): CloudInitFieldDef<K> {
  return {
    id: `cloudInit.${key}`,
    key,
    section: 'X-Partwright-CloudInit',
    confKey,
    list: kind.kind === 'string-list',
    ...kind,
    ...text,
    get: (spec) => spec.cloudInit?.[key] as NonNullable<CloudInitSpec[K]> | undefined,
    set(spec, v) {
      // No SSH keys is no key (.conf has no line for an empty list): so layout JSON's [] reopens from export.
      if (v === undefined || (Array.isArray(v) && v.length === 0)) {
        if (!spec.cloudInit) return;
        delete spec.cloudInit[key];
        if (Object.keys(spec.cloudInit).length === 0) delete spec.cloudInit;
        return;
      }
      // Assign, then write through the spec: `(spec.cloudInit ??= {})` would be the raw object under Svelte's $state.
      if (!spec.cloudInit) spec.cloudInit = {};
      (spec.cloudInit as Record<string, unknown>)[key] = v;
    },
  };
}

/**
 * A first-boot value: a single line, checked with cloud-init's rules (cloud-init.ts) so that a bad
 * value (a password where a hash belongs) is refused at its file:line, in the form and in JSON.
 * Written as is: no specifiers, no quoting.
 */
function cloudInitTextKind(key: Exclude<CloudInitFieldKey, 'sshAuthorizedKeys'>, confKey: string): Kind<string> {
  const check = (v: unknown): string | undefined => {
    if (v === '') return 'must not be empty';
    return checkConfText(v, 256) ?? checkCloudInitValue(key, v as string);
  };
  return {
    kind: key === 'wifiPassword' ? 'secret' : 'string',
    parse(raw) {
      if (raw === '') return { kind: 'reset' };
      const m = check(raw);
      return m ? refusing(`${confKey}= refused: ${m}`) : { kind: 'set', value: raw };
    },
    format: (v) => [v],
    check,
  };
}

/** SSHAuthorizedKeys=: one OpenSSH public key line per assignment (repeatable; empty clears). */
const sshKeysKind: Kind<string[]> = {
  kind: 'string-list',
  parse(raw) {
    if (raw === '') return { kind: 'reset' };
    const m = checkConfText(raw, 16384) ?? checkSshKey(raw);
    return m ? refusing(`SSHAuthorizedKeys= refused: ${m.replace(/^SSH key 1 is/, `"${raw.length > 24 ? `${raw.slice(0, 24)}…` : raw}" is`)}`) : { kind: 'set', value: [raw] };
  },
  format: (v) => v,
  check: (v) => checkList(v, (x) => checkConfText(x, 16384) ?? (x === '' ? 'must not be empty' : checkSshKey(x as string))),
};

/** First boot (cloud-init NoCloud seed): `[X-Partwright-CloudInit]`, each key at most once across a directory. */
export const CLOUD_INIT_FIELDS: readonly CloudInitField[] = [
  cloudInitField('hostname', 'Hostname', cloudInitTextKind('hostname', 'Hostname'), {
    title: 'Hostname',
    help: 'The machine\'s name on first boot (1–63 letters, digits and "-").',
    defaultText: 'the image\'s own',
  }),
  cloudInitField('user', 'User', cloudInitTextKind('user', 'User'), {
    title: 'User',
    help: 'A user to create on first boot, in the sudo group.',
    defaultText: 'none',
  }),
  cloudInitField('passwordHash', 'PasswordHash', cloudInitTextKind('passwordHash', 'PasswordHash'), {
    title: 'Password hash',
    help: 'The user\'s password as a crypt(3) hash (mkpasswd -m sha-512, openssl passwd -6): a plain password is refused.',
    defaultText: 'none (password login locked)',
  }),
  cloudInitField('sshAuthorizedKeys', 'SSHAuthorizedKeys', sshKeysKind, {
    title: 'SSH public keys',
    help: 'OpenSSH public key lines for the user, one per SSHAuthorizedKeys= line.',
    defaultText: 'none',
  }),
  cloudInitField('wifiSsid', 'WifiSSID', cloudInitTextKind('wifiSsid', 'WifiSSID'), {
    title: 'Wi-Fi network',
    help: 'The Wi-Fi network (SSID) wlan0 joins on first boot.',
    defaultText: 'none',
  }),
  cloudInitField('wifiPassword', 'WifiPassword', cloudInitTextKind('wifiPassword', 'WifiPassword'), {
    title: 'Wi-Fi password',
    help: 'The WPA2 passphrase (8–63 printable characters); it is stored in the layout as written.',
    defaultText: 'none (an open network)',
  }),
  cloudInitField('wifiCountry', 'WifiCountry', cloudInitTextKind('wifiCountry', 'WifiCountry'), {
    title: 'Wi-Fi country',
    help: 'Regulatory domain, two capital letters (ISO 3166: GB, US, DE).',
    defaultText: 'the image\'s own',
  }),
  cloudInitField('locale', 'Locale', cloudInitTextKind('locale', 'Locale'), {
    title: 'Locale',
    help: 'The system locale, such as en_GB.UTF-8.',
    defaultText: 'the image\'s own',
  }),
  cloudInitField('timezone', 'Timezone', cloudInitTextKind('timezone', 'Timezone'), {
    title: 'Time zone',
    help: 'A tz database name such as Europe/London.',
    defaultText: 'the image\'s own',
  }),
  cloudInitField('partition', 'Partition', cloudInitTextKind('partition', 'Partition'), {
    title: 'Seed partition',
    help: 'The Label= (or Type=, when it has no label) of the vfat partition that gets user-data, meta-data and network-config.',
    defaultText: 'the vfat partition labelled CIDATA, else the ESP or FIRMWARE one, else the first vfat one',
  }),
];

/** Every image-wide field: [X-Partwright-Disk] then [X-Partwright-CloudInit] (layout JSON's key order). */
export const IMAGE_FIELDS: readonly FieldDef<ImageSpec, unknown>[] = [
  ...(DISK_FIELDS as readonly FieldDef<ImageSpec, unknown>[]),
  ...(CLOUD_INIT_FIELDS as readonly FieldDef<ImageSpec, unknown>[]),
];

// ---------------------------------------------------------------------------------------------
// Blob fields ([X-Partwright-Blob], one section per blob)

export type BlobFieldKey = keyof BlobSpec;
export type BlobFieldDef<K extends BlobFieldKey = BlobFieldKey> = FieldDef<BlobSpec, NonNullable<BlobSpec[K]>> & { readonly id: K };
export type BlobField = { [K in BlobFieldKey]: BlobFieldDef<K> }[BlobFieldKey];

function blobField<K extends BlobFieldKey>(
  id: K,
  confKey: string,
  kind: Kind<NonNullable<BlobSpec[K]>>,
  text: FieldText<NonNullable<BlobSpec[K]>> & { required?: boolean },
): BlobFieldDef<K> & { readonly required: boolean } {
  const { required = false, ...rest } = text;
  return {
    id,
    section: 'X-Partwright-Blob',
    confKey,
    list: false,
    required,
    ...kind,
    ...rest,
    get: (b) => b[id] as NonNullable<BlobSpec[K]> | undefined,
    set(b, v) {
      if (v === undefined) delete b[id];
      else (b as unknown as Record<string, unknown>)[id] = v;
    },
  };
}

const blobNameKind: Kind<string> = {
  ...stringKind(64),
  check: (v) => (typeof v === 'string' && v !== '' && v.length <= 64 && isSafeString(v) && v === v.trim() ? undefined : 'must be 1…64 characters without quotes, backslashes or control characters'),
  parse: (raw) =>
    raw === '' ? { kind: 'reset' } : raw.length <= 64 && isSafeString(raw) ? { kind: 'set', value: raw } : refusing(`Blob name must be 1…64 characters without quotes or backslashes: ${raw}`),
};

/** Raw bytes at fixed offsets: `[X-Partwright-Blob]`; each section header starts a new blob. */
export const BLOB_FIELDS: readonly (BlobField & { readonly required: boolean })[] = [
  blobField('name', 'Name', blobNameKind, {
    title: 'Name',
    help: 'A short name for messages and plans, such as u-boot-spl or idbloader.',
    defaultText: 'required',
    required: true,
  }),
  blobField('offsetBytes', 'Offset', sizeKind('Offset', 'error'), {
    title: 'Offset',
    help: 'Byte offset on the disk where the blob is written, such as 32K for a Rockchip idbloader.',
    defaultText: 'required',
    required: true,
  }),
  blobField('source', 'Source', stringKind(), {
    title: 'Source file',
    help: 'The file holding the bytes (relative paths are resolved against the copy source).',
    defaultText: 'none (give Size= instead until the file is chosen)',
  }),
  blobField('sizeBytes', 'Size', sizeKind('Size', 'error'), {
    title: 'Size',
    help: 'How many bytes the blob takes, when the file is not known yet; otherwise the file size.',
    defaultText: 'the size of the source file',
  }),
];

// ---------------------------------------------------------------------------------------------
// Lookups

export function partitionFieldByConfKey(section: string, confKey: string): PartitionField | undefined {
  return PARTITION_FIELDS.find((f) => f.section === section && f.confKey === confKey);
}

export function partitionFieldById<K extends PartitionFieldKey>(id: K): PartitionFieldDef<K> {
  return PARTITION_FIELDS.find((f) => f.id === id) as unknown as PartitionFieldDef<K>;
}

export function diskFieldByConfKey(confKey: string): DiskField | undefined {
  return DISK_FIELDS.find((f) => f.confKey === confKey);
}

export function cloudInitFieldByConfKey(confKey: string): CloudInitField | undefined {
  return CLOUD_INIT_FIELDS.find((f) => f.confKey === confKey);
}

export function cloudInitFieldByKey<K extends CloudInitFieldKey>(key: K): CloudInitFieldDef<K> {
  return CLOUD_INIT_FIELDS.find((f) => f.key === key) as unknown as CloudInitFieldDef<K>;
}

export function blobFieldByConfKey(confKey: string): (BlobField & { readonly required: boolean }) | undefined {
  return BLOB_FIELDS.find((f) => f.confKey === confKey);
}

/**
 * Apply a parse outcome to a target: set, append (list fields) or reset; `invalid` changes nothing.
 * Shared by the .conf importer and the forms (which parse user text the same way).
 */
export function applyParsed<T, V>(field: FieldDef<T, V>, target: T, outcome: ParseOutcome<V>): void {
  if (outcome.kind === 'reset') field.set(target, undefined);
  else if (outcome.kind === 'set') {
    if (field.list) {
      // Appending nothing (every word was ignored with a warning) leaves the field as it was: an
      // empty list would not survive layout JSON → repart.d → layout JSON (found by fuzzing).
      if ((outcome.value as unknown[]).length === 0) return;
      const prev = (field.get(target) as unknown[] | undefined) ?? [];
      field.set(target, [...prev, ...(outcome.value as unknown[])] as V);
    } else field.set(target, outcome.value);
  }
}

// ---------------------------------------------------------------------------------------------
// Keys systemd-repart 252 does not know

/**
 * The [Partition] keys Partwright acts on that systemd-repart 252 does not know. In 252 mode
 * (`RepartVersion=252`) they are left out, as repart 252 ignores them ("Unknown key … ignoring"):
 * `unknownTo252()` lists them for a warning, `withoutKeysUnknownTo252()` is the spec 252 would act on.
 * (Minimize=, Compression= and the verity block sizes stay: Partwright sizes and makes those file
 * systems itself in both modes.)
 */
const NOT_IN_252: readonly PartitionFieldKey[] = ['excludeFiles', 'excludeFilesTarget', 'makeSymlinks', 'supplementFor', 'volumeLabel', 'mountPoints', 'discard'];

/**
 * The [X-Partwright-Disk] keys that carry repart options newer than 252 (CopyFrom=, GrainSize=,
 * DeferPartitions=): ignored in 252 mode like the [Partition] keys above. (Empty= is 252's --empty=.)
 */
const DISK_NOT_IN_252: readonly DiskFieldId[] = ['copyFrom', 'grainSizeBytes', 'deferPartitions'];

/** Keys set in `spec` that repart 252 does not know; `specIndex` is undefined for image-wide ones. */
export function unknownTo252(spec: ImageSpec): { specIndex: number | undefined; fieldId: string; confKey: string; since: number }[] {
  const out: { specIndex: number | undefined; fieldId: string; confKey: string; since: number }[] = [];
  for (const f of DISK_FIELDS) {
    if (DISK_NOT_IN_252.includes(f.id) && f.get(spec) !== undefined) out.push({ specIndex: undefined, fieldId: f.id, confKey: f.confKey, since: f.sinceRepart! });
  }
  spec.partitions.forEach((p, specIndex) => {
    for (const f of PARTITION_FIELDS) {
      if (NOT_IN_252.includes(f.id) && p[f.id] !== undefined) out.push({ specIndex, fieldId: f.id, confKey: f.confKey, since: f.sinceRepart! });
    }
  });
  return out;
}

export function withoutKeysUnknownTo252(spec: ImageSpec): ImageSpec {
  if (spec.repartVersion !== '252') return spec;
  // repart 252's config_parse_copy_files() takes two fields; a third is "Too many arguments" (an error).
  spec.partitions.forEach((p, i) => {
    const withOptions = p.copyFiles?.find((c) => c.options !== undefined);
    if (withOptions) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `${p.sourceName ?? `Definition ${i + 1}`}: CopyFiles=${withOptions.source}:${withOptions.target}:${withOptions.options} has options, which systemd-repart 252 refuses ("Too many arguments"; RepartVersion=252).`, { where: `partitions.${i}.copyFiles` });
    }
  });
  if (unknownTo252(spec).length === 0) return spec;
  const out: ImageSpec = {
    ...spec,
    partitions: spec.partitions.map((p) => {
      const q = { ...p };
      for (const k of NOT_IN_252) delete q[k];
      return q;
    }),
  };
  for (const f of DISK_FIELDS) if (DISK_NOT_IN_252.includes(f.id)) f.set(out, undefined);
  return out;
}
