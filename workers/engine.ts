/**
 * The engine's public API as the web app calls it through comlink (web/lib/engine-client.ts; the
 * worker entry only exposes it). A hand-written object, not a class, so `typeof engine` is the
 * contract and adding an operation is one method here (STYLE.md §7). Every method takes and returns
 * structured-clone-safe data; expected outcomes come back as results, not as thrown errors.
 * Builds run the same job as the CLI (workers/build/run-build.ts) on the OPFS host
 * (workers/hosts/opfs/); this file is argument handling around it.
 */
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.ts';
import { loadWasmSha256 } from './crypto/fast-sha256.ts';
import type { BuildJobProgress, BuildJobStage } from './build/run-build.ts';
import { planBuild, runBuild } from './build/run-build.ts';
import type { IsoReport } from './build/build-iso.ts';
import { planIsoSummary, type IsoSummary } from './build/iso-summary.ts';
import { lookUpStorePaths, type NixCacheSettings, type StorePathStatus } from './build/nix-closure.ts';
import { writeOutput, type OutputPlan } from './build/write-output.ts';
import { decideBaseImage } from './build/empty-mode.ts';
import { createOpfsHost, blobSource } from './hosts/opfs/index.ts';
import { opfsImageSource, opfsOutputs, writeRawToHandle, type BuiltImageRef, type OutputFile, type WritableFileHandle } from './hosts/opfs/image.ts';
import { OPFS_CHUNK_BYTES } from './hosts/opfs/store.ts';
import { readStagedTrees } from './hosts/opfs/tree.ts';
import { fetchWasmTool, toolCache } from './tools/wasm-tools.ts';
import { scanDataRanges } from './disk/sparse-image.ts';
import { decodeBmapXml, makeBmap } from './formats/outputs/bmap.ts';
import { verifyReadback, type ReadbackCheck } from './formats/outputs/bmap-verify.ts';
import { flashFailure, type FlashFailure } from './flash/errors.ts';
import { DEFAULT_WHOLE_DISK_PARTITION, flashDisk, readDeviceInfo, type FastbootDeviceInfo, type FlashProgress, type FlashResult } from './flash/flash-image.ts';
import type { FastbootTransport } from './flash/transport.ts';
import { DEFAULT_SEED } from './model/spec.ts';
import { ErrorCode, isPartwrightError, PartwrightError } from './model/errors.ts';
import type { Diagnostic } from './model/diagnostics.ts';
import { PARTITION_TYPES, type PartitionType } from './model/partition-types.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './model/registry.ts';
import { exportRepartDirectory, parseRepartDirectory, type ConfFile } from './model/repart-conf.ts';
import type { ImageSpec } from './model/spec.ts';
import { planImage } from './plan/plan-image.ts';
import type { ByteRange, ImagePlan, PlannedPartition } from './plan/types.ts';
import { validateSpec, type SpecProblem } from './plan/validate.ts';

export interface EngineVersion {
  /** The package name, `partwright`. */
  readonly name: string;
  /** The package version, e.g. `0.1.0`. */
  readonly version: string;
}

/** An expected failure, as data: a PartwrightError without the class (comlink keeps only message). */
export interface EngineFailure {
  code: ErrorCode;
  message: string;
  /** The field or file it is about (`partitions.2.sizeMaxBytes`, `sizeBytes`, `10-root.conf:4`). */
  where?: string;
  /** When a layout does not fit: the smallest disk it fits in. */
  minimumSizeBytes?: number;
}

export type PlanResult =
  | {
      ok: true;
      plan: ImagePlan;
      iso?: IsoSummary;
      /**
       * Definitions (spec indexes) whose size Minimize= decides from their contents at build time:
       * their size here is the layout's bound, not the built one, until `planExact` computes it.
       */
      decidedAtBuild?: number[];
      /** The layout has CopyFrom= images: only `planExact` (which reads them) places their partitions first. */
      copiedAtBuild?: true;
      /**
       * From `planExact`: the CopyFrom= images' partitions, placed first (drawn in the disk map). They are
       * not the layout's definitions: `plan` holds only those, with spec indexes as in the layout.
       */
      copied?: PlannedPartition[];
    }
  | { ok: false; error: EngineFailure };

