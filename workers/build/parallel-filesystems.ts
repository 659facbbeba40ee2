/**
 * `Format=` partitions made at the same time: each file system is independent of the others and
 * writes only its own byte range, so all but one are sent to workers (Web Workers in the browser,
 * worker threads in Node) while this thread makes the largest; the tables come after all of them,
 * as in a sequential build. The bytes are the same as a sequential build's: the same writers run on
 * the same trees with the same tools, only in other threads.
 *
 * A worker writes straight into the image's store (ByteStore.share(): the Node host's sparse file,
 * opened again by path) and sends back the ranges it wrote. Its files are read through their refs
 * (InputFile.ref: the Node host's paths); files without one (preset files, a cloud-init seed) are
 * small and travel inline. The host gives only how to start a worker (BuildWorkers) and, in the
 * worker, how to open a store handle and a file ref (serveFileSystemJobs).
 */
import { ErrorCode, PartwrightError, isPartwrightError, type ErrorCode as ErrorCodeType } from '../model/errors.ts';
import { toolsForPartitions, type ToolName } from '../model/registry.ts';
import type { ByteRange, PlannedPartition } from '../plan/types.ts';
import type { ByteStore } from '../disk/byte-store.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { fileSystemKind, type FileSystemContext } from './filesystems.ts';
import { treeFileBytes, type InputDir, type InputEntry, type InputSymlink } from './input-tree.ts';
import { isSquashfsBlockMessage } from './squashfs-workers.ts';

/** One end of a worker as the engine talks to it (Node's Worker / parentPort, a Web Worker / its self). */
export interface WorkerEndpoint {
  /** `transfer`: buffers moved, not copied (they are unusable here afterwards). */
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  onError?(listener: (error: unknown) => void): void;
  terminate?(): void;
}

/** How a host starts workers that run serveFileSystemJobs; `max`: how many at once (cores − 1). */
export interface BuildWorkers {
  spawn(): WorkerEndpoint;
  max: number;
}

/** What a host's worker supplies to make a file system there. */
export interface FileSystemWorkerHost {
  /**
   * The store a `ByteStore.share()` handle names, opened for writing `range` (the partition) in this
   * worker (the browser's OPFS file is opened asynchronously).
   */
  openStore(handle: unknown, range: ByteRange): ByteStore | Promise<ByteStore>;
  /**
   * What the parent's `SharedByteStore.adopt` needs besides the ranges, read from the closed store
   * (the OPFS store's chunk slots); stores that need nothing more leave it out.
   */
  storeReport?(store: ByteStore): unknown;
  /** A file's bytes from its InputFile.ref. */
  openFile(ref: unknown): (offsetBytes: number, target: Uint8Array) => void;
}

export interface FileSystemJob {
  partition: PlannedPartition;
  tree: InputDir;
}

/** Files without a ref travel inline up to this many bytes per partition; past it the partition is made here. */
const INLINE_LIMIT_BYTES = 16 << 20;

type PackedFile = { kind: 'file'; name: string; mode?: number; uid?: number; gid?: number; mtimeSeconds?: number; sizeBytes: number; ref?: unknown; bytes?: Uint8Array };
type PackedDir = { kind: 'dir'; name: string; mode?: number; uid?: number; gid?: number; mtimeSeconds?: number; children: PackedEntry[] };
type PackedEntry = PackedFile | PackedDir | InputSymlink;

interface JobMessage {
  partition: PlannedPartition;
  tree: PackedDir;
  diskSizeBytes: number;
  store: unknown;
  ctx: { sectorSizeBytes: number; sourceDateEpoch: number };
  tools: Partial<Record<ToolName, WebAssembly.Module>>;
}

type ResultMessage = { written: ByteRange[]; store?: unknown } | { error: { code?: ErrorCodeType; message: string; detail?: Record<string, unknown> } };
/** A worker's word that it runs (`ready`, posted first) and that it has its job (`accepted`, before it starts on it). */
type StartMessage = { ready: true } | { accepted: true };

const meta = (e: Pick<InputEntry, 'name' | 'mode' | 'uid' | 'gid' | 'mtimeSeconds'>) => ({
  name: e.name,
  ...(e.mode !== undefined ? { mode: e.mode } : {}),
  ...(e.uid !== undefined ? { uid: e.uid } : {}),
  ...(e.gid !== undefined ? { gid: e.gid } : {}),
  ...(e.mtimeSeconds !== undefined ? { mtimeSeconds: e.mtimeSeconds } : {}),
});

