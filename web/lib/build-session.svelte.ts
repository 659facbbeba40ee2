/**
 * One build at a time: start (in the build worker), progress with stage, bytes and time left, cancel
 * (terminates the worker; the next build starts a fresh one), and the last result, whose raw image
 * stays in OPFS until the next build.
 */
import { proxy } from 'comlink';
import type { BuiltImage, EngineBuildProgress, EngineFailure } from '../../workers/engine.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { buildClient, type EngineClient } from './engine-client.ts';

export type BuildStatus = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

const STAGE_TEXT: Partial<Record<string, string>> = {
  read: 'reading input files',
  plan: 'planning',
  contents: 'partition contents',
  filesystems: 'file systems',
  blobs: 'blobs',
  tables: 'partition tables',
  write: 'writing image',
  sha256: 'SHA-256',
  done: 'done',
};

/** A build stage in words (new engine stages show by name until they get words here). */
export function stageText(stage: EngineBuildProgress['stage']): string {
  return STAGE_TEXT[stage] ?? stage;
}

export class BuildSession {
  status = $state<BuildStatus>('idle');
  progress = $state.raw<EngineBuildProgress | undefined>(undefined);
  result = $state.raw<BuiltImage | undefined>(undefined);
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
    return this.status === 'running';
  }

  async start(spec: ImageSpec, files: Record<string, File>, options: { sha256: boolean }): Promise<void> {
    this.cancel();
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

  /** Stops a running build: its worker is terminated. */
  cancel(): void {
    const c = this.#controller;
    if (!c) return;
    c.abort();
    this.#controller = undefined;
    this.status = 'cancelled';
    this.progress = undefined;
    this.etaMs = undefined;
  }
}
