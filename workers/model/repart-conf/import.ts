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
      if (outcome.kind === 'invalid') report(item.line, outcome.severity, outcome.message);
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
    if (outcome.kind === 'set') for (const n of outcome.notes ?? []) report(item.line, 'warning', n);
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

  return { name, partition: result, typeLine, disk: [...disk.values()], blobs, diagnostics };
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
  const spec = mergeFiles(
    ordered.map((f) => readConfFile(baseName(f.name), f.text)),
    diagnostics,
  );
  return { spec, diagnostics };
}

/** Read a single definition file (its name need not end in `.conf`). */
export function parseRepartConf(name: string, text: string): RepartImport {
  const diagnostics: Diagnostic[] = [];
  const spec = mergeFiles([readConfFile(name, text)], diagnostics);
  return { spec, diagnostics };
}

