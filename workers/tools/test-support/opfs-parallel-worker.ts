/**
 * Web Worker entry for the OPFS parallel-build test and bench: builds the layout it is sent through
 * the app's host (createOpfsHost, the OPFS store) with file systems in nested build workers
 * (`/build-worker.js`) or one at a time, and posts back the image's SHA-256, its data ranges and
 * per-partition digests, how many build workers started, and the time the build took.
 */
import { runBuild } from '../../build/run-build.ts';
import type { InputEntry } from '../../build/input-tree.ts';
import type { ImageSpec } from '../../model/spec.ts';
import type { ToolName } from '../../model/registry.ts';
import { opfsBuildWorkers } from '../../hosts/opfs/build-workers.ts';
import { createOpfsHost } from '../../hosts/opfs/index.ts';
import { BUILD_FILE_PREFIX, opfsRoot } from '../../hosts/opfs/files.ts';
import { isPartwrightError } from '../../model/errors.ts';
import { loadMke2fsModule } from '../mke2fs-module.ts';
import type { PlainEntry } from './verity-sample.ts';

export interface OpfsParallelRequest {
  spec: ImageSpec;
  /** CopyFiles= sources by path. */
  trees: Record<string, PlainEntry>;
  /** Build workers at most; 0: one file system after another. */
  workers: number;
  /** The build workers' script (default `/build-worker.js`; a missing one tests a worker that cannot start). */
  workerUrl?: string;
}

export interface OpfsParallelReply {
  sha256?: string;
  dataRanges?: unknown;
  partitionDigests?: unknown;
  spawned?: number;
  shared?: boolean;
  /** Why the store was not shared (OpfsStore.unshared). */
  unshared?: string;
  ms?: number;
  /** Of `ms`, until the image was hashed (file systems and tables made). */
  madeMs?: number;
  /** Per build worker: from its start to its answer. */
  workerMs?: number[];
  error?: string;
  /** The PartwrightError's code, when the build failed with one. */
  code?: string;
  /** The build files in the OPFS root afterwards (`build-…`). */
  buildFiles?: string[];
}

declare const File: new (parts: Uint8Array[], name: string) => { size: number; slice(start: number, end: number): never };

/** Files as File objects (what the app stages), so a build worker reads them through their refs. */
export function toInput(e: PlainEntry): InputEntry {
  const meta = { name: e.name, mode: e.mode, uid: e.uid, gid: e.gid, mtimeSeconds: e.mtimeSeconds };
  if (e.kind === 'symlink') return { ...meta, kind: 'symlink', target: e.target };
  if (e.kind === 'dir') return { ...meta, kind: 'dir', children: e.children.map(toInput) };
  const file = new File([e.bytes], e.name);
  const bytes = e.bytes;
  return { ...meta, kind: 'file', sizeBytes: e.bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)), ref: file };
}

/** Build `spec` through the app's OPFS host with `workers` build workers at most (0: one at a time). */
export async function buildInOpfs(spec: ImageSpec, trees: Map<string, InputEntry>, workers: number, workerUrl = '/build-worker.js'): Promise<OpfsParallelReply> {
  const tools: Partial<Record<ToolName, WebAssembly.Module>> = { mke2fs: await loadMke2fsModule('/mke2fs.wasm') };
  let spawned = 0;
  const inner = workers > 0 ? opfsBuildWorkers(workerUrl, workers) : undefined;
  if (workers > 0 && !inner) throw new Error('This worker cannot start build workers.');
  const workerMs: number[] = [];
  let t0 = 0;
  let madeMs: number | undefined;
  const spawn = () => {
    spawned++;
    const endpoint = inner!.spawn();
    const started = performance.now();
    const i = workerMs.push(0) - 1;
    return { ...endpoint, onMessage: (listener: (m: unknown) => void) => endpoint.onMessage((m) => ((workerMs[i] = performance.now() - started), listener(m))) };
  };
  const host = createOpfsHost({
    files: {},
    trees,
    workers: inner ? { max: inner.max, spawn } : false,
    onProgress: (p) => {
      if (madeMs === undefined && (p.stage === 'bmap' || p.stage === 'sha256')) madeMs = performance.now() - t0;
    },
  });
  host.loadTool = async (name) => {
    const m = tools[name];
    if (!m) throw new Error(`${name} not loaded`);
    return m;
  };
  t0 = performance.now();
  const r = await runBuild(spec, host, { sha256: true, partitionDigests: true });
  const ms = performance.now() - t0;
  return { sha256: r.sha256!, dataRanges: r.image.dataRanges(), partitionDigests: r.partitionDigests, spawned, shared: host.store?.share() !== undefined, ...(host.store?.unshared !== undefined ? { unshared: host.store.unshared } : {}), ms, ...(madeMs !== undefined ? { madeMs } : {}), workerMs };
}

const scope = globalThis as unknown as {
  onmessage: ((event: { data: OpfsParallelRequest }) => void) | null;
  postMessage(message: OpfsParallelReply): void;
};
/** The test's entry (a bench's entry that imports buildInOpfs sets its own). */
scope.onmessage = async ({ data }) => {
  let reply: OpfsParallelReply;
  try {
    reply = await buildInOpfs(data.spec, new Map(Object.entries(data.trees).map(([source, tree]) => [source, toInput(tree)])), data.workers, data.workerUrl);
  } catch (e) {
    reply = { error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e), ...(isPartwrightError(e) ? { code: e.code } : {}) };
  }
  const buildFiles: string[] = [];
  for await (const name of (await opfsRoot()).keys()) if (name.startsWith(BUILD_FILE_PREFIX)) buildFiles.push(name);
  scope.postMessage({ ...reply, buildFiles });
};
