/**
 * The one build job every host runs (the CLI through workers/hosts/node, the app's worker through
 * workers/hosts/opfs): it loads the WASM tools the layout's file systems need (registry), stages Nix
 * closures, dispatches disk / ISO / bootable preset, writes tables last (build-image.ts), hashes, and
 * streams the output format. A host supplies only what differs (BuildHost): how inputs open, where the
 * image's bytes live, how a WASM tool loads, where output files go, how progress shows.
 * SOURCE_DATE_EPOCH follows one rule in every host: the layout's, else the host's environment/setting.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import { layoutPreset } from '../model/presets/index.ts';
import { toolsForPartitions, type OutputFormat, type ToolName } from '../model/registry.ts';
import type { ByteRange, ImagePlan } from '../plan/types.ts';
import type { ByteStore } from '../disk/byte-store.ts';
import { writeChangesInPlace, type SeekableSink } from '../disk/raw-output.ts';
import type { ReadSource, SparseImage } from '../disk/sparse-image.ts';
import { loadWasmSha256 } from '../crypto/fast-sha256.ts';
import { partitionDigests, sha256Image } from '../disk/image-digest.ts';
import type { IncrementalHash } from '../nix/index.ts';
import { buildBootableImage, buildBootableImageSigned, withBootFiles } from '../boot/build-boot-image.ts';
import { buildImage, buildImageSigned, needsVeritySigner, prepareContents, type BuildInputs, type BuildOptions, type BuildStage, type VerityRootHash } from './build-image.ts';
import type { VeritySigner } from './verity.ts';
import { planImage } from '../plan/plan-image.ts';
import { buildIsoImage, type IsoReport } from './build-iso.ts';
import { readExistingDisk } from './existing-disk.ts';
import type { InputDir, InputEntry } from './input-tree.ts';
import { withCloudInitSeed } from './cloud-init-seed.ts';
import type { CloudInitSpec } from '../model/cloud-init.ts';
import { stageNixClosures, type NixCacheSettings, type NixScratch, type StagedClosures } from './nix-closure.ts';
import { writeOutput, type OutputHost } from './write-output.ts';

export type BuildJobStage = 'read' | 'nix' | BuildStage | 'write' | 'bmap' | 'sha256';

export interface BuildJobProgress {
  stage: BuildJobStage;
  doneBytes: number;
  totalBytes: number;
  detail?: string;
}

/** What differs between hosts; everything else is the job's. */
export interface BuildHost {
  /** A file the layout names (blob Source=, CopyBlocks=, a preset's boot file); `what` says why, for messages. */
  open(path: string, what: string): ReadSource;
  /** A `CopyFiles=` source: a file or directory tree, file bytes read lazily. */
  openTree(path: string, what: string): InputEntry;
  /** Where the image's bytes live while it is built (Node: a sparse file; browser: a compact OPFS store). */
  createStore(): ByteStore | Promise<ByteStore>;
  /** A registry tool, compiled (loaded once per host). */
  loadTool(name: ToolName): Promise<WebAssembly.Module>;
  /** Scratch for one Nix closure (`StorePaths=`). */
  createNixScratch(partitionIndex: number): Promise<NixScratch>;
  /** Where output files go. */
  outputs: OutputHost;
  /** In-place output (`--in-place`): the base image opened for writing. */
  openInPlace?(name: string): SeekableSink & { close(): void };
  /**
   * Raw output when the store already is the raw image (Node's sparse file without a base layer):
   * make it the file `name` and return true; the store is closed afterwards either way.
   */
  adoptStoreAsRaw?(store: ByteStore, sizeBytes: number, name: string): boolean;
  /** A native SHA-256, when the host has a faster one than the engine's. */
  createSha256?(): IncrementalHash;
  onProgress?(p: BuildJobProgress): void;
}

export interface BuildJobOutput {
  format: OutputFormat;
  /** The main file's name as the host's outputs understand it (a path; an OPFS name). */
  name: string;
  /** Android sparse: the largest piece (fastboot's max-download-size). */
  maxPieceBytes?: number;
  /** Write only what changed into the base image itself (raw; needs `base`). */
  inPlace?: boolean;
}

