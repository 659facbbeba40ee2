/**
 * One build at a time: start (in the build worker), progress with stage, bytes and time left, cancel
 * (terminates the worker; the next build starts a fresh one), and the last result, whose raw image
 * stays in OPFS until the next build.
 */
import { proxy } from 'comlink';
import type { BuiltImage, BuiltImageRef, ReadbackCheck, EngineBuildOptions, EngineBuildProgress, EngineFailure, EngineOutputFormat, OutputFile, WritableFileHandle } from '../../workers/engine.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { OUTPUT_FORMATS } from '../../workers/model/registry.ts';
import { buildClient, type EngineClient } from './engine-client.ts';

export type BuildStatus = 'idle' | 'running' | 'converting' | 'done' | 'failed' | 'cancelled';

/** The download choices, in menu order, with what the user's next tool is (the engine's registry). */
export const OUTPUT_CHOICES: readonly { format: EngineOutputFormat; label: string }[] = OUTPUT_FORMATS.map((f) => ({ format: f.name, label: f.label }));

const STAGE_TEXT: Partial<Record<string, string>> = {
  read: 'reading input files',
  nix: 'Nix closure',
  plan: 'planning',
  contents: 'partition contents',
  filesystems: 'file systems',
  blobs: 'blobs',
  tables: 'partition tables',
  write: 'writing image',
  bmap: 'hashing data (bmap)',
  sha256: 'SHA-256 of the whole image',
  done: 'done',
};

/** A build stage in words (new engine stages show by name until they get words here). */
export function stageText(stage: EngineBuildProgress['stage']): string {
  return STAGE_TEXT[stage] ?? stage;
}

/** A spec's identity for "is this still what was built": its JSON (the same spec gives the same text). */
export function specFingerprint(spec: ImageSpec): string {
  return JSON.stringify(spec);
}

/**
 * Whether the last result was built from another layout (`'other'`), an earlier state of this one
 * (`'changed'`), or this layout as it is (`undefined`).
 */
export function resultStaleness(builtFrom: { name: string; specJson: string } | undefined, name: string, spec: ImageSpec): 'other' | 'changed' | undefined {
  if (!builtFrom) return undefined;
  if (builtFrom.name !== name) return 'other';
  return builtFrom.specJson === specFingerprint(spec) ? undefined : 'changed';
}

export class BuildSession {
  status = $state<BuildStatus>('idle');
  progress = $state.raw<EngineBuildProgress | undefined>(undefined);
  result = $state.raw<BuiltImage | undefined>(undefined);
  /**
   * What the last result was built from: the layout's name and its spec as JSON, so the panel can say
   * when the layout on screen is no longer the one the image holds (the image stays downloadable).
   */
  builtFrom = $state.raw<{ name: string; specJson: string } | undefined>(undefined);
  error = $state.raw<EngineFailure | undefined>(undefined);
  /** When the current stage started, and its first byte count, for the time-left estimate. */
  #stageStart = { stage: '', atMs: 0 };
  etaMs = $state<number | undefined>(undefined);

  readonly #client: EngineClient;
  #controller: AbortController | undefined;

  constructor(client: EngineClient = buildClient) {
    this.#client = client;
  }

  get running(): boolean {
    return this.status === 'running' || this.status === 'converting';
  }

