/**
 * repart.d → ImageSpec. One partition per `*.conf` file (its `[Partition]` section, plus Partwright's
 * `[X-Partwright]`), image settings from `[X-Partwright-Disk]` and first-boot settings from
 * `[X-Partwright-CloudInit]` (in any file, each key set in one file only), blobs from
 * `[X-Partwright-Blob]` (each header starts a new blob).
 *
 * Severities follow systemd-repart 252 (checked against /usr/bin/systemd-repart): `error` where repart
 * refuses the definitions, `warning` where it logs and ignores. Nothing is dropped without a message.
 */
import type { Diagnostic } from '../diagnostics.ts';
import {
  BLOB_FIELDS,
  applyParsed,
  blobFieldByConfKey,
  cloudInitFieldByConfKey,
  cloudInitFieldByKey,
  diskFieldByConfKey,
  partitionFieldByConfKey,
  type CloudInitField,
  type DiskField,
  type FieldDef,
  type ParseEnv,
} from '../fields.ts';
import { cloudInitSpecProblems, hasCloudInitSettings } from '../cloud-init.ts';
import { resolvePartitionType } from '../partition-types.ts';
import type { BlobSpec, ImageSpec, PartitionSpec } from '../spec.ts';
import { MAX_BLOBS, MAX_PARTITIONS, readLayoutJson, stringifyLayoutJson } from '../layout-json.ts';
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
  /**
   * `[X-Partwright-Disk]` and `[X-Partwright-CloudInit]` assignments that parsed (the last one of a
   * key in this file; a list key's items gathered).
   */
  disk: { field: DiskField | CloudInitField; value: unknown; reset: boolean; line: number }[];
  blobs: { blob: Partial<BlobSpec>; line: number }[];
  /** Line of the last assignment of each partition field, by field id (for late checks). */
  fieldLines: Record<string, number>;
  /** File (main or drop-in) and line of the last assignment of each partition field, by field id. */
  fieldPlaces: Record<string, { file: string; line: number }>;
  diagnostics: Diagnostic[];
}

/**
 * [Partition] keys of newer repart versions that Partwright reads but does not act on (yet). Keys
 * whose whole point is something Partwright cannot make (LUKS, btrfs subvolumes) are errors naming
 * the key: building without them would give a different image than the user asked for. The rest
 * are warnings (the image is still what repart makes, minus the side effect).
 */
const NEWER_KEYS: Readonly<Record<string, { since: number; refuse?: string }>> = {
  Subvolumes: { since: 255, refuse: 'btrfs subvolumes' },
  DefaultSubvolume: { since: 256, refuse: 'btrfs subvolumes' },
  EncryptedVolume: { since: 256, refuse: 'LUKS encryption' },
  Integrity: { since: 258, refuse: 'dm-integrity under LUKS' },
  IntegrityAlgorithm: { since: 258, refuse: 'dm-integrity under LUKS' },
  TPM2PCRs: { since: 258, refuse: 'LUKS encryption bound to a TPM2' },
  KeyFile: { since: 258, refuse: 'LUKS encryption' },
  FileSystemSectorSize: { since: 258 },
  EncryptKDF: { since: 259, refuse: 'LUKS encryption' },
  AddValidateFS: { since: 258 },
};

const KNOWN_SECTIONS = ['Partition', 'X-Partwright', 'X-Partwright-Disk', 'X-Partwright-Blob', 'X-Partwright-CloudInit'] as const;
type KnownSection = (typeof KNOWN_SECTIONS)[number];

const GRAIN = 4096;
const roundDown = (v: number): number => Math.floor(v / GRAIN) * GRAIN;
const roundUp = (v: number): number => Math.ceil(v / GRAIN) * GRAIN;

/**
 * Read one definition (any name), without the directory-level merge: the main file, then its
 * drop-ins (`NAME.conf.d/*.conf`, already in order) as if appended to it — later assignments
 * override earlier ones and list keys append, as systemd's config_parse_many() reads them. Each file
 * starts outside any section.
 */
