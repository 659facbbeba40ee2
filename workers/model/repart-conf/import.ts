/**
 * repart.d → ImageSpec. One partition per `*.conf` file (its `[Partition]` section, plus Partwright's
 * `[X-Partwright]`), image settings from `[X-Partwright-Disk]` (in any file, each key at most once
 * across the directory), blobs from `[X-Partwright-Blob]` (each header starts a new blob).
 *
 * Severities follow systemd-repart 252 (checked against /usr/bin/systemd-repart): `error` where repart
 * refuses the definitions, `warning` where it logs and ignores. Nothing is dropped without a message.
 */
import type { Diagnostic } from '../diagnostics.ts';
import {
  BLOB_FIELDS,
  applyParsed,
  blobFieldByConfKey,
  diskFieldByConfKey,
  partitionFieldByConfKey,
  type DiskField,
  type FieldDef,
} from '../fields.ts';
import { resolvePartitionType } from '../partition-types.ts';
import type { BlobSpec, ImageSpec, PartitionSpec } from '../spec.ts';
import { lexConf } from './lexer.ts';
import { MAX_BLOBS, MAX_PARTITIONS, readLayoutJson, stringifyLayoutJson } from '../layout-json.ts';

export interface ConfFile {
  name: string;
  text: string;
}

export interface RepartImport {
  spec: ImageSpec;
  diagnostics: Diagnostic[];
}

/** What one file contributes before the directory is put together. */
export interface ConfFileContents {
  name: string;
  /** The partition this file defines; undefined when it has no `[Partition]`/`[X-Partwright]` section. */
  partition: PartitionSpec | undefined;
  /** Line of the `Type=` assignment, for late checks against the image architecture. */
  typeLine: number | undefined;
  /** `[X-Partwright-Disk]` assignments that parsed (the last one of a key in this file). */
  disk: { field: DiskField; value: unknown; reset: boolean; line: number }[];
  blobs: { blob: Partial<BlobSpec>; line: number }[];
  /** Line of the last assignment of each partition field, by field id (for late checks). */
  fieldLines: Record<string, number>;
  diagnostics: Diagnostic[];
}

const KNOWN_SECTIONS = ['Partition', 'X-Partwright', 'X-Partwright-Disk', 'X-Partwright-Blob'] as const;
type KnownSection = (typeof KNOWN_SECTIONS)[number];

const GRAIN = 4096;
const roundDown = (v: number): number => Math.floor(v / GRAIN) * GRAIN;
const roundUp = (v: number): number => Math.ceil(v / GRAIN) * GRAIN;

