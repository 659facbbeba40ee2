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
import type { OutputFormat, ToolName } from '../model/registry.ts';
import type { ByteRange, ImagePlan } from '../plan/types.ts';
import type { ByteStore } from '../disk/byte-store.ts';
import type { SeekableSink } from '../disk/raw-output.ts';
import type { ReadSource, SparseImage } from '../disk/sparse-image.ts';
import type { IncrementalHash } from '../nix/index.ts';
import { buildImageSigned, needsVeritySigner, type BuildOptions, type BuildStage, type VerityRootHash } from './build-image.ts';
import type { VeritySigner } from './verity.ts';
import type { BuildWorkers } from './parallel-filesystems.ts';
import type { IsoReport } from './build-iso.ts';
import { baseLayer, loadToolsFor, sourceDateEpochOf, withPresetFiles } from './plan-build.ts';
import type { InputEntry } from './input-tree.ts';
import type { NixCacheSettings, NixScratch, StagedClosures } from './nix-closure.ts';
import type { OutputHost } from './write-output.ts';
import { applyCopyFrom, copyFromImages, withCopyFromInputs, type CopyFromImage } from './copy-from.ts';
import { withoutKeysUnknownTo252 } from '../model/fields.ts';

export type BuildJobStage = 'read' | 'nix' | BuildStage | 'write' | 'bmap' | 'sha256';