export function readConfFile(name: string, text: string, dropIns: readonly ConfFile[] = [], env?: ParseEnv): ConfFileContents {
  const diagnostics: Diagnostic[] = [];
  let file = name;
  const report = (line: number, severity: Diagnostic['severity'], message: string): void => {
    diagnostics.push({ file, line, severity, message });
  };

  const partition: Partial<PartitionSpec> = {};
  let hasPartition = false;
  let typeLine: number | undefined;
  const disk = new Map<string, ConfFileContents['disk'][number]>();
  const fieldLines: Record<string, number> = {};
  const fieldPlaces: Record<string, { file: string; line: number }> = {};
  const blobs: ConfFileContents['blobs'] = [];

  for (const source of [{ name, text }, ...dropIns]) {
    file = source.name;
    const { items, problems } = lexConf(source.text);
    for (const p of problems) report(p.line, p.severity, p.message);
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
        const newer = section === 'Partition' ? NEWER_KEYS[item.key] : undefined;
        if (newer?.refuse) {
          report(item.line, 'error', `${item.key}= (systemd-repart ${newer.since}) needs ${newer.refuse}, which Partwright does not make yet; remove the key.`);
          return;
        }
        if (newer) {
          report(item.line, 'warning', `${item.key}= (systemd-repart ${newer.since}) is not acted on by Partwright yet, ignoring.`);
          return;
        }
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
        const f = section === 'X-Partwright-CloudInit' ? cloudInitFieldByConfKey(item.key) : diskFieldByConfKey(item.key);
        if (!f) {
          unknownKey();
          continue;
        }
        const outcome = (f.parse as FieldDef<never, unknown>['parse'])(item.value, env);
        const unsaveable = outcome.kind === 'set' ? f.check(outcome.value) : undefined;
        if (outcome.kind === 'invalid') report(item.line, outcome.severity, outcome.message);
        else if (unsaveable) report(item.line, 'error', notSaveable(f.confKey, unsaveable));
        else {
          for (const n of outcome.kind === 'set' ? (outcome.notes ?? []) : []) report(item.line, 'warning', n);
          const key = `${section}:${f.confKey}`;
          const prev = disk.get(key);
          // A list key (SSHAuthorizedKeys=) appends; an empty assignment clears it.
          const value = outcome.kind !== 'set' ? undefined : f.list ? [...((prev?.value as unknown[] | undefined) ?? []), ...(outcome.value as unknown[])] : outcome.value;
          disk.set(key, { field: f, value, reset: outcome.kind === 'reset', line: item.line });
        }
        continue;
      }
      if (!field) {
        unknownKey();
        continue;
      }
      const outcome = field.parse(item.value, env);
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
      fieldPlaces[field.id] = { file, line: item.line };
      if (field.id === 'type' && section === 'Partition') typeLine = item.line;
      applyParsed(field as FieldDef<unknown, unknown>, target, outcome);
    }
  }
  file = name;

  const hadError = diagnostics.some((d) => d.severity === 'error');
  let result: PartitionSpec | undefined;
  if (hasPartition) {
    result = partition as PartitionSpec;
    if (!hadError) checkPartition(result, (m) => report(1, 'error', m));
    // partition_read_definition() (newest) warns the same way, at line 1 of the file.
    if (result.discard === true && (result.encrypt ?? 'off') === 'off') {
      diagnostics.push({ ...(fieldPlaces.discard ?? { file: name, line: 1 }), severity: 'warning', message: 'Discard=yes has no effect with Encrypt=off.' });
    }
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

  return { name, partition: result, typeLine, disk: [...disk.values()], blobs, fieldLines, fieldPlaces, diagnostics };
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
  // partition_read_definition() (newest): a supplement cannot copy blocks, encrypt or be a verity partition.
  if (p.supplementFor !== undefined && (p.copyBlocks !== undefined || (p.encrypt ?? 'off') !== 'off' || verity !== 'off')) {
    fail('SupplementFor= cannot be combined with CopyBlocks=/Encrypt=/Verity=');
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
      const key = `${a.field.section}:${a.field.confKey}`;
      const prev = seen.get(key);
      if (prev) {
        diagnostics.push({
          file: c.name,
          line: a.line,
          severity: 'error',
          message: `${a.field.confKey}= in [${a.field.section}] is already set in ${prev.file}:${prev.line}`,
        });
        continue;
      }
      seen.set(key, { file: c.name, line: a.line });
      (a.field as FieldDef<ImageSpec, unknown>).set(spec, a.reset ? undefined : a.value);
    }
    if (!spec.table) spec.table = 'gpt';
    if (c.partition) spec.partitions.push({ ...c.partition, sourceName: baseName(c.name) });
    for (const b of c.blobs) (spec.blobs ??= []).push(b.blob as BlobSpec);
  }
  checkImageLimits(spec, contents, seen, diagnostics);
  checkCloudInit(spec, seen, diagnostics);
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