export interface EnginePlanOptions {
  /** Sizes of blobs whose files the app has staged, by blob name. */
  blobSizes?: Record<string, number>;
}

export type ExportResult = { ok: true; files: ConfFile[] } | { ok: false; error: EngineFailure };

export interface ImportResult {
  /** Undefined when a diagnostic is an error (nothing should be replaced then). */
  spec: ImageSpec | undefined;
  diagnostics: Diagnostic[];
}

export type { NixCacheSettings, StorePathStatus };

export type EngineBuildStage = BuildJobStage;
export type EngineBuildProgress = BuildJobProgress;

export interface EngineBuildOptions {
  /** Hash the whole image (holes included) after writing it; off for very large images. */
  sha256?: boolean;
  /**
   * OPFS directory (`contents/<layout>`) holding the layout's staged `CopyFiles=` sources, one
   * directory per source path named `encodeURIComponent(source)` (workers/hosts/opfs/tree.ts).
   */
  contentsDir?: string;
  /** Binary caches and keys for `StorePaths=` (needed when a partition has store paths). */
  nix?: NixCacheSettings;
  /** SOURCE_DATE_EPOCH when the layout gives none (as the CLI takes it from the environment). */
  sourceDateEpoch?: number;
  /** Base-image mode: the key in `files` of the image whose partitions are kept (BaseImage=). */
  base?: string;
  /**
   * `Verity=signature`: the PEM private key (RSA or ECDSA P-256) and certificate the user picked.
   * They are imported into WebCrypto inside this worker, used once, and never stored or sent anywhere.
   */
  veritySigning?: { privateKeyPem: string; certificatePem: string };
}

export interface BuiltImage {
  /**
   * The OPFS file holding the image's data compactly (workers/build/opfs-store.ts): not the raw
   * image; `convert` writes raw and the other formats from it.
   */
  fileName: string;
  /** Chunk size and `[chunk, slot, …]` map of the compact file. */
  chunkBytes: number;
  slots: number[];
  sizeBytes: number;
  /** Bytes that hold data: what was really written. */
  mappedBytes: number;
  /** Lower-case hex, when asked for. */
  sha256: string | undefined;
  /** Per partition: its mapped bytes and the BmapFileChecksum of its bmap (workers/disk/image-digest.ts). */
  partitionDigests: { partitionNumber: number; mappedBytes: number; bmapSha256: string }[];
  plan: ImagePlan;
  /** What holds data (sorted): lets outputs and the File System Access API skip holes. */
  dataRanges: ByteRange[];
  /** Table=iso: the ISO as built (volume, El Torito entries, EFI image). */
  iso?: IsoReport;
  /** The SOURCE_DATE_EPOCH the build used (outputs use the same). */
  sourceDateEpoch: number | undefined;
  elapsedMs: number;
  /** Why file systems were made one after another here, not at once in build workers (absent: they could be). */
  oneAtATime?: string;
}

export type BuildOutcome = { ok: true; image: BuiltImage } | { ok: false; error: EngineFailure };

/** A PartwrightError (or a storage failure) as data; anything else is a bug and is rethrown. */
function asFailure(e: unknown): EngineFailure {
  if (isPartwrightError(e)) {
    const failure: EngineFailure = { code: e.code, message: e.message };
    if (typeof e.detail.where === 'string') failure.where = e.detail.where;
    if (typeof e.detail.minimumSizeBytes === 'number') failure.minimumSizeBytes = e.detail.minimumSizeBytes;
    return failure;
  }
  if (e instanceof Error && (e.name === 'QuotaExceededError' || e.name === 'NoModificationAllowedError' || e.name === 'InvalidStateError')) {
    const what = e.name === 'QuotaExceededError' ? 'The browser ran out of storage for the image' : 'The browser refused to write the image';
    return { code: ErrorCode.Io, message: `${what} (${e.message}); free some space or build a smaller disk.` };
  }
  throw e;
}

