/**
 * What several commands share: LAYOUT or --preset, sizes, seeds, copy sources and base images.
 */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { ARCHITECTURES, normalizeGuid, resolvePartitionType, type Architecture } from '../../workers/model/partition-types.ts';
import { DEFAULT_ARCHITECTURE } from '../../workers/model/spec.ts';
import { unknownTo252 } from '../../workers/model/fields.ts';
import { PRESETS, layoutPreset, presetByName, presetLayout } from '../../workers/model/presets/index.ts';
import { cloudInitSpecProblems, type CloudInitSpec } from '../../workers/model/cloud-init.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { loadLayout, resolveLayoutPath, specifierEnv } from '../../workers/hosts/node/layout-files.ts';
import { decideBaseImage, EMPTY_MODES, type EmptyMode } from '../../workers/build/empty-mode.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';

export function exactlyOne(args: ParsedArgs, what: string): string {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length ? `expected one ${what}, got ${args.positionals.length}: ${args.positionals.join(' ')}` : `missing ${what}`);
  }
  return args.positionals[0]!;
}

export function sizeOption(args: ParsedArgs): number | 'auto' | undefined {
  const v = flag(args, 'size');
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  return parseSize(v);
}

export function seedOption(args: ParsedArgs): string | undefined {
  const v = flag(args, 'seed');
  if (v === undefined) return undefined;
  const g = normalizeGuid(v);
  if (!g) throw new UsageError(`--seed ${v} is not a UUID (e.g. 0867da16-f251-457d-a9e8-c31f9a3c220b)`);
  return g;
}

export interface Prepared {
  spec: ReturnType<typeof loadLayout>['spec'];
  layoutDir: string;
  copySource: string | undefined;
  basePath: string | undefined;
  /** repart.d layouts: the files each partition came from. */
  sources: ReturnType<typeof loadLayout>['sources'];
}