export interface RunBuildOptions {
  /** Disk size, or `auto` for the minimum (the layout's otherwise). */
  sizeBytes?: number | 'auto';
  seed?: string;
  /** SOURCE_DATE_EPOCH when the layout gives none. */
  sourceDateEpoch?: number;
  /** Base-image mode: the image whose partitions are kept (read only), and where its data is. */
  base?: { source: ReadSource; dataRanges: ByteRange[] };
  /** Binary caches and keys for `StorePaths=`. */
  nix?: NixCacheSettings;
  /** Also hash the whole image, holes included (time ∝ image size; per-partition bmaps are always made). */
  sha256?: boolean;
  /** First-boot settings written as a cloud-init NoCloud seed into the layout's vfat partition. */
  cloudInit?: CloudInitSpec;
  /** Write the image out; without it the image stays in the host's store (the app converts later). */
  output?: BuildJobOutput;
  /** Signs `Verity=signature` partitions (workers/crypto/verity-signer.ts: the key stays in this worker/process). */
  veritySigner?: VeritySigner;
  signal?: AbortSignal;
}

export interface BuildJobResult {
  plan: ImagePlan;
  /** The image as built (its store is closed: sizes and data ranges only). */
  image: Pick<SparseImage, 'sizeBytes' | 'mappedBytes'> & { dataRanges(): ByteRange[] };
  /** Table=iso: the ISO as built. */
  iso?: IsoReport;
  /** dm-verity sets built: match key and root hash. */
  verity?: VerityRootHash[];
  /** Lower-case hex SHA-256 of the whole raw image, when asked for. */
  sha256?: string;
  /** Per partition: its mapped bytes and the BmapFileChecksum of its bmap (cost ∝ data; disk/image-digest.ts). */
  partitionDigests: { partitionNumber: number; mappedBytes: number; bmapSha256: string }[];
  /** Files written, in order (empty without `output`). */
  files: string[];
  sourceDateEpoch: number | undefined;
}

/** SOURCE_DATE_EPOCH as every host applies it: the layout's, else the host's. */
export function sourceDateEpochOf(spec: ImageSpec, hostEpoch: number | undefined): number | undefined {
  return spec.sourceDateEpoch ?? hostEpoch;
}

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A preset's own text files, served from memory over the host's inputs. */
function withPresetFiles(host: Pick<BuildHost, 'open' | 'openTree'>, files: Readonly<Record<string, string>> | undefined): BuildInputs {
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
async function loadToolsFor(spec: ImageSpec, host: Pick<BuildHost, 'loadTool'>): Promise<(name: ToolName) => WebAssembly.Module> {
  const tools = new Map<ToolName, WebAssembly.Module>();
  for (const name of toolsForPartitions(spec.partitions)) tools.set(name, await host.loadTool(name));
  return (name) => {
    const m = tools.get(name);
    if (!m) throw new PartwrightError(ErrorCode.Unsupported, `${name}.wasm was not loaded for this build.`);
    return m;
  };
}

function baseLayer(base: RunBuildOptions['base']): BuildOptions['base'] {
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
  options: Pick<RunBuildOptions, 'sizeBytes' | 'seed' | 'sourceDateEpoch' | 'base'> = {},
): Promise<{ plan: ImagePlan; partial: boolean }> {
  const preset = layoutPreset(spec);
  const sourceDateEpoch = sourceDateEpochOf(spec, options.sourceDateEpoch);
  const loadTool = await loadToolsFor(spec, host);
  const base = baseLayer(options.base);
  const planOptions = { ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(base ? { base } : {}) };
  let inputs = withPresetFiles(host, preset?.files);
  let planned = spec;
  if (preset?.boot) ({ files: { spec: planned }, inputs } = withBootFiles(spec, preset.boot, inputs, planOptions));
  const prepared = prepareContents(planned, inputs, { loadTool, ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}) });
  const plan = planImage(prepared.planned, { sizeBytes: options.sizeBytes, seed: options.seed, existing: base?.existing, blobSizes: prepared.blobSizes });
  const partial = spec.partitions.some((p) => p.storePaths?.length && p.minimize !== undefined && p.minimize !== 'off');
  return { plan, partial };
}