/** Passes stage changes at once and byte counts at most every `intervalMs`. */
function throttled(report: ((p: EngineBuildProgress) => void) | undefined, intervalMs = 100): (p: EngineBuildProgress) => void {
  let last = 0;
  let lastStage: EngineBuildStage | undefined;
  return (p) => {
    if (!report) return;
    const now = Date.now();
    if (p.stage === lastStage && now - last < intervalMs && p.doneBytes < p.totalBytes) return;
    last = now;
    lastStage = p.stage;
    void report(p);
  };
}

export interface EngineFlashOptions {
  /** The device's name for the whole disk (default `mmc0`, U-Boot's eMMC user area). */
  partition?: string;
  /** Send `reboot` after a complete flash. */
  reboot?: boolean;
  /** For messages ("Pixel 7 (serial …)"): a comlink proxy cannot hand over the transport's `description`. */
  deviceName?: string;
}

export type FlashOutcome = { ok: true; result: FlashResult } | { ok: false; error: FlashFailure };
export type DeviceInfoOutcome = { ok: true; info: FastbootDeviceInfo } | { ok: false; error: FlashFailure };

/**
 * A transport that lives on the main thread (the page owns the USBDevice) and reaches the worker as a
 * comlink proxy: its methods work as they are, its `description` does not, and every packet sent is
 * structured-cloned, so a view into a larger buffer is copied down to its own bytes first.
 */
function remoteTransport(transport: FastbootTransport, deviceName: string | undefined): FastbootTransport {
  return {
    description: deviceName ?? 'the fastboot device',
    send: (data) => transport.send(data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice()),
    receive: () => transport.receive(),
    close: () => transport.close(),
  };
}

/** A flash failure as data; a storage failure (the built image gone) becomes one too. */
function asFlashFailure(e: unknown): FlashFailure {
  const failure = flashFailure(e);
  if (failure) return failure;
  const engineFailure = asFailure(e);
  return { problem: 'no-device', message: engineFailure.message, partial: false };
}

/** Tools for outputs (zst) after the build, fetched once per worker. */
const loadTool = toolCache(fetchWasmTool);

/** What a conversion needs besides the image: the plan's seed and partitions, and the build's epoch. */
export interface ConvertOptions {
  plan?: OutputPlan;
  sourceDateEpoch?: number;
  /** Android sparse: the largest piece (fastboot's max-download-size). */
  maxPieceBytes?: number;
}