/** The tree as a message: refs for files that have one, bytes for the others; undefined past INLINE_LIMIT_BYTES. */
function packTree(dir: InputDir): PackedDir | undefined {
  let inline = 0;
  const pack = (d: InputDir): PackedDir | undefined => {
    const children: PackedEntry[] = [];
    for (const c of d.children) {
      if (c.kind === 'dir') {
        const sub = pack(c);
        if (!sub) return undefined;
        children.push(sub);
      } else if (c.kind === 'symlink') {
        children.push({ ...meta(c), kind: 'symlink', target: c.target });
      } else if (c.ref !== undefined) {
        children.push({ ...meta(c), kind: 'file', sizeBytes: c.sizeBytes, ref: c.ref });
      } else {
        inline += c.sizeBytes;
        if (inline > INLINE_LIMIT_BYTES) return undefined;
        const bytes = new Uint8Array(c.sizeBytes);
        c.read(0, bytes);
        children.push({ ...meta(c), kind: 'file', sizeBytes: c.sizeBytes, bytes });
      }
    }
    return { ...meta(d), kind: 'dir', children };
  };
  return pack(dir);
}

function unpackTree(dir: PackedDir, openFile: FileSystemWorkerHost['openFile']): InputDir {
  return {
    ...meta(dir),
    kind: 'dir',
    children: dir.children.map((c): InputEntry => {
      if (c.kind === 'dir') return unpackTree(c, openFile);
      if (c.kind === 'symlink') return c;
      const bytes = c.bytes;
      const read = bytes ? (o: number, t: Uint8Array) => t.set(bytes.subarray(o, o + t.length)) : openFile(c.ref);
      return { ...meta(c), kind: 'file', sizeBytes: c.sizeBytes, read, ...(c.ref !== undefined ? { ref: c.ref } : {}) };
    }),
  };
}

function makeOne(image: SparseImage, job: FileSystemJob, ctx: FileSystemContext): void {
  const p = job.partition;
  fileSystemKind(p.spec.format!, `partitions.${p.specIndex}.format`, p.label).make(image, p, job.tree, ctx);
}

/** Whether `job`'s partition shares a unit of `unitBytes` (SharedByteStore.unitBytes) with another job's: then both are made here. */
function sharesUnit(job: FileSystemJob, jobs: readonly FileSystemJob[], unitBytes: number | undefined): boolean {
  if (!unitBytes) return false;
  const span = (p: PlannedPartition) => [Math.floor(p.offsetBytes / unitBytes), Math.ceil((p.offsetBytes + p.sizeBytes) / unitBytes)] as const;
  const [first, end] = span(job.partition);
  return jobs.some((other) => {
    if (other === job) return false;
    const [f, e] = span(other.partition);
    return f < end && first < e;
  });
}

/**
 * Make the file systems of `jobs` into `image`: in workers when the host gives them and the store
 * can be shared, else one after another here. `onMade` is called as each one is finished.
 */
