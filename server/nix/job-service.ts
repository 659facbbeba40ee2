/**
 * Runs allowlisted Nix builds one job at a time per slot: `nix eval` the out path; if the server's
 * cache already has it, done (nothing rebuilt); else `nix build --timeout`, then `nix copy` into the
 * signed zstd file cache. Bounded concurrency and queue, cancel by SIGTERM (Nix then stops its
 * builder; SIGKILL would orphan it, FACTS.md), logs streamed to subscribers and kept in SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installableArgs, type NixJobConfig } from './config.ts';
import { JobStore, TERMINAL_STATES, type Job, type LogChunk } from './job-store.ts';

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot (tells a reused PID apart). */
function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** After SIGTERM, how long an orphaned nix gets to stop its builder before SIGKILL (at start-up). */
const REAP_GRACE_MS = 10_000;

/**
 * Stop the process group a previous server left running, if its leader is still the same process
 * (same start time): SIGTERM (nix then stops its sandboxed builder, which runs in its own session),
 * then SIGKILL of the group after a grace period. True when something was stopped.
 */
function reapProcessGroup(group: { pgid: number; startTicks: string }): boolean {
  if (processStartTicks(group.pgid) !== group.startTicks || !groupAlive(group.pgid)) return false;
  try {
    process.kill(-group.pgid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + REAP_GRACE_MS;
  while (groupAlive(group.pgid) && Date.now() < deadline) sleepSync(50);
  if (groupAlive(group.pgid)) {
    try {
      process.kill(-group.pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return true;
}

export class QueueFullError extends Error {
  constructor(readonly maxQueued: number) {
    super(`the build queue is full (${maxQueued} waiting); try again later`);
    this.name = 'QueueFullError';
  }
}

export class UnknownInstallableError extends Error {
  constructor(readonly installable: string, known: string[]) {
    super(`"${installable}" is not an allowlisted installable; this server builds: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownInstallableError';
  }
}

export type JobEvent = { kind: 'log'; chunk: LogChunk } | { kind: 'state'; job: Job };

interface RunningJob {
  child: ChildProcess | undefined;
  cancelled: boolean;
  stopping: boolean;
  logBytes: number;
  truncated: boolean;
  done: Promise<void>;
}

/** After SIGTERM, how long a nix process gets before SIGKILL of its process group. */
const KILL_GRACE_MS = 15_000;
/** Past `--timeout`, evaluation and copying get this long before the server stops the job. */
const WATCHDOG_SLACK_MS = 120_000;

const DEFAULTS = { maxConcurrent: 1, maxQueued: 8, buildTimeoutSeconds: 3600, maxLogBytes: 4 << 20, cachePriority: 41 };

export class NixJobService {
  readonly store: JobStore;
  private readonly running = new Map<string, RunningJob>();
  private readonly listeners = new Map<string, Set<(e: JobEvent) => void>>();
  private closed = false;
  private readonly limits: typeof DEFAULTS;

  constructor(readonly config: NixJobConfig) {
    this.limits = {
      maxConcurrent: config.maxConcurrent ?? DEFAULTS.maxConcurrent,
      maxQueued: config.maxQueued ?? DEFAULTS.maxQueued,
      buildTimeoutSeconds: config.buildTimeoutSeconds ?? DEFAULTS.buildTimeoutSeconds,
      maxLogBytes: config.maxLogBytes ?? DEFAULTS.maxLogBytes,
      cachePriority: config.cachePriority ?? DEFAULTS.cachePriority,
    };
    this.store = new JobStore(config.databaseFile);
  }

  /** Prepare the cache, requeue jobs a previous process left running, start queued ones. */
  start(): void {
    mkdirSync(this.config.cacheDir, { recursive: true });
    const info = join(this.config.cacheDir, 'nix-cache-info');
    // nix copy keeps an existing nix-cache-info; it does not write WantMassQuery/Priority itself.
    if (!existsSync(info)) writeFileSync(info, `StoreDir: /nix/store\nWantMassQuery: 1\nPriority: ${this.limits.cachePriority}\n`);
    // A job still 'running' means the previous server died without stopping it (kill -9, a crash):
    // its nix may still run, holding store locks. Stop that process group first, then queue the job again.
    for (const job of this.store.inState('running')) {
      const group = this.store.processGroup(job.id);
      const reaped = group ? reapProcessGroup(group) : false;
      this.store.setProcessGroup(job.id, undefined);
      this.store.markQueued(job.id);
      this.log(job.id, `partwright: the server restarted during this job${reaped ? '; its nix, still running, was stopped' : ''}; it is queued again.\n`);
    }
    this.pump();
  }

  installables(): string[] {
    return Object.keys(this.config.installables).sort();
  }

  /**
   * Queue a build of an allowlisted installable. An identical queued or running job is returned
   * instead of a second one (`created: false`).
   */
  submit(installable: string): { job: Job; created: boolean } {
    if (this.closed) throw new Error('the job service is shutting down');
    if (!Object.hasOwn(this.config.installables, installable)) throw new UnknownInstallableError(installable, this.installables());
    const existing = this.store.active(installable);
    if (existing) return { job: existing, created: false };
    const free = this.limits.maxConcurrent - this.running.size;
    if (free <= 0 && this.store.countInState('queued') >= this.limits.maxQueued) throw new QueueFullError(this.limits.maxQueued);
    const job = this.store.insert({ id: randomUUID(), installable, createdMs: Date.now() });
    this.emit(job.id, { kind: 'state', job });
    this.pump();
    return { job: this.store.get(job.id)!, created: true };
  }

  get(id: string): Job | undefined {
    return this.store.get(id);
  }

  list(): Job[] {
    return this.store.list();
  }

  logsAfter(id: string, afterSeq = 0): LogChunk[] {
    return this.store.logsAfter(id, afterSeq);
  }

  /** Listen to one job's log chunks and state changes; returns the unsubscribe function. */
  subscribe(id: string, listener: (e: JobEvent) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** Cancel a queued or running job (SIGTERM to its nix process). Returns the job, or undefined. */
  cancel(id: string): Job | undefined {
    const job = this.store.get(id);
    if (!job) return undefined;
    if (job.state === 'queued') {
      this.store.finish(id, 'cancelled', Date.now(), { error: 'cancelled before it started' });
      this.emitState(id);
    } else if (job.state === 'running') {
      const run = this.running.get(id);
      if (run && !run.cancelled) {
        run.cancelled = true;
        this.log(id, 'partwright: cancelling (SIGTERM)…\n');
        this.terminate(run);
      }
    }
    return this.store.get(id);
  }

  /** Wait until a job reaches a terminal state (tests, CLI). */
  waitFor(id: string): Promise<Job> {
    return new Promise((resolve) => {
      const check = () => {
        const job = this.store.get(id);
        if (job && TERMINAL_STATES.includes(job.state)) {
          off();
          resolve(job);
        }
      };
      const off = this.subscribe(id, (e) => e.kind === 'state' && check());
      check();
    });
  }

  /** Stop: running builds get SIGTERM and go back to the queue for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.running.values()];
    for (const run of runs) {
      run.stopping = true;
      this.terminate(run);
    }
    await Promise.all(runs.map((r) => r.done));
    this.store.close();
  }

  private terminate(run: RunningJob): void {
    const child = run.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }, KILL_GRACE_MS);
    child.once('exit', () => clearTimeout(timer));
  }

  private emit(id: string, e: JobEvent): void {
    for (const l of this.listeners.get(id) ?? []) l(e);
  }

  private emitState(id: string): void {
    const job = this.store.get(id);
    if (job) this.emit(id, { kind: 'state', job });
  }

  /**
   * The public log never shows the server's own paths (store, cache, signing key, expression
   * files, flake folders): each is replaced by a placeholder before the text is stored.
   */
  private redact(text: string): string {
    const c = this.config;
    const pairs: [string | undefined, string][] = [
      [c.secretKeyFile, '<secret-key>'],
      [c.cacheDir, '<cache>'],
      [c.store, '<store>'],
      [c.databaseFile, '<database>'],
      ...Object.entries(c.installables).map(([id, spec]): [string | undefined, string] => ('flake' in spec ? [spec.flake.split('#')[0]!.replace(/^path:/, ''), `<${id}>`] : [spec.file, `<${id}>`])),
    ];
    for (const [p, placeholder] of pairs.filter(([p]) => p !== undefined && p.length > 1).sort((a, b) => b[0]!.length - a[0]!.length)) {
      text = text.split(p!).join(placeholder);
    }
    return text;
  }

  private log(id: string, text: string): void {
    text = this.redact(text);
    const run = this.running.get(id);
    if (run) {
      if (run.truncated) return;
      run.logBytes += text.length;
      if (run.logBytes > this.limits.maxLogBytes) {
        run.truncated = true;
        text = `${text.slice(0, Math.max(0, text.length - (run.logBytes - this.limits.maxLogBytes)))}\npartwright: log truncated at ${this.limits.maxLogBytes} bytes.\n`;
      }
    }
    const seq = this.store.appendLog(id, text);
    this.emit(id, { kind: 'log', chunk: { seq, text } });
  }

  private pump(): void {
    if (this.closed) return;
    while (this.running.size < this.limits.maxConcurrent) {
      const next = this.store.inState('queued')[0];
      if (!next) return;
      this.store.markRunning(next.id, Date.now());
      const run: RunningJob = { child: undefined, cancelled: false, stopping: false, logBytes: this.store.logBytes(next.id), truncated: false, done: Promise.resolve() };
      this.running.set(next.id, run);
      this.emitState(next.id);
      run.done = this.run(next, run);
    }
  }

  private async run(job: Job, run: RunningJob): Promise<void> {
    const spec = this.config.installables[job.installable];
    try {
      if (!spec) throw new Error(`"${job.installable}" is no longer in the server's allowlist`);
      const evaluated = await this.nix(job.id, run, ['eval', '--raw', ...installableArgs(spec, '.outPath')]);
      const outPath = evaluated.trim();
      if (this.inCache(outPath)) {
        this.log(job.id, `partwright: ${outPath} is already in the cache; nothing to build.\n`);
        this.store.finish(job.id, 'succeeded', Date.now(), { outPaths: [outPath], cached: true });
        return;
      }
      const built = await this.nix(job.id, run, ['build', '--timeout', String(this.limits.buildTimeoutSeconds), '--no-link', '--json', '-L', ...installableArgs(spec)]);
      const outPaths = (JSON.parse(built) as Array<{ outputs: Record<string, string> }>).flatMap((b) => Object.values(b.outputs)).sort();
      const to = `file://${this.config.cacheDir}?compression=zstd&secret-key=${this.config.secretKeyFile}`;
      await this.nix(job.id, run, ['copy', '--to', to, ...outPaths]);
      this.store.saveResult(job.installable, outPaths, Date.now());
      this.store.finish(job.id, 'succeeded', Date.now(), { outPaths });
    } catch (e) {
      if (run.stopping) {
        this.store.markQueued(job.id);
        this.log(job.id, 'partwright: the server is stopping; the job goes back to the queue.\n');
      } else if (run.cancelled) {
        this.store.finish(job.id, 'cancelled', Date.now(), { error: 'cancelled' });
      } else {
        const message = this.redact((e as Error).message);
        this.log(job.id, `partwright: ${message}\n`);
        this.store.finish(job.id, 'failed', Date.now(), { error: message });
      }
    } finally {
      this.running.delete(job.id);
      this.emitState(job.id);
      this.pump();
    }
  }

  private inCache(outPath: string): boolean {
    const m = /^\/nix\/store\/([0-9a-z]{32})-/.exec(outPath);
    return m !== null && existsSync(join(this.config.cacheDir, `${m[1]}.narinfo`));
  }

  /** Run nix with the configured store and environment; stderr goes to the job log; resolves stdout. */
  private nix(jobId: string, run: RunningJob, args: string[]): Promise<string> {
    if (run.cancelled || run.stopping) return Promise.reject(new Error('stopped'));
    const full = [...(this.config.store ? ['--store', this.config.store] : []), ...args];
    this.log(jobId, `$ nix ${full.join(' ')}\n`);
    return new Promise((resolve, reject) => {
      // Its own process group, so a last-resort SIGKILL reaches everything nix started.
      const child = spawn(this.config.nixBin ?? 'nix', full, {
        env: { ...process.env, ...this.config.nixEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      run.child = child;
      if (child.pid) {
        const startTicks = processStartTicks(child.pid);
        if (startTicks) this.store.setProcessGroup(jobId, { pgid: child.pid, startTicks });
      }
      let stdout = '';
      let lastError = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        this.log(jobId, s);
        const errorLine = s.split('\n').find((l) => l.startsWith('error:'));
        if (errorLine) lastError = errorLine.replace(/\x1b\[[0-9;]*m/g, '');
      });
      const watchdog = setTimeout(() => {
        this.log(jobId, 'partwright: the job ran past its time limit; stopping it.\n');
        this.terminate(run);
      }, this.limits.buildTimeoutSeconds * 1000 + WATCHDOG_SLACK_MS);
      child.on('error', (e) => {
        clearTimeout(watchdog);
        reject(new Error(`could not start nix: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(watchdog);
        run.child = undefined;
        this.store.setProcessGroup(jobId, undefined);
        if (code === 0) resolve(stdout);
        else reject(new Error(`nix ${args[0]} failed (${signal ?? `exit ${code}`})${lastError ? `: ${lastError}` : ''}`));
      });
    });
  }
}