/** Read one file (any name), without the directory-level merge. */
export function readConfFile(name: string, text: string): ConfFileContents {
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, severity: Diagnostic['severity'], message: string): void => {
    diagnostics.push({ file: name, line, severity, message });
  };
  const { items, problems } = lexConf(text);
  for (const p of problems) report(p.line, p.severity, p.message);

  const partition: Partial<PartitionSpec> = {};
  let hasPartition = false;
  let typeLine: number | undefined;
  const disk = new Map<string, ConfFileContents['disk'][number]>();
  const blobs: ConfFileContents['blobs'] = [];
  const fieldLines: Record<string, number> = {};
  let section: KnownSection | undefined;
  let sectionIgnored = false;

  for (const item of items) {
    if (item.kind === 'section') {
      const known = (KNOWN_SECTIONS as readonly string[]).includes(item.name);
      if (!known) {
        report(
          item.line,
          'warning',
          item.name.startsWith('X-')
            ? `Unknown extension section '${item.name}'. Ignoring.`
            : `Unknown section '${item.name}'. Ignoring.`,
        );
        section = undefined;
        sectionIgnored = true;
        continue;
      }
      section = item.name as KnownSection;
      sectionIgnored = false;
      if (section === 'Partition' || section === 'X-Partwright') hasPartition = true;
      if (section === 'X-Partwright-Blob') blobs.push({ blob: {}, line: item.line });
      continue;
    }
    if (!section) {
      if (!sectionIgnored) report(item.line, 'warning', 'Assignment outside of section. Ignoring.');
      continue;
    }
    if (item.kind === 'junk') {
      report(
        item.line,
        'warning',
        item.reason === 'missing-equals' ? "Missing '=', ignoring line." : "Missing key name before '=', ignoring line.",
      );
      continue;
    }
    const unknownKey = (): void => {
      report(
        item.line,
        'warning',
        item.key.startsWith('X-')
          ? `Extension key '${item.key}' in section [${section}] is not used, ignoring.`
          : `Unknown key '${item.key}' in section [${section}], ignoring.`,
      );
    };
    let field: FieldDef<never, unknown> | undefined;
    let target: unknown;
    if (section === 'Partition' || section === 'X-Partwright') {
      field = partitionFieldByConfKey(section, item.key) as FieldDef<never, unknown> | undefined;
      target = partition;
    } else if (section === 'X-Partwright-Blob') {
      field = blobFieldByConfKey(item.key) as FieldDef<never, unknown> | undefined;
      target = blobs[blobs.length - 1]?.blob;
    } else {
      const f = diskFieldByConfKey(item.key);
      if (!f) {
        unknownKey();
        continue;
      }
      const outcome = f.parse(item.value);
      const unsaveable = outcome.kind === 'set' ? f.check(outcome.value) : undefined;
      if (outcome.kind === 'invalid') report(item.line, outcome.severity, outcome.message);
      else if (unsaveable) report(item.line, 'error', notSaveable(f.confKey, unsaveable));
      else {
        for (const n of outcome.kind === 'set' ? (outcome.notes ?? []) : []) report(item.line, 'warning', n);
        disk.set(f.confKey, {
          field: f,
          value: outcome.kind === 'set' ? outcome.value : undefined,
          reset: outcome.kind === 'reset',
          line: item.line,
        });
      }
      continue;
    }
    if (!field) {
      unknownKey();
      continue;
    }
    const outcome = field.parse(item.value);
    if (outcome.kind === 'invalid') {
      report(item.line, outcome.severity, outcome.message);
      continue;
    }
    if (outcome.kind === 'set') {
      // Whatever is accepted must survive layout JSON (autosave, files, share links) unchanged.
      const unsaveable = field.check(outcome.value);
      if (unsaveable) {
        report(item.line, 'error', notSaveable(item.key, unsaveable));
        continue;
      }
      for (const n of outcome.notes ?? []) report(item.line, 'warning', n);
    }
    fieldLines[field.id] = item.line;
    if (field.id === 'type' && section === 'Partition') typeLine = item.line;
    applyParsed(field as FieldDef<unknown, unknown>, target, outcome);
  }

  const hadError = diagnostics.some((d) => d.severity === 'error');
  let result: PartitionSpec | undefined;
  if (hasPartition) {
    result = partition as PartitionSpec;
    if (!hadError) checkPartition(result, (m) => report(1, 'error', m));
  } else if (disk.size > 0 || blobs.length > 0) {
    report(
      1,
      'warning',
      'No [Partition] section: systemd-repart would refuse this file (Type= not defined); only its Partwright settings are read.',
    );
  } else if (!hadError) {
    report(1, 'error', 'Type= not defined, refusing.');
  }

  for (const b of blobs) {
    for (const f of BLOB_FIELDS) {
      if (f.required && f.get(b.blob as BlobSpec) === undefined) {
        report(b.line, 'error', `[X-Partwright-Blob] needs ${f.confKey}=.`);
      }
    }
  }

  return { name, partition: result, typeLine, disk: [...disk.values()], blobs, fieldLines, diagnostics };
}

function notSaveable(confKey: string, problem: string): string {
  return `${confKey}= ${problem.startsWith('[') ? `entry ${problem}` : problem}, refusing (a layout must be saved and reopened unchanged).`;
}

