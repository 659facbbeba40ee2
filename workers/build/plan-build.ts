/**
 * The table a build writes, without building: `planBuild` (the CLI's `plan`, the app's exact plan)
 * and what it shares with the build job (run-build.ts): preset files over the host's inputs, the
 * layout's WASM tools, the base layer, SOURCE_DATE_EPOCH. Kept apart from run-build.ts so a plan
 * loads only model/ and plan/ code: the build's contents, file system writers and boot code are
 * imported when the layout has contents that size its partitions, and not otherwise.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import { toolsForPartitions, type ToolName } from '../model/registry.ts';
import type { ImagePlan } from '../plan/types.ts';
import type { ReadSource } from '../disk/sparse-image.ts';
import { planImage } from '../plan/plan-image.ts';
import { readExistingDisk } from './existing-disk.ts';
import type { BuildInputs, BuildOptions } from './build-image.ts';
import type { InputDir, InputEntry } from './input-tree.ts';
import type { BuildHost, RunBuildOptions } from './run-build.ts';
import { impliedFormat } from '../model/implied-format.ts';
import { withoutKeysUnknownTo252 } from '../model/fields.ts';
import { applyCopyFrom, copyFromImages, withCopyFromInputs } from './copy-from.ts';
import { mergeSupplementContents } from './supplements.ts';
import { layoutPreset } from '../model/presets/index.ts';

/** SOURCE_DATE_EPOCH as every host applies it: the layout's, else the host's. */
export function sourceDateEpochOf(spec: ImageSpec, hostEpoch: number | undefined): number | undefined {
  return spec.sourceDateEpoch ?? hostEpoch;
}

/** A preset's own text files, served from memory over the host's inputs. */
export function withPresetFiles(host: Pick<BuildHost, 'open' | 'openTree'>, files: Readonly<Record<string, string>> | undefined): BuildInputs {
  const bytesOf = (p: string) => (files && Object.hasOwn(files, p) ? new TextEncoder().encode(files[p]) : undefined);
  const source = (bytes: Uint8Array): ReadSource => ({ sizeBytes: bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) });
  return {
    open(path, what) {
      const bytes = bytesOf(path);
      return bytes ? source(bytes) : host.open(path, what);
    },
    openTree(path, what) {
      const file = (p: string, bytes: Uint8Array): InputEntry =>
        // Owned by root, 0644, and no time of its own: the writers give it SOURCE_DATE_EPOCH.
        ({ kind: 'file', name: p.slice(p.lastIndexOf('/') + 1), mode: 0o644, uid: 0, gid: 0, sizeBytes: bytes.length, read: source(bytes).read });
      const bytes = bytesOf(path);
      if (bytes) return file(path, bytes);
      // A folder of preset files (the installer ISO's EFI tree: loader.conf, its entry).
      const under = Object.keys(files ?? {}).filter((p) => p.startsWith(`${path.replace(/\/+$/, '')}/`)).sort();
      if (under.length === 0) return host.openTree(path, what);
      const prefix = path.replace(/\/+$/, '').split('/').filter(Boolean).length;
      const dir = (name: string): InputDir => ({ kind: 'dir', name, mode: 0o755, uid: 0, gid: 0, children: [] });
      const root = dir(path.slice(path.lastIndexOf('/') + 1));
      for (const p of under) {
        const parts = p.split('/').filter(Boolean).slice(prefix);
        let at = root;
        for (const part of parts.slice(0, -1)) {
          let next = at.children.find((c): c is InputDir => c.kind === 'dir' && c.name === part);
          if (!next) at.children.push((next = dir(part)));
          at = next;
        }
        at.children.push(file(p, bytesOf(p)!));
      }
      return root;
    },
  };
}

/** The WASM tools the layout's file systems need (registry), loaded before the synchronous build. */
export async function loadToolsFor(spec: ImageSpec, host: Pick<BuildHost, 'loadTool'>): Promise<(name: ToolName) => WebAssembly.Module> {
  const tools = new Map<ToolName, WebAssembly.Module>();
  for (const name of toolsForPartitions(withImpliedFormats(spec).partitions)) tools.set(name, await host.loadTool(name));
  return (name) => {
    const m = tools.get(name);
    if (!m) throw new PartwrightError(ErrorCode.Unsupported, `${name}.wasm was not loaded for this build.`);
    return m;
  };
}

export function baseLayer(base: RunBuildOptions['base']): BuildOptions['base'] {
  if (!base) return undefined;
  return {
    layer: { source: base.source, dataRanges: base.dataRanges },
    existing: readExistingDisk((o, n) => {
      const buf = new Uint8Array(Math.max(0, Math.min(n, base.source.sizeBytes - o)));
      base.source.read(o, buf);
      return buf;
    }, base.source.sizeBytes),
  };
}

/**
 * The table a build of a disk layout writes, without writing it: the same contents, Minimize= trial
 * runs and boot files as `runBuild`, so `plan` never shows a different number. (`StorePaths=`
 * closures are not fetched: a Minimize= partition holding them is sized without them, and `partial`
 * says so.)
 */