export { planBuild, sourceDateEpochOf } from './plan-build.ts';

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
  /** Workers that make file systems at the same time (parallel-filesystems.ts); without, one after another. */
  workers?: BuildWorkers;
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
  /**
   * `--defer-partitions=` (repart v255): new partitions of these types (identifiers or GUIDs) are
   * planned — they keep their place, slot and UUID — but not written; their space stays free, so a
   * later run with a base image adds them where they were planned.
   */
  deferPartitions?: readonly string[];
  /**
   * `--copy-from=` (repart 255): images whose partitions are copied in before the layout's own
   * (workers/build/copy-from.ts); `copyFromFilter` is --include/--exclude-partitions for them.
   */
  copyFrom?: readonly CopyFromImage[];
  /** `--grain-size=` (newest repart): placement granularity (workers/plan PlanOptions.grainSizeBytes). */
  grainSizeBytes?: number;
  copyFromFilter?: { include?: readonly string[]; exclude?: readonly string[] };
  seed?: string;
  /** SOURCE_DATE_EPOCH when the layout gives none. */
  sourceDateEpoch?: number;
  /** Base-image mode: the image whose partitions are kept (read only), and where its data is. */
  base?: { source: ReadSource; dataRanges: ByteRange[] };
  /** Binary caches and keys for `StorePaths=`. */
  nix?: NixCacheSettings;
  /** Per-partition bmap digests (what the app shows; cost ∝ data: a second read of every byte written). */
  partitionDigests?: boolean;
  /** Also hash the whole image, holes included (time ∝ image size; per-partition bmaps are always made). */
  sha256?: boolean;
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
  /** With `partitionDigests`, per partition: its mapped bytes and the BmapFileChecksum of its bmap (cost ∝ data; disk/image-digest.ts); else empty. */
  partitionDigests: { partitionNumber: number; mappedBytes: number; bmapSha256: string }[];
  /** Files written, in order (empty without `output`). */
  files: string[];
  sourceDateEpoch: number | undefined;
}

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export async function runBuild(spec: ImageSpec, host: BuildHost, options: RunBuildOptions = {}): Promise<BuildJobResult> {
  spec = withoutKeysUnknownTo252(spec);
  // --copy-from= images, else the layout's CopyFrom= ones opened through the host.
  const copied = applyCopyFrom(spec, copyFromImages(spec, options.copyFrom, (p, what) => host.open(p, what)), options.copyFromFilter);
  spec = copied.spec;
  const progress = (p: BuildJobProgress) => host.onProgress?.(p);
  const output = options.output;
  if (spec.table === 'iso' && options.base) throw new PartwrightError(ErrorCode.InvalidSpec, 'An ISO (Table=iso) is made whole: a base image does not apply.', { where: 'base' });
  if (output?.inPlace && (!options.base || output.format !== 'raw' || !host.openInPlace)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Writing in place needs a base image and the raw format.', { where: 'base' });
  }
  const sourceDateEpoch = sourceDateEpochOf(spec, options.sourceDateEpoch);
  // Preset=: its boot installation and its own files, the same for every host.
  const preset = layoutPreset(spec);
  const inputs = withCopyFromInputs(withPresetFiles(host, preset?.files), copied.ranges);

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
    // (What only some layouts need loads only for them: Nix, cloud-init, ISO, boot, outputs, hashing.)
    closures = !spec.partitions.some((p) => p.storePaths?.length) ? { trees: {}, close: async () => {} } : await (await import('./nix-closure.ts')).stageNixClosures(spec, options.nix, (i) => host.createNixScratch(i), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(host.createSha256 ? { createSha256: () => host.createSha256!() } : {}),
      loadZstd: () => host.loadTool('zstd'),
      onProgress: (p) =>
        progress({ stage: 'nix', doneBytes: p.bytesDone, totalBytes: p.bytesTotal, detail: `${p.pathsDone}/${p.pathsTotal} paths${p.phase === 'nar' ? ` · ${p.storePath.slice(44) || p.storePath}` : ''}` }),
    });
    store = await host.createStore();
    const base = baseLayer(options.base);
    const common = {
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      store,
      extraTrees: spec.cloudInit ? (await import('./cloud-init-seed.ts')).withCloudInitSeed(spec, closures.trees) : closures.trees,
      onProgress: progress,
    };
    let built: { plan: ImagePlan; image: SparseImage; report?: IsoReport; verity?: VerityRootHash[] };
    if (spec.table === 'iso') {
      const iso = await import('./build-iso.ts');
      // ISOPath= squashfs images (the Nix store) with their blocks compressed in the host's workers.
      const squashfsImages = host.workers ? await iso.makeIsoSquashfsImages(spec, inputs, { ...common, loadTool }, host.workers) : undefined;
      built = iso.buildIsoImage(spec, inputs, { ...common, loadTool, ...(squashfsImages ? { squashfsImages } : {}) });
    } else {
      const buildOptions: BuildOptions = {
        ...common, loadTool, ...(options.sizeBytes !== undefined ? { sizeBytes: options.sizeBytes } : {}), ...(base ? { base } : {}),
        ...(options.deferPartitions ? { deferPartitions: options.deferPartitions } : {}),
        exactAttributes: copied.attributes,
        ...(options.grainSizeBytes !== undefined ? { grainSizeBytes: options.grainSizeBytes } : {}),
        ...(host.createSha256 ? { createSha256: () => host.createSha256!() } : {}),
      };
      const boot = preset?.boot;
      const bootable = boot ? await import('../boot/build-boot-image.ts') : undefined;
      built = boot && bootable
        ? options.veritySigner
          ? await bootable.buildBootableImageSigned(spec, boot, inputs, { ...buildOptions, veritySigner: options.veritySigner })
          : bootable.buildBootableImage(spec, boot, inputs, buildOptions)
        : await buildImageSigned(spec, inputs, { ...buildOptions, ...(options.veritySigner ? { veritySigner: options.veritySigner } : {}) }, host.workers);
    }
    const { plan, image } = built;
    store.flush();

    // Integrity, when asked: per-partition bmaps (they read data only; the app shows them, the CLI
    // has bmap output for it), the whole image (holes fed as zeros, never read), with the host's
    // fastest SHA-256.
    const hashing = options.partitionDigests || options.sha256 ? await import('../disk/image-digest.ts') : undefined;
    const createSha256 = !hashing ? undefined : host.createSha256 ? () => host.createSha256!() : await (await import('../crypto/fast-sha256.ts')).loadWasmSha256();
    const digests = options.partitionDigests && hashing && createSha256
      ? hashing.partitionDigests(image, plan.partitions, createSha256, (doneBytes, totalBytes) => progress({ stage: 'bmap', doneBytes, totalBytes }))
        .map(({ partitionNumber, mappedBytes, bmapSha256 }) => ({ partitionNumber, mappedBytes, bmapSha256 }))
      : [];
    const sha256 = options.sha256 && hashing && createSha256
      ? toHex(hashing.sha256Image(image, createSha256, (doneBytes, totalBytes) => progress({ stage: 'sha256', doneBytes, totalBytes })))
      : undefined;

    let files: string[] = [];
    if (output) {
      const onBytes = (doneBytes: number, totalBytes: number) => progress({ stage: 'write', doneBytes, totalBytes, detail: output.format });
      if (output.inPlace) {
        const sink = host.openInPlace!(output.name);
        try {
          (await import('../disk/raw-output.ts')).writeChangesInPlace(image, sink, options.base!.source.sizeBytes, plan.reserved);
        } finally {
          sink.close();
        }
        files = [output.name];
      } else if (output.format === 'raw' && !base && host.adoptStoreAsRaw?.(store, image.sizeBytes, output.name)) {
        files = [output.name];
      } else {
        files = await (await import('./write-output.ts')).writeOutput(image, plan, output.format, output.name, host.outputs, {
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