export const engine = {
  /** Which engine answers: lets a host check that the worker it talks to is the one it was built with. */
  version(): EngineVersion {
    return { name: PACKAGE_NAME, version: PACKAGE_VERSION };
  },

  /** Every GPT partition type the engine knows by name (systemd-repart's table). */
  partitionTypes(): readonly PartitionType[] {
    return PARTITION_TYPES;
  },

  /** Every problem found without laying the disk out, each with the field it is about. */
  validate(spec: ImageSpec, options: EnginePlanOptions = {}): SpecProblem[] {
    const problems = validateSpec(spec, { blobSizes: options.blobSizes });
    // Table=iso is checked by the ISO builder (planIsoSummary); the partition planner's checks of the
    // table type do not apply to it.
    return spec.table === 'iso' ? problems.filter((p) => p.where !== 'table') : problems;
  },

  /** The resolved layout, or why it cannot be laid out ("does not fit; the minimum disk size is …"). */
  plan(spec: ImageSpec, options: EnginePlanOptions = {}): PlanResult {
    if (spec.table === 'iso') return planIsoSummary(spec);
    try {
      const decidedAtBuild = spec.partitions.flatMap((p, i) => (p.format !== undefined && p.minimize !== undefined && p.minimize !== 'off' ? [i] : []));
      const copiedAtBuild = spec.repartVersion !== '252' && (spec.copyFrom?.length ?? 0) > 0;
      return { ok: true, plan: planImage(spec, { blobSizes: options.blobSizes }), ...(decidedAtBuild.length ? { decidedAtBuild } : {}), ...(copiedAtBuild ? { copiedAtBuild: true as const } : {}) };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * The table a build writes, computed as the build computes it (workers/build/run-build.ts
   * planBuild): blob sizes from their files, contents from the staged folders, Minimize= trial runs
   * with the same tools. Slower than `plan` (it runs mke2fs); the app asks for it when `plan` says a
   * size is decided at build.
   */
  async planExact(spec: ImageSpec, files: Record<string, Blob>, options: Pick<EngineBuildOptions, 'contentsDir' | 'sourceDateEpoch'> = {}): Promise<PlanResult> {
    if (spec.table === 'iso') return planIsoSummary(spec);
    try {
      const treeSources = [...new Set(spec.partitions.flatMap((p) => (p.copyFiles ?? []).map((c) => c.source)))];
      const trees = await readStagedTrees(options.contentsDir ?? '', options.contentsDir ? treeSources : [], () => loadTool('zstd'));
      const { plan, copiedFrom } = await planBuild(spec, createOpfsHost({ files, trees }), {
        ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
      });
      // CopyFrom=: the copied definitions come first in the build's spec; the app's indexes are the layout's.
      const n = copiedFrom.length;
      if (n === 0) return { ok: true, plan };
      return {
        ok: true,
        copied: plan.partitions.filter((p) => p.specIndex < n),
        plan: {
          ...plan,
          partitions: plan.partitions.filter((p) => p.specIndex >= n).map((p) => ({ ...p, specIndex: p.specIndex - n })),
          dropped: plan.dropped.filter((d) => d.specIndex >= n).map((d) => ({ ...d, specIndex: d.specIndex - n, ...(d.mergedInto !== undefined ? { mergedInto: d.mergedInto - n } : {}) })),
        },
      };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /** repart.d files → spec, with every diagnostic (file:line: message). */
  importRepart(files: ConfFile[]): ImportResult {
    const r = parseRepartDirectory(files);
    const failed = r.diagnostics.some((d) => d.severity === 'error');
    return { spec: failed ? undefined : r.spec, diagnostics: r.diagnostics };
  },

  /** spec → repart.d files (`10-esp.conf`, …). */
  exportRepart(spec: ImageSpec): ExportResult {
    try {
      return { ok: true, files: exportRepartDirectory(spec) };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * Builds the image into a compact OPFS store (worker only) with the same job as the CLI. `files`
   * holds the files the layout names (blob sources, CopyBlocks=, BaseImage=, a preset's boot files),
   * keyed by the path as written in the spec. `onProgress` arrives as a comlink proxy.
   */
  async build(
    spec: ImageSpec,
    files: Record<string, Blob>,
    onProgress?: (p: EngineBuildProgress) => void,
    options: EngineBuildOptions = {},
  ): Promise<BuildOutcome> {
    const started = Date.now();
    const progress = throttled(onProgress);
    try {
      const treeSources = [...new Set(spec.partitions.flatMap((p) => (p.copyFiles ?? []).map((c) => c.source)))];
      progress({ stage: 'read', doneBytes: 0, totalBytes: 0, detail: treeSources.length ? 'staged contents' : undefined });
      const trees = await readStagedTrees(options.contentsDir ?? '', options.contentsDir ? treeSources : [], () => loadTool('zstd'));
      const baseBlob = options.base === undefined ? undefined : files[options.base];
      if (options.base !== undefined && !baseBlob) {
        return { ok: false, error: { code: ErrorCode.Io, message: `The base image ${options.base} is missing: choose it in the layout's inputs before building.`, where: options.base } };
      }
      const veritySigner = options.veritySigning
        ? await (await import('./crypto/verity-signer.ts')).createVeritySigner(options.veritySigning.privateKeyPem, options.veritySigning.certificatePem)
        : undefined;
      const host = createOpfsHost({ files, trees, onProgress: progress });
      // Empty=: keep the base image's table, or start over on a disk of its size (unless Size= is given), as the CLI decides it.
      const baseSource = baseBlob ? blobSource(baseBlob) : undefined;
      const decided = decideBaseImage(spec, baseSource ? { source: baseSource, name: options.base! } : undefined);
      const base = decided.keepBase ? baseSource : undefined;
      const result = await runBuild(spec, host, {
        ...(decided.sizeBytes !== undefined ? { sizeBytes: decided.sizeBytes } : {}),
        ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
        ...(base ? { base: { source: base, dataRanges: scanDataRanges(base) } } : {}),
        ...(options.nix ? { nix: options.nix } : {}),
        sha256: options.sha256 ?? false,
        partitionDigests: true,
        ...(veritySigner ? { veritySigner } : {}),
      });
      const store = host.store!;
      const { image, plan } = result;
      return {
        ok: true,
        image: {
          fileName: store.fileName,
          chunkBytes: OPFS_CHUNK_BYTES,
          slots: store.slotPairs(),
          sizeBytes: image.sizeBytes,
          mappedBytes: image.mappedBytes,
          sha256: result.sha256,
          partitionDigests: result.partitionDigests,
          plan,
          dataRanges: image.dataRanges(),
          ...(result.iso ? { iso: result.iso } : {}),
          sourceDateEpoch: result.sourceDateEpoch,
          elapsedMs: Date.now() - started,
          ...(host.oneAtATime !== undefined ? { oneAtATime: host.oneAtATime } : {}),
        },
      };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * Where each store path is: the first cache (in order) whose signed narinfo has it, `missing`
   * when no cache has it (the app then offers a server build), or why a cache could not answer.
   */
  async lookUpStorePaths(paths: string[], nix: NixCacheSettings): Promise<{ ok: true; paths: StorePathStatus[] } | { ok: false; error: EngineFailure }> {
    try {
      return { ok: true, paths: await lookUpStorePaths(paths, nix) };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * Writes a build (its compact OPFS store) in an output format of the registry into new OPFS files,
   * with the same writers as the CLI: raw, gz, zst, Android sparse (in pieces under
   * `maxPieceBytes`), bmap, qcow2, VHD, split. Reads the store in slices; holes are never read.
   * Returns the files to download, in order, each with its suffix after the build's base name.
   */
  async convert(
    image: BuiltImageRef,
    format: OutputFormat,
    onProgress?: (p: EngineBuildProgress) => void,
    options: ConvertOptions = {},
  ): Promise<{ ok: true; files: OutputFile[] } | { ok: false; error: EngineFailure }> {
    try {
      const source = await opfsImageSource(image);
      const progress = throttled(onProgress);
      const row = OUTPUT_FORMATS.find((f) => f.name === format)!;
      const base = image.fileName.replace(/\.store$/, '');
      const plan: OutputPlan = options.plan ?? { seed: image.seed ?? DEFAULT_SEED, partitions: [] };
      const names = await writeOutput(source, plan, format, `${base}${row.suffix}`, opfsOutputs, {
        ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
        ...(options.maxPieceBytes !== undefined ? { maxPieceBytes: options.maxPieceBytes } : {}),
        loadTool,
        // bmap's range hashes through hash-wasm (2–3× the JS SHA-256 here).
        createSha256: await loadWasmSha256(),
        onBytes: (doneBytes, totalBytes) => progress({ stage: 'write', doneBytes, totalBytes, detail: format }),
      });
      return { ok: true, files: names.map((fileName) => ({ fileName, suffix: fileName.slice(base.length) })) };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * Writes the raw image into a file the user picked (File System Access API: the handle crosses
   * by structured clone): the file is sized first, then only data ranges are written, holes are
   * seeks. No OPFS copy is made, so this works for images larger than the site's storage quota.
   */
  async saveRaw(image: BuiltImageRef, handle: WritableFileHandle, onProgress?: (p: EngineBuildProgress) => void): Promise<{ ok: true } | { ok: false; error: EngineFailure }> {
    try {
      const source = await opfsImageSource(image);
      await writeRawToHandle(source, handle, throttled(onProgress));
      return { ok: true };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * Checks a read-back of the device the user wrote (a file they picked, e.g. `dd if=/dev/sdX`)
   * against the bmap's SHA-256 of every mapped range: the bmap file they pick, or the one the last
   * build makes (the same bytes as its `.bmap` download). Hashing runs here, never on the page.
   */
  async verifyReadback(
    image: BuiltImageRef | undefined,
    readback: Blob,
    bmapFile: Blob | undefined,
    onProgress?: (p: EngineBuildProgress) => void,
  ): Promise<{ ok: true; check: ReadbackCheck; imageSizeBytes: number; fromBmapFile: boolean } | { ok: false; error: EngineFailure }> {
    try {
      let xml: string;
      if (bmapFile) xml = await bmapFile.text();
      else if (image) xml = makeBmap(await opfsImageSource(image));
      else throw new PartwrightError(ErrorCode.InvalidSpec, 'Choose the .bmap file that came with the image.');
      const bmap = decodeBmapXml(xml);
      const progress = throttled(onProgress);
      const check = await verifyReadback(bmap, readback.size, async (offset, length) => new Uint8Array(await readback.slice(offset, offset + length).arrayBuffer()), {
        onBytes: (doneBytes, totalBytes) => progress({ stage: 'sha256', doneBytes, totalBytes, detail: 'verify' }),
      });
      return { ok: true, check, imageSizeBytes: bmap.imageSizeBytes, fromBmapFile: bmapFile !== undefined };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },

  /**
   * What a fastboot device says about itself (product, max-download-size, the size of `partition`).
   * The transport is the page's (a comlink proxy); it is closed when this returns.
   */
  async flashDeviceInfo(transport: FastbootTransport, options: { partition?: string; deviceName?: string } = {}): Promise<DeviceInfoOutcome> {
    try {
      const info = await readDeviceInfo(remoteTransport(transport, options.deviceName), [options.partition || DEFAULT_WHOLE_DISK_PARTITION]);
      return { ok: true, info };
    } catch (e) {
      return { ok: false, error: asFlashFailure(e) };
    }
  },

  /**
   * Flashes the last build (its compact OPFS store, read in slices) to a fastboot device over the
   * page's transport (a comlink proxy), as sparse pieces within max-download-size, partition-table
   * areas last. Resolves `ok: true` only when the device accepted every piece; the transport is
   * closed either way. Cancelling terminates this worker: the page then closes the transport.
   */
  async flash(
    image: BuiltImageRef,
    transport: FastbootTransport,
    options: EngineFlashOptions = {},
    onProgress?: (p: FlashProgress) => void,
  ): Promise<FlashOutcome> {
    const local = remoteTransport(transport, options.deviceName);
    try {
      const source = await opfsImageSource(image);
      let last = 0;
      let lastStage = '';
      const result = await flashDisk(local, source, {
        partition: options.partition || DEFAULT_WHOLE_DISK_PARTITION,
        reboot: options.reboot ?? false,
        onProgress: (p) => {
          if (!onProgress) return;
          const now = Date.now();
          if (p.stage === lastStage && now - last < 100 && p.deviceMessage === undefined && p.sentBytes < p.totalBytes) return;
          last = now;
          lastStage = p.stage;
          void onProgress(p);
        },
      });
      return { ok: true, result };
    } catch (e) {
      await local.close().catch(() => {});
      return { ok: false, error: asFlashFailure(e) };
    }
  },

};

export type Engine = typeof engine;
export type { FlashFailure, FlashProgress, FlashResult, FastbootDeviceInfo, FastbootTransport };
/** The output formats' names (workers/model/registry.ts). */
export type EngineOutputFormat = OutputFormat;
export type { PartitionType, ImagePlan, SpecProblem, ConfFile, Diagnostic, IsoReport, OutputFile, BuiltImageRef, WritableFileHandle, ByteRange, ReadbackCheck };
export type { IsoSummary };
export type { PlannedPartition, PlannedBlob, ReservedArea, DroppedPartition } from './plan/types.ts';