/** A definitions directory: its path (for messages; '' for none) and its files, named relative to it. */
export interface ConfDirectory {
  dir: string;
  files: readonly ConfFile[];
}

/** Where each partition of a directory import came from (repart's JSON `file` and `drop-in_files`). */
export interface DefinitionSource {
  /** The main file, with its directory. */
  file: string;
  /** Its drop-ins, in the order they were applied, with their directories. */
  dropIns: string[];
  /** Where each key (by partition field id) was last set: file and line, for later messages. */
  places?: Record<string, { file: string; line: number }>;
}

export interface RepartDirectoryImport extends RepartImport {
  /** One entry per `spec.partitions` entry. */
  sources: DefinitionSource[];
}

/** A drop-in directory's name: the definition's file name plus `.d`. */
const DROP_IN_DIR = /^.+\.conf\.d$/;

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
  const inPlace = seen.get('X-Partwright-Disk:BaseImageInPlace');
  if (spec.base && spec.base.source === undefined && inPlace) {
    diagnostics.push({ file: inPlace.file, line: inPlace.line, severity: 'error', message: 'BaseImageInPlace= needs BaseImage= (the image to modify), refusing.' });
  }
}

/**
 * [X-Partwright-CloudInit] as a whole, at the line of the key that breaks it: settings that need
 * another (a password hash needs a user), and Partition= naming a vfat partition of this layout.
 * Warnings, not refusals: layout JSON and the app hold such a layout while it is being edited (it
 * exports to these files), and the engine's validation (cloudInitSpecProblems) refuses it at build.
 */