export async function makeFileSystems(image: SparseImage, jobs: readonly FileSystemJob[], ctx: FileSystemContext, workers: BuildWorkers | undefined, onMade: (job: FileSystemJob) => void): Promise<void> {
  const share = workers && workers.max > 0 && jobs.length > 1 ? image.store.share?.() : undefined;
  // Largest first: this thread takes the largest; workers the rest, in order of size.
  const order = [...jobs].sort((a, b) => treeFileBytes(b.tree) - treeFileBytes(a.tree));
  const remote: { job: FileSystemJob; message: JobMessage }[] = [];
  const here: FileSystemJob[] = [];
  let handle: unknown; // Taken once, when the first job goes out (a store may snapshot its index then).
  for (const [i, job] of order.entries()) {
    const kind = fileSystemKind(job.partition.spec.format!, `partitions.${job.partition.specIndex}.format`, job.partition.label);
    const tree = i > 0 && share && !sharesUnit(job, jobs, share.unitBytes) && !kind.madeBeforePlanning ? packTree(job.tree) : undefined;
    if (!tree) {
      here.push(job);
      continue;
    }
    const tools: Partial<Record<ToolName, WebAssembly.Module>> = {};
    for (const name of toolsForPartitions([job.partition.spec])) tools[name] = ctx.loadTool!(name);
    remote.push({
      job,
      message: { partition: job.partition, tree, diskSizeBytes: image.sizeBytes, store: (handle ??= share!.handle), ctx: { sectorSizeBytes: ctx.sectorSizeBytes, sourceDateEpoch: ctx.sourceDateEpoch }, tools },
    });
  }
  if (remote.length === 0) {
    for (const job of here) {
      makeOne(image, job, ctx);
      onMade(job);
    }
    return;
  }

  const pool: WorkerEndpoint[] = [];
  const queue = [...remote];
  let failure: unknown;
  try {
    for (let i = 0; i < Math.min(workers!.max, remote.length); i++) {
      try {
        pool.push(workers!.spawn());
      } catch (e) {
        throw new PartwrightError(ErrorCode.Io, `A build worker could not be started: ${e instanceof Error ? e.message : String(e)}.`);
      }
    }
    // Every way a worker ends its part settles its promise: an answer (then its next job or done),
    // an error event (it could not start, could not read its job, or failed outside a job), or a
    // message that cannot be posted or taken in. Nothing here waits on a worker that went away.
    //
    // A worker's first job goes out only when it says it runs, and this thread starts on its own
    // share only when each has said it has its job (`started`): a browser starts a nested worker,
    // and hands it messages, from its parent's thread, so a job posted just before this thread
    // turns to a long synchronous file system would reach the worker only when that one is done
    // (Chromium: measured, bench/opfs-parallel-chromium.ts) and nothing would overlap.
    const started: Promise<void>[] = [];
    const ran = pool.map(
      (worker) =>
        new Promise<void>((resolve) => {
          let current: (typeof remote)[number] | undefined;
          let settled = false;
          let onStarted!: () => void;
          started.push(new Promise<void>((r) => (onStarted = r)));
          const stop = (e?: unknown) => {
            if (e !== undefined) failure ??= e;
            if (!settled) resolve();
            settled = true;
            onStarted();
          };
          const next = () => {
            current = failure === undefined ? queue.shift() : undefined;
            if (!current) return stop();
            try {
              worker.postMessage(current.message);
            } catch (e) {
              stop(new PartwrightError(ErrorCode.Io, `The job for partition '${current.job.partition.label}' could not be sent to a build worker: ${e instanceof Error ? e.message : String(e)}.`));
            }
          };
          worker.onMessage((m) => {
            if (settled) return;
            const start = m as StartMessage;
            if ('ready' in start) return next();
            if ('accepted' in start) return onStarted();
            try {
              const r = m as ResultMessage;
              if ('error' in r) {
                stop(r.error.code ? new PartwrightError(r.error.code, r.error.message, r.error.detail ?? {}) : new Error(r.error.message));
                return;
              }
              const p = current!.job.partition;
              const outside = r.written.find((w) => w.offsetBytes < p.offsetBytes || w.offsetBytes + w.sizeBytes > p.offsetBytes + p.sizeBytes);
              if (outside) {
                stop(new PartwrightError(ErrorCode.Io, `The ${p.spec.format} writer of partition '${p.label}' wrote outside it (bytes ${outside.offsetBytes}–${outside.offsetBytes + outside.sizeBytes - 1}).`));
                return;
              }
              image.adoptWritten(r.written, r.store);
              onMade(current!.job);
            } catch (e) {
              stop(e);
              return;
            }
            next();
          });
          worker.onError?.((e) => stop(isPartwrightError(e) ? e : new PartwrightError(ErrorCode.Io, e instanceof Error ? e.message : String(e))));
        }),
    );
    await Promise.all(started);
    // This thread makes its share meanwhile (workers run on their own); not when a worker failed already.
    try {
      for (const job of here) {
        if (failure !== undefined) break;
        makeOne(image, job, ctx);
        onMade(job);
      }
    } catch (e) {
      failure ??= e;
    }
    await Promise.all(ran);
  } finally {
    for (const w of pool) w.terminate?.();
  }
  if (failure !== undefined) throw failure;
}

/**
 * A worker's side: say it runs, then make each file system it is sent into the shared store (saying
 * it has it first) and answer with the ranges written.
 */
export function serveFileSystemJobs(port: WorkerEndpoint, host: FileSystemWorkerHost): void {
  port.onMessage(async (m) => {
    // The same workers compress squashfs blocks (squashfs-workers.ts): those messages are not jobs.
    if (isSquashfsBlockMessage(m)) return;
    const job = m as JobMessage;
    port.postMessage({ accepted: true } satisfies StartMessage);
    let store: ByteStore | undefined;
    try {
      const p = job.partition;
      store = await host.openStore(job.store, { offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes });
      const image = new SparseImage(job.diskSizeBytes, store);
      const tools = job.tools;
      makeOne(image, { partition: p, tree: unpackTree(job.tree, host.openFile) }, {
        ...job.ctx,
        loadTool: (name) => {
          const module = tools[name];
          if (!module) throw new PartwrightError(ErrorCode.Unsupported, `${name}.wasm was not sent to this worker.`);
          return module;
        },
      });
      // Closed (flushed) before answering: the parent reads these bytes as soon as it hears back.
      const closed = store;
      store = undefined;
      closed.close();
      const report = host.storeReport?.(closed);
      port.postMessage({ written: image.dataRanges(), ...(report !== undefined ? { store: report } : {}) } satisfies ResultMessage);
    } catch (e) {
      const error = isPartwrightError(e)
        ? { code: e.code, message: e.message, detail: { ...e.detail } }
        : { message: e instanceof Error ? e.message : String(e) };
      try {
        store?.close();
      } catch {
        // The job failed already: its error is the one to report.
      }
      try {
        port.postMessage({ error } satisfies ResultMessage);
      } catch {
        // A detail that cannot be cloned: the message and code still go.
        port.postMessage({ error: { ...(error.code ? { code: error.code } : {}), message: error.message } } satisfies ResultMessage);
      }
    }
  });
  port.postMessage({ ready: true } satisfies StartMessage);
}