export async function planBuild(
  spec: ImageSpec,
  host: Pick<BuildHost, 'open' | 'openTree' | 'loadTool'>,
  options: Pick<RunBuildOptions, 'sizeBytes' | 'seed' | 'sourceDateEpoch' | 'base' | 'deferPartitions' | 'copyFrom' | 'copyFromFilter' | 'grainSizeBytes'> = {},
): Promise<{ plan: ImagePlan; partial: boolean; copiedFrom: string[] }> {
  // RepartVersion=252: the keys repart 252 does not know are ignored, as it ignores them.
  spec = withoutKeysUnknownTo252(spec);
  // --copy-from= images, else the layout's CopyFrom= ones opened through the host.
  const copied = applyCopyFrom(spec, copyFromImages(spec, options.copyFrom, (p, what) => host.open(p, what)), options.copyFromFilter);
  spec = copied.spec;
  const sourceDateEpoch = sourceDateEpochOf(spec, options.sourceDateEpoch);
  const base = baseLayer(options.base);
  const planOptions = { ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(base ? { base } : {}) };
  // Preset=: its boot files and its own files, as the build adds them.
  const preset = layoutPreset(spec);
  let inputs = withCopyFromInputs(withPresetFiles(host, preset?.files), copied.ranges);
  let planned = spec;
  if (preset?.boot) {
    const { withBootFiles } = await import('../boot/build-boot-image.ts');
    ({ files: { spec: planned }, inputs } = withBootFiles(spec, preset.boot, inputs, planOptions));
  }
  // The build's contents code loads only when contents can size or reject a partition.
  const prepareContents = contentsSizePartitions(planned) ? (await import('./build-image.ts')).prepareContents : undefined;
  // The WASM tools are compiled only for contents (a plan of empty file systems needs none).
  const loadTool = prepareContents ? await loadToolsFor(spec, host) : undefined;
  const contentsOf = (s: ImageSpec): { planned: ImageSpec; blobSizes?: Record<string, number> } =>
    prepareContents ? prepareContents(s, inputs, { ...(loadTool ? { loadTool } : {}), ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}) }) : { planned: withImpliedFormats(s) };
  const planOf = (p: { planned: ImageSpec; blobSizes?: Record<string, number> }) =>
    planImage(p.planned, {
      sizeBytes: options.sizeBytes,
      seed: options.seed,
      existing: base?.existing,
      blobSizes: p.blobSizes,
      ...(options.deferPartitions ? { deferPartitions: options.deferPartitions } : {}),
      exactAttributes: copied.attributes,
      ...(options.grainSizeBytes !== undefined ? { grainSizeBytes: options.grainSizeBytes } : {}),
    });
  let plan = planOf(contentsOf(planned));
  // SupplementFor=: staged again with a merged supplement's contents in its target, as the build does.
  const merged = mergeSupplementContents(planned, plan);
  if (merged !== planned) plan = planOf(contentsOf(merged));
  const partial = spec.partitions.some((p) => p.storePaths?.length && p.minimize !== undefined && p.minimize !== 'off');
  return { plan, partial, copiedFrom: copied.files };
}

/** Formats as written or implied (a CopyFiles= without Format= is ext4 or vfat: impliedFormat()). */
function withImpliedFormats(spec: ImageSpec): ImageSpec {
  const version = spec.repartVersion ?? 'latest';
  return {
    ...spec,
    partitions: spec.partitions.map((p) => {
      const format = impliedFormat(p, version, spec.architecture);
      return format === p.format ? p : { ...p, format };
    }),
  };
}

/** File systems prepareContents passes through as they are when nothing goes into them (made after planning). */
const MADE_AFTER_PLANNING = new Set(['vfat', 'ext4', 'swap']);

/**
 * Whether `prepareContents` (build-image.ts) can change or reject this layout: blobs read from files,
 * contents and Minimize=, squashfs/erofs (made before planning), Compression= keys, Format= with
 * CopyBlocks=, Verity= sets. Without any of them it only fills in implied formats (as
 * withImpliedFormats does), and a plan need not load the build's code (keep this in step with
 * prepareContents; cli/plan-truth.test.ts checks plan against the built table for every example).
 */
function contentsSizePartitions(spec: ImageSpec): boolean {
  if (spec.blobs?.some((b) => b.source !== undefined)) return true;
  return withImpliedFormats(spec).partitions.some((p) =>
    p.verity !== undefined || p.verityMatchKey !== undefined
    || p.copyFiles?.length || p.makeDirectories?.length || p.makeSymlinks?.length || p.storePaths?.length
    || (p.minimize !== undefined && p.minimize !== 'off')
    || p.compression !== undefined || p.compressionLevel !== undefined
    || (p.format !== undefined && (!MADE_AFTER_PLANNING.has(p.format) || p.copyBlocks !== undefined)));
}