/** The consistency checks repart makes after reading a definition (partition_read_definition). */
function checkPartition(p: PartitionSpec, fail: (message: string) => void): void {
  if (p.type === undefined) fail('Type= not defined, refusing.');
  // repart compares the values after rounding (min down, max up, to 4096).
  if (p.sizeMinBytes !== undefined && p.sizeMaxBytes !== undefined && roundDown(p.sizeMinBytes) > roundUp(p.sizeMaxBytes)) {
    fail('SizeMinBytes= larger than SizeMaxBytes=, refusing.');
  }
  if (
    p.paddingMinBytes !== undefined &&
    p.paddingMaxBytes !== undefined &&
    roundDown(p.paddingMinBytes) > roundUp(p.paddingMaxBytes)
  ) {
    fail('PaddingMinBytes= larger than PaddingMaxBytes=, refusing.');
  }
  const copies = (p.copyFiles?.length ?? 0) > 0 || (p.makeDirectories?.length ?? 0) > 0;
  if (p.copyBlocks !== undefined && (p.format !== undefined || copies)) {
    fail('Format=/CopyFiles=/MakeDirectories= and CopyBlocks= cannot be combined, refusing.');
  }
  if (copies && p.format === 'swap') fail('Format=swap and CopyFiles= cannot be combined, refusing.');
  const verity = p.verity ?? 'off';
  if (verity !== 'off' && p.verityMatchKey === undefined) fail(`VerityMatchKey= must be set if Verity=${verity}`);
  if (verity === 'off' && p.verityMatchKey !== undefined) fail('VerityMatchKey= can only be set if Verity= is not "off"');
  if ((verity === 'hash' || verity === 'signature') && (copies || p.copyBlocks !== undefined || p.format !== undefined)) {
    fail(`CopyBlocks=/CopyFiles=/Format=/MakeDirectories= cannot be used with Verity=${verity}`);
  }
  if (verity !== 'off' && (p.encrypt ?? 'off') !== 'off') fail('Encrypting verity hash/data partitions is not supported');
  if (verity === 'signature' && (p.sizeMinBytes !== undefined || p.sizeMaxBytes !== undefined)) {
    fail('SizeMinBytes=/SizeMaxBytes= cannot be used with Verity=signature');
  }
}

function baseName(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? name : name.slice(i + 1);
}

/** strcmp() order of file names, as repart lists a definitions directory. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Merge files (already in order) into one ImageSpec. */
function mergeFiles(contents: ConfFileContents[], diagnostics: Diagnostic[]): ImageSpec {
  const spec: ImageSpec = { table: 'gpt', partitions: [] };
  const seen = new Map<string, { file: string; line: number }>();
  for (const c of contents) {
    diagnostics.push(...c.diagnostics);
    for (const a of c.disk) {
      const prev = seen.get(a.field.confKey);
      if (prev) {
        diagnostics.push({
          file: c.name,
          line: a.line,
          severity: 'error',
          message: `${a.field.confKey}= in [X-Partwright-Disk] is already set in ${prev.file}:${prev.line}`,
        });
        continue;
      }
      seen.set(a.field.confKey, { file: c.name, line: a.line });
      (a.field as FieldDef<ImageSpec, unknown>).set(spec, a.reset ? undefined : a.value);
    }
    if (!spec.table) spec.table = 'gpt';
    if (c.partition) spec.partitions.push({ ...c.partition, sourceName: baseName(c.name) });
    for (const b of c.blobs) (spec.blobs ??= []).push(b.blob as BlobSpec);
  }
  checkImageLimits(spec, contents, seen, diagnostics);
  // Type= names like root-secondary depend on the architecture, known only now.
  const arch = spec.architecture ?? 'x86-64';
  for (const c of contents) {
    const t = c.partition?.type;
    if (t !== undefined && !resolvePartitionType(t, arch)) {
      diagnostics.push({
        file: c.name,
        line: c.typeLine ?? 1,
        severity: 'error',
        message: `Failed to parse partition type: ${t} (not defined for architecture ${arch})`,
      });
    }
  }
  return spec;
}