export function prepare(args: ParsedArgs): Prepared {
  const presetName = flag(args, 'preset');
  const named = presetName === undefined ? undefined : presetByName(presetName);
  if (presetName !== undefined && !named) throw new UsageError(`no preset '${presetName}'; presets are ${PRESETS.map((p) => p.name).join(', ')}`);
  let spec: Prepared['spec'];
  let layoutDir: string;
  let sources: Prepared['sources'];
  if (named && !args.positionals.length && !args.flags.has('definitions')) {
    // --preset NAME alone: the preset's own layout.
    spec = presetLayout(named);
    layoutDir = process.cwd();
  } else {
    const extra = args.flags.get('definitions') ?? [];
    const layoutPaths = args.positionals.length === 0 && extra.length > 0
      ? extra
      : [exactlyOne(args, 'LAYOUT (a repart.d directory or a layout .json file), --definitions DIR, or --preset NAME'), ...extra];
    const loaded = loadLayout(layoutPaths, specifierEnv({
      osReleasePath: flag(args, 'os-release'),
      imageVersion: flag(args, 'image-version'),
      imageId: flag(args, 'image-id'),
      architecture: flag(args, 'architecture'),
      hostSpecifiers: args.flags.has('host-specifiers'),
    }));
    spec = loaded.spec;
    layoutDir = loaded.layoutDir;
    sources = loaded.sources;
    for (const w of loaded.warnings) process.stderr.write(`partwright: warning: ${w.file}:${w.line}: ${w.message}\n`);
    // --preset NAME with a layout: the layout's Preset= set (or overridden) to NAME.
    if (named) spec.preset = named.name;
  }
  const architecture = flag(args, 'architecture');
  if (architecture !== undefined) {
    if (!(ARCHITECTURES as readonly string[]).includes(architecture)) throw new UsageError(`--architecture ${architecture}: give one of ${ARCHITECTURES.join(', ')}`);
    // repart --architecture= (v254): Type=root, usr … mean this architecture's types.
    spec.architecture = architecture as Architecture;
  }
  const repartVersion = flag(args, 'repart-version');
  if (repartVersion !== undefined) {
    if (repartVersion !== '252' && repartVersion !== 'latest') throw new UsageError(`--repart-version ${repartVersion}: give 252 or latest`);
    spec.repartVersion = repartVersion;
  }
  if ((spec.repartVersion ?? 'latest') === '252') {
    for (const u of unknownTo252(spec)) {
      const place = u.specIndex === undefined ? undefined : sources?.[u.specIndex]?.places?.[u.fieldId];
      const where = u.specIndex === undefined ? '[X-Partwright-Disk]' : place ? `${place.file}:${place.line}` : (spec.partitions[u.specIndex]?.sourceName ?? `partition ${u.specIndex + 1}`);
      process.stderr.write(`partwright: warning: ${where}: ${u.confKey}= (systemd-repart ${u.since}) is unknown to systemd-repart 252, which ignores it (RepartVersion=252); ignoring.\n`);
    }
  }
  const sectorSize = flag(args, 'sector-size');
  if (sectorSize !== undefined) {
    const n = Number(sectorSize);
    if (n !== 512 && n !== 1024 && n !== 2048 && n !== 4096) throw new UsageError(`--sector-size ${sectorSize}: give 512, 1024, 2048 or 4096`);
    spec.sectorSizeBytes = n;
  }
  // --include-partitions= / --exclude-partitions= (repart v255): the other definitions are not read.
  const list = (name: string) => flag(args, name)?.split(',').map((t) => t.trim()).filter(Boolean);
  const include = list('include-partitions');
  const exclude = list('exclude-partitions');
  if (include && exclude) throw new UsageError('Combination of --include-partitions= and --exclude-partitions= is invalid.');
  if (include || exclude) {
    const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
    const guids = (names: string[], option: string) => new Set(names.map((t) => {
      const r = resolvePartitionType(t, arch);
      if (!r) throw new UsageError(`--${option}: unknown partition type ${t}`);
      return r.guid;
    }));
    const set = include ? guids(include, 'include-partitions') : guids(exclude!, 'exclude-partitions');
    const keep = spec.partitions.map((p) => {
      const g = resolvePartitionType(p.type, arch)?.guid;
      return g === undefined || (include ? set.has(g) : !set.has(g));
    });
    spec.partitions = spec.partitions.filter((_, i) => keep[i]);
    if (sources) sources = sources.filter((_, i) => keep[i]);
  }
  const copySourceFlag = flag(args, 'copy-source');
  const copySource = copySourceFlag !== undefined ? path.resolve(copySourceFlag) : spec.copySource !== undefined ? path.resolve(layoutDir, spec.copySource) : undefined;
  const baseFlag = flag(args, 'base');
  const basePath = baseFlag !== undefined ? path.resolve(baseFlag) : spec.base ? resolveLayoutPath(spec.base.source, layoutDir, undefined) : undefined;
  // A preset's boot files are absolute copy-source paths: without a copy source they would be the host's own /boot.
  const preset = layoutPreset(spec);
  if (preset?.inputs.length && copySource === undefined) {
    throw new UsageError(`preset '${preset.name}' needs --copy-source DIR${named ? '' : ' (or CopySource= in the layout)'} holding ${preset.inputs.map((i) => i.path).join(', ')} (see partwright presets)`);
  }
  return { spec, layoutDir, copySource, basePath, sources };
}


/** SOURCE_DATE_EPOCH from the environment (whole seconds), as every host passes it to the build job. */
export function sourceDateEpochEnv(): number | undefined {
  const sde = process.env.SOURCE_DATE_EPOCH;
  return sde !== undefined && /^\d+$/.test(sde) ? Number(sde) : undefined;
}

/**
 * --cloud-init-*: first-boot settings on top of the layout's [X-Partwright-CloudInit]: a flag replaces
 * the layout's value, --cloud-init-ssh-key adds to its keys. Checked here, so a mistake is a usage
 * error naming the option; the build writes the seed from the spec this returns.
 */
