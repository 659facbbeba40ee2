/**
 * Jobs, their logs and built results, persisted in SQLite (better-sqlite3, synchronous) so a
 * restart loses nothing: queued jobs stay queued, a job that was running when the server stopped
 * is queued again, and finished ones keep their out paths and logs.
 */
import Database from 'better-sqlite3';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export interface Job {
  id: string;
  installable: string;
  state: JobState;
  createdMs: number;
  startedMs: number | undefined;
  finishedMs: number | undefined;
  /** Store paths built (or found in the cache), when succeeded. */
  outPaths: string[];
  /** True when the result was already in the cache and nothing was built. */
  cached: boolean;
  error: string | undefined;
}

interface JobRow {
  id: string;
  installable: string;
  state: JobState;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  out_paths: string;
  cached: number;
  error: string | null;
}

export interface LogChunk {
  seq: number;
  text: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  installable TEXT NOT NULL,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER,
  finished_ms INTEGER,
  out_paths TEXT NOT NULL DEFAULT '[]',
  cached INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_ms);
CREATE TABLE IF NOT EXISTS job_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_logs_job ON job_logs(job_id, seq);
CREATE TABLE IF NOT EXISTS results (
  installable TEXT PRIMARY KEY,
  out_paths TEXT NOT NULL,
  built_ms INTEGER NOT NULL
);
`;

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    installable: r.installable,
    state: r.state,
    createdMs: r.created_ms,
    startedMs: r.started_ms ?? undefined,
    finishedMs: r.finished_ms ?? undefined,
    outPaths: JSON.parse(r.out_paths) as string[],
    cached: r.cached !== 0,
    error: r.error ?? undefined,
  };
}

export class JobStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    // Added later: the running nix's process group and its start time (to reap it after a crash).
    const columns = (this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('pgid')) this.db.exec('ALTER TABLE jobs ADD COLUMN pgid INTEGER; ALTER TABLE jobs ADD COLUMN pgid_start TEXT;');
  }

  /** Record (or clear, with undefined) the process group of the nix process a job is running. */
  setProcessGroup(id: string, group: { pgid: number; startTicks: string } | undefined): void {
    this.db.prepare('UPDATE jobs SET pgid = ?, pgid_start = ? WHERE id = ?').run(group?.pgid ?? null, group?.startTicks ?? null, id);
  }

  processGroup(id: string): { pgid: number; startTicks: string } | undefined {
    const r = this.db.prepare('SELECT pgid, pgid_start FROM jobs WHERE id = ?').get(id) as { pgid: number | null; pgid_start: string | null } | undefined;
    return r && r.pgid !== null && r.pgid_start !== null ? { pgid: r.pgid, startTicks: r.pgid_start } : undefined;
  }

  close(): void {
    this.db.close();
  }

  insert(job: Pick<Job, 'id' | 'installable' | 'createdMs'>): Job {
    this.db.prepare('INSERT INTO jobs (id, installable, state, created_ms) VALUES (?, ?, ?, ?)').run(job.id, job.installable, 'queued', job.createdMs);
    return this.get(job.id)!;
  }

  get(id: string): Job | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return r && toJob(r);
  }

  list(limit = 100): Job[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY created_ms DESC, rowid DESC LIMIT ?').all(limit) as JobRow[]).map(toJob);
  }

  /** Jobs in `state`, oldest first. */
  inState(state: JobState): Job[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE state = ? ORDER BY created_ms, rowid').all(state) as JobRow[]).map(toJob);
  }

  countInState(state: JobState): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE state = ?').get(state) as { n: number }).n;
  }

  /** The queued or running job for `installable`, if any. */
  active(installable: string): Job | undefined {
    const r = this.db.prepare("SELECT * FROM jobs WHERE installable = ? AND state IN ('queued', 'running') ORDER BY created_ms LIMIT 1").get(installable) as JobRow | undefined;
    return r && toJob(r);
  }

  markRunning(id: string, nowMs: number): void {
    this.db.prepare("UPDATE jobs SET state = 'running', started_ms = ? WHERE id = ?").run(nowMs, id);
  }

  markQueued(id: string): void {
    this.db.prepare("UPDATE jobs SET state = 'queued', started_ms = NULL WHERE id = ?").run(id);
  }

  finish(id: string, state: Exclude<JobState, 'queued' | 'running'>, nowMs: number, result: { outPaths?: string[]; cached?: boolean; error?: string } = {}): void {
    this.db
      .prepare('UPDATE jobs SET state = ?, finished_ms = ?, out_paths = ?, cached = ?, error = ? WHERE id = ?')
      .run(state, nowMs, JSON.stringify(result.outPaths ?? []), result.cached ? 1 : 0, result.error ?? null, id);
  }

  appendLog(id: string, text: string): number {
    return Number(this.db.prepare('INSERT INTO job_logs (job_id, text) VALUES (?, ?)').run(id, text).lastInsertRowid);
  }

  logsAfter(id: string, afterSeq: number): LogChunk[] {
    return this.db.prepare('SELECT seq, text FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq').all(id, afterSeq) as LogChunk[];
  }

  logBytes(id: string): number {
    return (this.db.prepare('SELECT COALESCE(SUM(LENGTH(text)), 0) AS n FROM job_logs WHERE job_id = ?').get(id) as { n: number }).n;
  }

  saveResult(installable: string, outPaths: string[], nowMs: number): void {
    this.db.prepare('INSERT INTO results (installable, out_paths, built_ms) VALUES (?, ?, ?) ON CONFLICT(installable) DO UPDATE SET out_paths = excluded.out_paths, built_ms = excluded.built_ms').run(installable, JSON.stringify(outPaths), nowMs);
  }

  result(installable: string): { outPaths: string[]; builtMs: number } | undefined {
    const r = this.db.prepare('SELECT out_paths, built_ms FROM results WHERE installable = ?').get(installable) as { out_paths: string; built_ms: number } | undefined;
    return r && { outPaths: JSON.parse(r.out_paths) as string[], builtMs: r.built_ms };
  }
}