/** What only the whole directory shows: the limits layout JSON has, and settings that need another. */
function checkImageLimits(spec: ImageSpec, contents: ConfFileContents[], seen: Map<string, { file: string; line: number }>, diagnostics: Diagnostic[]): void {
  const withPartition = contents.filter((c) => c.partition);
  if (withPartition.length > MAX_PARTITIONS) {
    const first = withPartition[MAX_PARTITIONS]!;
    diagnostics.push({ file: first.name, line: 1, severity: 'error', message: `Too many definitions: ${withPartition.length}, at most ${MAX_PARTITIONS} (this is definition ${MAX_PARTITIONS + 1}), refusing.` });
  }
  const blobCount = contents.reduce((n, c) => n + c.blobs.length, 0);
  if (blobCount > MAX_BLOBS) {
    const last = contents.filter((c) => c.blobs.length).at(-1)!;
    diagnostics.push({ file: last.name, line: last.blobs.at(-1)!.line, severity: 'error', message: `Too many [X-Partwright-Blob] sections: ${blobCount}, at most ${MAX_BLOBS}, refusing.` });
  }
  const inPlace = seen.get('BaseImageInPlace');
  if (spec.base && spec.base.source === undefined && inPlace) {
    diagnostics.push({ file: inPlace.file, line: inPlace.line, severity: 'error', message: 'BaseImageInPlace= needs BaseImage= (the image to modify), refusing.' });
  }
}

/**
 * The importer's invariant: an accepted directory saves to layout JSON and reopens as the same
 * spec. Anything that would not is refused here, at the file (and line) it came from.
 */
function checkRoundTrip(spec: ImageSpec, contents: ConfFileContents[], diagnostics: Diagnostic[]): void {
  if (diagnostics.some((d) => d.severity === 'error')) return;
  const text = stringifyLayoutJson(spec);
  const reread = readLayoutJson(text);
  const partitionFiles = contents.filter((c) => c.partition);
  const place = (path: string | undefined): { file: string; line: number } => {
    const m = /^partitions\[(\d+)\](?:\.(\w+))?/.exec(path ?? '');
    const c = m ? partitionFiles[Number(m[1])] : undefined;
    if (c) return { file: c.name, line: (m?.[2] && c.fieldLines[m[2]]) || 1 };
    return { file: contents[0]?.name ?? 'layout', line: 1 };
  };
  for (const d of reread.diagnostics) {
    if (d.severity !== 'error') continue;
    diagnostics.push({ ...place(d.path), severity: 'error', message: `This layout could not be saved and reopened (${d.path || 'layout'}: ${d.message}), refusing.` });
  }
  if (reread.spec && stringifyLayoutJson(reread.spec) !== text) {
    const path = firstDifference(JSON.parse(text), JSON.parse(stringifyLayoutJson(reread.spec)), '');
    diagnostics.push({ ...place(path), severity: 'error', message: `This layout would not reopen identically (${path || 'layout'} changes when saved), refusing.` });
  }
}

function firstDifference(a: unknown, b: unknown, path: string): string {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) return firstDifference(x, y, Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  }
  return path;
}

/**
 * Read a repart.d directory: only `*.conf` files, in file-name order; the first of two files with the
 * same name wins (repart's directory precedence). Returns the spec and every diagnostic; the spec
 * is only meaningful when no diagnostic is an error.
 */
export function parseRepartDirectory(files: readonly ConfFile[]): RepartImport {
  const diagnostics: Diagnostic[] = [];
  const chosen = new Map<string, ConfFile>();
  for (const f of files) {
    const base = baseName(f.name);
    if (!base.endsWith('.conf')) {
      diagnostics.push({ file: f.name, line: 0, severity: 'warning', message: 'Not a *.conf file, skipped.' });
      continue;
    }
    const prev = chosen.get(base);
    if (prev) {
      diagnostics.push({
        file: f.name,
        line: 0,
        severity: 'warning',
        message: `Same file name as ${prev.name}, which takes precedence; skipped.`,
      });
      continue;
    }
    chosen.set(base, f);
  }
  const ordered = [...chosen.entries()].sort((a, b) => compareNames(a[0], b[0])).map(([, f]) => f);
  const contents = ordered.map((f) => readConfFile(baseName(f.name), f.text));
  const spec = mergeFiles(contents, diagnostics);
  checkRoundTrip(spec, contents, diagnostics);
  return { spec, diagnostics };
}

/** Read a single definition file (its name need not end in `.conf`). */
export function parseRepartConf(name: string, text: string): RepartImport {
  const diagnostics: Diagnostic[] = [];
  const contents = [readConfFile(name, text)];
  const spec = mergeFiles(contents, diagnostics);
  checkRoundTrip(spec, contents, diagnostics);
  return { spec, diagnostics };
}

