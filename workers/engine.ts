/**
 * The engine's public API: what the web app calls through comlink (web/lib/engine-client.ts) and what
 * the CLI and server tests call directly. A hand-written object, not a class, so `typeof engine` is the
 * contract and adding an operation is one method here (STYLE.md §7). Every method takes and returns
 * structured-clone-safe data; expected outcomes come back as results, not as thrown errors.
 */
import pkg from '../package.json' with { type: 'json' };
import { buildImage, type BuildProgress, type BuildStage } from './build/build-image.ts';
import { BUILD_FILE_PREFIX, createOpfsSink, removeOldBuilds } from './build/opfs-output.ts';
import { Sha256 } from './crypto/sha256.ts';
import { rawImageChunks, writeRawImage } from './disk/raw-output.ts';
import type { ReadSource } from './disk/sparse-image.ts';
import { ErrorCode, isPartwrightError, PartwrightError } from './model/errors.ts';
import type { Diagnostic } from './model/diagnostics.ts';
import { PARTITION_TYPES, type PartitionType } from './model/partition-types.ts';
import { exportRepartDirectory, parseRepartDirectory, type ConfFile } from './model/repart-conf.ts';
import type { ImageSpec } from './model/spec.ts';
import { planImage } from './plan/plan-image.ts';
import type { ImagePlan } from './plan/types.ts';
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

export type PlanResult = { ok: true; plan: ImagePlan } | { ok: false; error: EngineFailure };

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

export type EngineBuildStage = 'read' | BuildStage | 'write' | 'sha256';

export interface EngineBuildProgress {
  stage: EngineBuildStage;
  doneBytes: number;
  totalBytes: number;
  detail?: string;
}

export interface EngineBuildOptions {
  /** Hash the whole image (holes included) after writing it; off for very large images. */
  sha256?: boolean;
}

export interface BuiltImage {
  /** The OPFS file holding the raw image (`navigator.storage.getDirectory()` → this name). */
  fileName: string;
  sizeBytes: number;
  /** Bytes that hold data: what was really written. */
  mappedBytes: number;
  /** Lower-case hex, when asked for. */
  sha256: string | undefined;
  plan: ImagePlan;
  elapsedMs: number;
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

function bytesSource(bytes: Uint8Array): ReadSource {
  return {
    sizeBytes: bytes.length,
    read(offsetBytes, target) {
      target.set(bytes.subarray(offsetBytes, offsetBytes + target.length));
    },
  };
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

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

let buildCounter = 0;

export const engine = {
  /** Which engine answers: lets a host check that the worker it talks to is the one it was built with. */
  version(): EngineVersion {
    return { name: pkg.name, version: pkg.version };
  },

  /** Every GPT partition type the engine knows by name (systemd-repart's table). */
  partitionTypes(): readonly PartitionType[] {
    return PARTITION_TYPES;
  },

  /** Every problem found without laying the disk out, each with the field it is about. */
  validate(spec: ImageSpec, options: EnginePlanOptions = {}): SpecProblem[] {
    return validateSpec(spec, { blobSizes: options.blobSizes });
  },

  /** The resolved layout, or why it cannot be laid out ("does not fit; the minimum disk size is …"). */
  plan(spec: ImageSpec, options: EnginePlanOptions = {}): PlanResult {
    try {
      return { ok: true, plan: planImage(spec, { blobSizes: options.blobSizes }) };
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
   * Builds the image and writes it raw into an OPFS file (worker only): data ranges only, then
   * truncated to the disk size. `blobFiles` holds the files the layout names (blob sources,
   * CopyBlocks=), keyed by the path as written in the spec. `onProgress` arrives as a comlink proxy.
   */
  async build(
    spec: ImageSpec,
    blobFiles: Record<string, Blob>,
    onProgress?: (p: EngineBuildProgress) => void,
    options: EngineBuildOptions = {},
  ): Promise<BuildOutcome> {
    const started = Date.now();
    const progress = throttled(onProgress);
    try {
      const entries = Object.entries(blobFiles);
      const totalRead = entries.reduce((n, [, b]) => n + b.size, 0);
      let doneRead = 0;
      const sources = new Map<string, ReadSource>();
      for (const [path, blob] of entries) {
        progress({ stage: 'read', doneBytes: doneRead, totalBytes: totalRead, detail: path });
        sources.set(path, bytesSource(new Uint8Array(await blob.arrayBuffer())));
        doneRead += blob.size;
      }
      const inputs = {
        open(path: string, what: string): ReadSource {
          const source = sources.get(path);
          if (!source) throw new PartwrightError(ErrorCode.Io, `The file ${path} for ${what} is missing: choose it in the layout before building.`, { where: path });
          return source;
        },
      };
      const { plan, image } = buildImage(spec, inputs, { onProgress: (p: BuildProgress) => progress(p) });

      await removeOldBuilds();
      const sink = await createOpfsSink(`${BUILD_FILE_PREFIX}${Date.now()}-${++buildCounter}.img`);
      try {
        writeRawImage(image, sink, (doneBytes, totalBytes) => progress({ stage: 'write', doneBytes, totalBytes }));
      } finally {
        sink.close();
      }

      let digest: string | undefined;
      if (options.sha256) {
        const hash = new Sha256();
        let done = 0;
        for (const chunk of rawImageChunks(image)) {
          hash.update(chunk);
          done += chunk.length;
          progress({ stage: 'sha256', doneBytes: done, totalBytes: image.sizeBytes });
        }
        digest = toHex(hash.digest());
      }
      progress({ stage: 'done', doneBytes: image.sizeBytes, totalBytes: image.sizeBytes });
      return {
        ok: true,
        image: {
          fileName: sink.fileName,
          sizeBytes: image.sizeBytes,
          mappedBytes: image.mappedBytes,
          sha256: digest,
          plan,
          elapsedMs: Date.now() - started,
        },
      };
    } catch (e) {
      return { ok: false, error: asFailure(e) };
    }
  },
};

export type Engine = typeof engine;
export type { PartitionType, ImagePlan, SpecProblem, ConfFile, Diagnostic };
export type { PlannedPartition, PlannedBlob, ReservedArea, DroppedPartition } from './plan/types.ts';