export function withCloudInitOptions(spec: ImageSpec, args: ParsedArgs): ImageSpec {
  const keys = [
    ['hostname', 'cloud-init-hostname'], ['user', 'cloud-init-user'], ['passwordHash', 'cloud-init-password-hash'],
    ['wifiSsid', 'cloud-init-wifi-ssid'], ['wifiPassword', 'cloud-init-wifi-password'], ['wifiCountry', 'cloud-init-wifi-country'],
    ['locale', 'cloud-init-locale'], ['timezone', 'cloud-init-timezone'], ['partition', 'cloud-init-partition'],
  ] as const;
  const fromFlags: CloudInitSpec = {};
  for (const [key, name] of keys) {
    const v = flag(args, name);
    if (v !== undefined) fromFlags[key] = v;
  }
  const ssh = args.flags.get('cloud-init-ssh-key');
  if (ssh?.length) fromFlags.sshAuthorizedKeys = ssh;
  if (Object.keys(fromFlags).length === 0) return spec;
  const merged: CloudInitSpec = { ...spec.cloudInit, ...fromFlags };
  if (ssh?.length) merged.sshAuthorizedKeys = [...(spec.cloudInit?.sshAuthorizedKeys ?? []), ...ssh];
  const option = (field: keyof CloudInitSpec): string =>
    fromFlags[field] !== undefined || field === 'sshAuthorizedKeys'
      ? `--cloud-init-${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace('ssh-authorized-keys', 'ssh-key')}`
      : `${field} ([X-Partwright-CloudInit])`;
  const out: ImageSpec = { ...spec, cloudInit: merged };
  const problem = cloudInitSpecProblems(out)[0];
  if (problem) throw new UsageError(`${problem.field === 'partition' && merged.partition === undefined ? '--cloud-init-*' : option(problem.field)}: ${problem.message}`);
  return out;
}

/**
 * --defer-partitions= (repart v255): type identifiers or GUIDs, checked against the layout's
 * architecture. Deferred new partitions are planned but not written (their space stays free).
 */
export function deferPartitionsOption(args: ParsedArgs, spec: { architecture?: Architecture; repartVersion?: string }): string[] | undefined {
  const v = flag(args, 'defer-partitions');
  if (v === undefined) return undefined;
  if (spec.repartVersion === '252') throw new UsageError('--defer-partitions= came with systemd-repart 255; with --repart-version=252 it does not exist');
  const list = v.split(',').map((t) => t.trim()).filter(Boolean);
  const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
  for (const t of list) if (!resolvePartitionType(t, arch)) throw new UsageError(`--defer-partitions: unknown partition type ${t}`);
  return list;
}

/** --empty=MODE (repart's refuse|allow|require|force|create), checked as a usage error. */
export function emptyModeOption(args: ParsedArgs): EmptyMode | undefined {
  const v = flag(args, 'empty');
  if (v === undefined) return undefined;
  if (!(EMPTY_MODES as readonly string[]).includes(v)) throw new UsageError(`--empty=${v}: give one of ${EMPTY_MODES.join(', ')}`);
  return v as EmptyMode;
}

/**
 * What --empty= (over the layout's Empty=) makes of the base image (workers/build/empty-mode.ts
 * decideBaseImage, as the app's engine decides it): keep its table, or start over on a disk of its
 * size (unless --size or Size= gives one).
 */
export function emptyDecision(args: ParsedArgs, spec: ImageSpec, base: FileSource | undefined, basePath: string | undefined): { keepBase: boolean; sizeBytes?: number } {
  return decideBaseImage(spec, base ? { source: base, name: basePath! } : undefined, emptyModeOption(args) ?? spec.empty);
}

/** --copy-from=IMAGE (repeatable, repart 255): the images opened for reading, and the type filter that applies to them. */
export function copyFromOption(args: ParsedArgs): { images: { name: string; source: FileSource }[]; filter: { include?: string[]; exclude?: string[] } } {
  const list = (name: string) => flag(args, name)?.split(',').map((t) => t.trim()).filter(Boolean);
  const include = list('include-partitions');
  const exclude = list('exclude-partitions');
  const images = (args.flags.get('copy-from') ?? []).map((f) => {
    const p = path.resolve(f);
    try {
      return { name: f, source: new FileSource(p) };
    } catch {
      throw new UsageError(`--copy-from: cannot read ${f}`);
    }
  });
  return { images, filter: { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) } };
}

/** --grain-size=BYTES (newest repart): K/M/G suffixes; checked by the planner (a power of two, not in 252 mode). */
export function grainSizeOption(args: ParsedArgs): { grainSizeBytes?: number } {
  const v = flag(args, 'grain-size');
  return v === undefined ? {} : { grainSizeBytes: parseSize(v) };
}