  #ref(image: BuiltImage): BuiltImageRef {
    return { fileName: image.fileName, sizeBytes: image.sizeBytes, chunkBytes: image.chunkBytes, slots: image.slots, dataRanges: image.dataRanges, seed: image.plan.seed };
  }

  /** What the worker needs to read the last build back from OPFS (flash, convert, save). */
  imageRef(): BuiltImageRef | undefined {
    return this.result ? this.#ref(this.result) : undefined;
  }

  /** Writes the last build's raw image into a file the user picked (holes as seeks). */
  async saveRaw(handle: WritableFileHandle): Promise<boolean> {
    const image = this.result;
    if (!image || this.running) return false;
    return this.#background(async (signal, onProgress) => {
      const r = await this.#client.call('saveRaw', [this.#ref(image), handle, proxy(onProgress)], signal);
      if (!r.ok) this.error = r.error;
      return r.ok;
    }, false);
  }

  /** Runs a worker call on the last build with progress and cancel; `fallback` when cancelled or failed. */
  async #background<T>(run: (signal: AbortSignal, onProgress: (p: EngineBuildProgress) => void) => Promise<T>, fallback: T): Promise<T> {
    const controller = new AbortController();
    this.#controller = controller;
    this.status = 'converting';
    this.progress = undefined;
    this.error = undefined;
    const onProgress = (p: EngineBuildProgress): void => {
      if (this.#controller === controller) this.progress = p;
    };
    try {
      const value = await run(controller.signal, onProgress);
      if (this.#controller !== controller) return fallback;
      this.status = 'done';
      return value;
    } catch (e) {
      if (this.#controller !== controller) return fallback;
      this.status = 'done';
      if (!controller.signal.aborted) this.error = { code: 'io', message: e instanceof Error ? e.message : String(e) };
      return fallback;
    } finally {
      if (this.#controller === controller) this.#controller = undefined;
      this.progress = undefined;
    }
  }

  /**
   * Writes the last build in another format (in the worker, into OPFS). Resolves with the files to
   * download, or undefined when it failed or was cancelled (`error` / `status` say which).
   */
  async convert(format: EngineOutputFormat, options: { maxPieceBytes?: number } = {}): Promise<OutputFile[] | undefined> {
    const image = this.result;
    if (!image || this.running) return undefined;
    // The same plan and SOURCE_DATE_EPOCH as the build, so the files match the CLI's byte for byte.
    const convertOptions = {
      plan: { seed: image.plan.seed, partitions: image.plan.partitions },
      ...(image.sourceDateEpoch !== undefined ? { sourceDateEpoch: image.sourceDateEpoch } : {}),
      ...options,
    };
    return this.#background(async (signal, onProgress) => {
      const r = await this.#client.call('convert', [this.#ref(image), format, proxy(onProgress), convertOptions], signal);
      if (r.ok) return r.files;
      this.error = r.error;
      return undefined;
    }, undefined);
  }

  async start(spec: ImageSpec, files: Record<string, File>, options: EngineBuildOptions & { sha256: boolean }, layoutName = ''): Promise<void> {
    this.cancel();
    const from = { name: layoutName, specJson: specFingerprint(spec) };
    const controller = new AbortController();
    this.#controller = controller;
    this.status = 'running';
    this.progress = undefined;
    this.error = undefined;
    this.etaMs = undefined;
    const onProgress = (p: EngineBuildProgress): void => {
      if (this.#controller !== controller) return;
      const now = performance.now();
      if (p.stage !== this.#stageStart.stage) this.#stageStart = { stage: p.stage, atMs: now };
      const elapsed = now - this.#stageStart.atMs;
      this.etaMs = p.totalBytes > 0 && p.doneBytes > 0 && elapsed > 300 ? (elapsed * (p.totalBytes - p.doneBytes)) / p.doneBytes : undefined;
      this.progress = p;
    };
    try {
      const outcome = await this.#client.call('build', [spec, { ...files }, proxy(onProgress), options], controller.signal);
      if (this.#controller !== controller) return;
      if (outcome.ok) {
        this.result = outcome.image;
        this.builtFrom = from;
        this.status = 'done';
      } else {
        this.error = outcome.error;
        this.status = 'failed';
      }
    } catch (e) {
      if (this.#controller !== controller) return;
      if (controller.signal.aborted) {
        this.status = 'cancelled';
      } else {
        this.error = { code: 'io', message: e instanceof Error ? e.message : String(e) };
        this.status = 'failed';
      }
    } finally {
      if (this.#controller === controller) this.#controller = undefined;
    }
  }

  /**
   * Checks a read-back of the written device against the bmap (the user's `.bmap`, or the one the
   * last build makes), hashing in the worker. Undefined when cancelled or failed (`error` says why).
   */
  async verify(readback: File, bmapFile?: File): Promise<{ check: ReadbackCheck; imageSizeBytes: number; fromBmapFile: boolean } | undefined> {
    if (this.running) return undefined;
    const image = this.result;
    return this.#background(async (signal, onProgress) => {
      const r = await this.#client.call('verifyReadback', [image ? this.#ref(image) : undefined, readback, bmapFile, proxy(onProgress)], signal);
      if (r.ok) return { check: r.check, imageSizeBytes: r.imageSizeBytes, fromBmapFile: r.fromBmapFile };
      this.error = r.error;
      return undefined;
    }, undefined);
  }

  /** Stops a running build: its worker is terminated. */
  cancel(): void {
    const c = this.#controller;
    if (!c) return;
    c.abort();
    this.#controller = undefined;
    this.status = this.status === 'converting' ? 'done' : 'cancelled';
    this.progress = undefined;
    this.etaMs = undefined;
  }
}
