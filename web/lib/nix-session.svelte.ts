/**
 * `StorePaths=` before a build: the Nix settings (loaded from IndexedDB, defaulting to the job
 * server's cache beside the app plus cache.nixos.org), a check of every store path across the
 * caches (in the engine worker), and for a path no cache has, a build on the job server: the user
 * picks an allowlisted installable, gives the token once, and follows the job's status and log.
 */
import type { NixCacheSettings, StorePathStatus } from '../../workers/engine.ts';
import { engineClient, type EngineClient } from './engine-client.ts';
import {
  cancelNixJob,
  defaultNixSettings,
  getNixJob,
  loadNixServer,
  loadNixSettings,
  loadToken,
  saveNixSettings,
  saveToken,
  streamNixJobLog,
  submitNixJob,
  TERMINAL_JOB_STATES,
  withServerCache,
  type NixJob,
  type NixServerInfo,
} from './nix-settings.ts';

const POLL_MS = 1000;

export class NixSession {
  settings = $state.raw<NixCacheSettings>(defaultNixSettings(undefined));
  server = $state.raw<NixServerInfo | undefined>(undefined);
  statuses = $state.raw<StorePathStatus[]>([]);
  checking = $state(false);
  checkError = $state<string | undefined>(undefined);
  job = $state.raw<NixJob | undefined>(undefined);
  jobError = $state<string | undefined>(undefined);
  log = $state('');
  cancelling = $state(false);
  /** The submit token: this tab's sessionStorage, never the layout or a share link. */
  token = $state(loadToken());
  #loaded: Promise<void> | undefined;
  readonly #client: EngineClient;

  constructor(client: EngineClient = engineClient) {
    this.#client = client;
  }

  /** Asks for the job server and the saved settings once, when a layout first has store paths. */
  load(): Promise<void> {
    return (this.#loaded ??= this.#init());
  }

  async #init(): Promise<void> {
    this.server = await loadNixServer();
    this.settings = (await loadNixSettings()) ?? defaultNixSettings(this.server);
  }

  setSettings(settings: NixCacheSettings): void {
    this.settings = settings;
    this.statuses = [];
    void saveNixSettings(settings).catch(() => {});
  }

  get missing(): StorePathStatus[] {
    return this.statuses.filter((s) => s.state !== 'found');
  }

  /** Looks every path up; true when each is in some cache (the build can start). */
  async check(paths: string[]): Promise<boolean> {
    await this.load();
    this.checking = true;
    this.checkError = undefined;
    try {
      const r = await this.#client.call('lookUpStorePaths', [paths, this.settings], new AbortController().signal);
      if (!r.ok) {
        this.checkError = r.error.message;
        this.statuses = [];
        return false;
      }
      this.statuses = r.paths;
      return r.paths.every((s) => s.state === 'found');
    } catch (e) {
      this.checkError = e instanceof Error ? e.message : String(e);
      return false;
    } finally {
      this.checking = false;
    }
  }

  /**
   * Builds `installable` on the job server; resolves true when it succeeded and every path it was
   * asked for is now in the server's cache (the server's cache and key are added to the settings).
   */
  async buildOnServer(installable: string, token: string, wanted: string[]): Promise<boolean> {
    const server = this.server;
    if (!server) return false;
    this.token = token;
    saveToken(token);
    this.jobError = undefined;
    this.log = '';
    const logs = new AbortController();
    try {
      let job = await submitNixJob(installable, token);
      this.job = job;
      void streamNixJobLog(job.id, (text) => (this.log += text), logs.signal).catch(() => {});
      while (!TERMINAL_JOB_STATES.includes(job.state)) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        job = await getNixJob(job.id);
        this.job = job;
      }
      if (job.state !== 'succeeded') {
        this.jobError = job.state === 'cancelled' ? 'The server build was cancelled.' : `The server build ${job.state}${job.error ? `: ${job.error}` : ''}.`;
        return false;
      }
      const notBuilt = wanted.filter((p) => !job.outPaths.includes(p));
      if (notBuilt.length > 0) {
        this.jobError = `${installable} built ${job.outPaths.join(', ') || 'nothing'}, not ${notBuilt.join(', ')}: pick the installable that produces it, or put its out path in StorePaths=.`;
        return false;
      }
      const settings = withServerCache(this.settings, server);
      if (settings !== this.settings) this.setSettings(settings);
      return true;
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
      return false;
    } finally {
      this.cancelling = false;
      // Let the log's last lines arrive before it closes with the job.
      setTimeout(() => logs.abort(), 2000);
    }
  }

  /** Whether the current server job can still be cancelled. */
  get jobActive(): boolean {
    return !!this.job && !TERMINAL_JOB_STATES.includes(this.job.state);
  }

  /**
   * Cancels the current server job (POST /nix/jobs/ID/cancel with the token); `buildOnServer` then
   * sees the cancelled state and resolves false, so nothing is built.
   */
  async cancelJob(): Promise<void> {
    const job = this.job;
    if (!job || !this.jobActive || this.cancelling) return;
    this.cancelling = true;
    try {
      const cancelled = await cancelNixJob(job.id, this.token);
      if (this.job?.id === cancelled.id) this.job = cancelled;
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
      this.cancelling = false;
    }
  }
}