function checkCloudInit(spec: ImageSpec, seen: Map<string, { file: string; line: number }>, diagnostics: Diagnostic[]): void {
  const c = spec.cloudInit;
  if (!c) return;
  const at = (key: keyof typeof c): { file: string; line: number } =>
    seen.get(`X-Partwright-CloudInit:${cloudInitFieldByKey(key).confKey}`) ?? { file: [...seen.values()][0]?.file ?? 'layout', line: 1 };
  for (const p of cloudInitSpecProblems(spec)) {
    const key = cloudInitFieldByKey(p.field).confKey;
    const value = p.field === 'partition' ? c.partition : undefined;
    diagnostics.push({ ...at(p.field), severity: 'warning', message: `${key}=${value ?? ''}: ${p.message} A build refuses this layout until it is fixed.` });
  }
  if (!hasCloudInitSettings(c)) {
    diagnostics.push({ ...at('partition'), severity: 'warning', message: '[X-Partwright-CloudInit] has only Partition=: there is no first-boot setting, so no seed is written.' });
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
 * Read one or more repart.d directories the way repart does (conf_files_list_strv and
 * config_parse_many): every `*.conf` file of every directory, sorted by file name; of two files with
 * the same name the one in the earlier directory wins (systemd-repart 252 and later, checked with
 * /usr/bin/systemd-repart and two --definitions= options). Each definition's drop-ins are the
 * `NAME.conf.d/*.conf` files found under every directory (again the earlier directory wins per drop-in
 * name), applied in file-name order after the main file. Files in other places are skipped with a
 * warning. Returns the spec and every diagnostic; the spec is only meaningful when no diagnostic is an
 * error.
 */
export function parseRepartDirectories(dirs: readonly ConfDirectory[], env?: ParseEnv): RepartDirectoryImport {
  const diagnostics: Diagnostic[] = [];
  const where = (dir: string, name: string): string => (dir ? `${dir.replace(/\/+$/, '')}/${name}` : name);
  const chosen = new Map<string, { file: ConfFile; at: string }>();
  const dropIns = new Map<string, Map<string, { file: ConfFile; at: string }>>();
  for (const d of dirs) {
    for (const f of d.files) {
      const at = where(d.dir, f.name);
      const parts = f.name.split('/').filter((x) => x !== '' && x !== '.');
      const base = parts[parts.length - 1] ?? '';
      const parent = parts[parts.length - 2];
      if (parent !== undefined && DROP_IN_DIR.test(parent)) {
        const owner = parent.slice(0, -2);
        if (!base.endsWith('.conf')) {
          diagnostics.push({ file: at, line: 0, severity: 'warning', message: 'Not a *.conf drop-in, skipped.' });
          continue;
        }
        const forOwner = dropIns.get(owner) ?? new Map<string, { file: ConfFile; at: string }>();
        dropIns.set(owner, forOwner);
        const prev = forOwner.get(base);
        if (prev) {
          diagnostics.push({ file: at, line: 0, severity: 'warning', message: `Same drop-in name as ${prev.at}, which takes precedence; skipped.` });
          continue;
        }
        forOwner.set(base, { file: f, at });
        continue;
      }
      if (!base.endsWith('.conf')) {
        diagnostics.push({ file: at, line: 0, severity: 'warning', message: 'Not a *.conf file, skipped.' });
        continue;
      }
      const prev = chosen.get(base);
      if (prev) {
        diagnostics.push({ file: at, line: 0, severity: 'warning', message: `Same file name as ${prev.at}, which takes precedence; skipped.` });
        continue;
      }
      chosen.set(base, { file: f, at });
    }
  }
  for (const [owner, files] of dropIns) {
    if (!chosen.has(owner)) {
      for (const { at } of files.values()) {
        diagnostics.push({ file: at, line: 0, severity: 'warning', message: `Drop-in for ${owner}, which no definitions directory holds; skipped.` });
      }
    }
  }
  const ordered = [...chosen.entries()].sort((a, b) => compareNames(a[0], b[0]));
  const sources: DefinitionSource[] = [];
  const contents = ordered.map(([base, { file, at }]) => {
    const extra = [...(dropIns.get(base)?.entries() ?? [])].sort((a, b) => compareNames(a[0], b[0])).map(([, v]) => v);
    const c = readConfFile(at, file.text, extra.map((e) => ({ name: e.at, text: e.file.text })), env);
    if (c.partition) sources.push({ file: at, dropIns: extra.map((e) => e.at), places: c.fieldPlaces });
    return { ...c, name: base };
  });
  const spec = mergeFiles(contents, diagnostics);
  checkRoundTrip(spec, contents, diagnostics);
  return { spec, diagnostics, sources };
}

/**
 * Read a repart.d directory (files named relative to it, drop-ins as `NAME.conf.d/X.conf`): see
 * parseRepartDirectories().
 */
export function parseRepartDirectory(files: readonly ConfFile[], env?: ParseEnv): RepartDirectoryImport {
  return parseRepartDirectories([{ dir: '', files }], env);
}

/** Read a single definition file (its name need not end in `.conf`). */
export function parseRepartConf(name: string, text: string): RepartImport {
  const diagnostics: Diagnostic[] = [];
  const contents = [readConfFile(name, text)];
  const spec = mergeFiles(contents, diagnostics);
  checkRoundTrip(spec, contents, diagnostics);
  return { spec, diagnostics };
}