export async function runBuild(spec: ImageSpec, host: BuildHost, options: RunBuildOptions = {}): Promise<BuildJobResult> {
  const progress = (p: BuildJobProgress) => host.onProgress?.(p);
  const output = options.output;
  if (spec.table === 'iso' && options.base) throw new PartwrightError(ErrorCode.InvalidSpec, 'An ISO (Table=iso) is made whole: a base image does not apply.', { where: 'base' });
  if (output?.inPlace && (!options.base || output.format !== 'raw' || !host.openInPlace)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Writing in place needs a base image and the raw format.', { where: 'base' });
  }
  const sourceDateEpoch = sourceDateEpochOf(spec, options.sourceDateEpoch);
  // Preset=: its boot installation and its own files, the same for every host.
  const preset = layoutPreset(spec);
  const inputs = withPresetFiles(host, preset?.files);

  const loadTool = await loadToolsFor(spec, host);
  if (needsVeritySigner(spec) && !options.veritySigner) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Verity signature partition requested but no private key and certificate given (CLI: --private-key= and --certificate=; app: pick them beside the signature partition).', {
      where: `partitions.${spec.partitions.findIndex((p) => p.verity === 'signature')}.verity`,
    });
  }

  let closures: StagedClosures | undefined;
  let store: ByteStore | undefined;
  try {
    // StorePaths=: each closure fetched and verified into the host's scratch.
    closures = await stageNixClosures(spec, options.nix, (i) => host.createNixScratch(i), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(host.createSha256 ? { createSha256: () => host.createSha256!() } : {}),
      onProgress: (p) =>
        progress({ stage: 'nix', doneBytes: p.bytesDone, totalBytes: p.bytesTotal, detail: `${p.pathsDone}/${p.pathsTotal} paths${p.phase === 'nar' ? ` · ${p.storePath.slice(44) || p.storePath}` : ''}` }),
    });
    store = await host.createStore();
    const base = baseLayer(options.base);
    const common = {
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      store,
      extraTrees: withCloudInitSeed(spec, closures.trees, options.cloudInit),
      onProgress: progress,
    };
    let built: { plan: ImagePlan; image: SparseImage; report?: IsoReport; verity?: VerityRootHash[] };
    if (spec.table === 'iso') {
      built = buildIsoImage(spec, inputs, { ...common, loadTool });
    } else {
      const buildOptions: BuildOptions = {
        ...common, loadTool, ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}), ...(base ? { base } : {}),
        ...(host.createSha256 ? { createSha256: () => host.createSha256!() } : {}),
      };
      const boot = preset?.boot;
      built = boot
        ? options.veritySigner
          ? await buildBootableImageSigned(spec, boot, inputs, { ...buildOptions, veritySigner: options.veritySigner })
          : buildBootableImage(spec, boot, inputs, buildOptions)
        : options.veritySigner
          ? await buildImageSigned(spec, inputs, { ...buildOptions, veritySigner: options.veritySigner })
          : buildImage(spec, inputs, buildOptions);
    }
    const { plan, image } = built;
    store.flush();

    // Integrity: per-partition bmaps always (they read data only), the whole image only when asked
    // (holes fed as zeros, never read), with the host's fastest SHA-256.
    const createSha256 = host.createSha256 ? () => host.createSha256!() : await loadWasmSha256();
    const digests = partitionDigests(image, plan.partitions, createSha256, (doneBytes, totalBytes) => progress({ stage: 'bmap', doneBytes, totalBytes }))
      .map(({ partitionNumber, mappedBytes, bmapSha256 }) => ({ partitionNumber, mappedBytes, bmapSha256 }));
    const sha256 = options.sha256
      ? toHex(sha256Image(image, createSha256, (doneBytes, totalBytes) => progress({ stage: 'sha256', doneBytes, totalBytes })))
      : undefined;

    let files: string[] = [];
    if (output) {
      const onBytes = (doneBytes: number, totalBytes: number) => progress({ stage: 'write', doneBytes, totalBytes, detail: output.format });
      if (output.inPlace) {
        const sink = host.openInPlace!(output.name);
        try {
          writeChangesInPlace(image, sink, options.base!.source.sizeBytes, plan.reserved);
        } finally {
          sink.close();
        }
        files = [output.name];
      } else if (output.format === 'raw' && !base && host.adoptStoreAsRaw?.(store, image.sizeBytes, output.name)) {
        files = [output.name];
      } else {
        files = await writeOutput(image, plan, output.format, output.name, host.outputs, {
          ...(output.maxPieceBytes !== undefined ? { maxPieceBytes: output.maxPieceBytes } : {}),
          ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
          loadTool: (name) => host.loadTool(name),
          ...(host.createSha256 ? { createSha256: () => host.createSha256!() } : {}),
          onBytes,
        });
      }
    }
    const dataRanges = image.dataRanges();
    const sizes = { sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes };
    progress({ stage: 'done', doneBytes: image.sizeBytes, totalBytes: image.sizeBytes });
    return {
      plan,
      image: { ...sizes, dataRanges: () => dataRanges },
      ...(built.report ? { iso: built.report } : {}),
      ...(built.verity ? { verity: built.verity } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
      partitionDigests: digests,
      files,
      sourceDateEpoch,
    };
  } finally {
    store?.close();
    await closures?.close();
  }
}
