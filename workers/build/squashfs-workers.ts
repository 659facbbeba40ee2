/**
 * squashfs on every core: the writer (formats/squashfs writeSquashfsAsync) reads the data and
 * fragment blocks in image order here, and a pool of build workers (BuildWorkers: worker threads in
 * Node, nested Web Workers in the browser) compresses them, each with its own instance of the same
 * WASM compressor made from the same recipe; the blocks are stored in image order, so the image is
 * byte-identical to one made in this thread. Only blocks travel (a copy each way, ≤ 1 MiB), at most
 * WINDOW_PER_WORKER per worker read ahead, so memory stays at a few MiB over the image.
 *
 * mksquashfs does the same with its reader, deflator and writer threads; the host only says how to
 * start a worker that calls serveSquashfsBlocks.
 */
import { writeSquashfs, writeSquashfsAsync, type AsyncBlockCompressor, type SquashfsDirInput, type SquashfsSink, type SquashfsWriteResult } from '../formats/squashfs/index.ts';
import { ErrorCode, PartwrightError, isPartwrightError, type ErrorCode as ErrorCodeType } from '../model/errors.ts';
import { squashfsCompressor, type SquashfsCompressorRecipe } from '../tools/squashfs-compressors.ts';
import type { BuildWorkers, WorkerEndpoint } from './parallel-filesystems.ts';
import { treeFileBytes, type InputDir } from './input-tree.ts';

/** Compression workers at most: past four, two-core to eight-core machines gain little and each holds a WASM instance. */
export const SQUASHFS_WORKERS_MAX = 4;
/** Below this much file data the workers' start costs more than they save: the image is made here. */
export const SQUASHFS_PARALLEL_MIN_BYTES = 4 << 20;
/** Blocks sent to one worker before it answers: one being compressed and some waiting, so it does not idle while this thread is descheduled (a loaded machine). */
const IN_FLIGHT_PER_WORKER = 4;
/**
 * Blocks read ahead per worker (in flight, queued or done but waiting for an earlier one): blocks are
 * stored in image order, so while one worker is descheduled with the next block to store, the
 * others keep compressing the blocks after it. 16 × 128 KiB = 2 MiB a worker (×2: the copy sent).
 */
const WINDOW_PER_WORKER = 16;

interface BlockRequest {
  type: 'squashfs-block';
  id: number;
  /** Sent with a worker's first block: the compressor it makes and keeps. */
  recipe?: SquashfsCompressorRecipe;
  data: Uint8Array;
}
interface BlockReply {
  type: 'squashfs-block';
  id: number;
  /** Absent: the block did not shrink. */
  packed?: Uint8Array;
  error?: { code?: ErrorCodeType; message: string; detail?: Record<string, unknown> };
}

const isBlockMessage = (m: unknown): m is BlockRequest & BlockReply => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'squashfs-block';

/** Whether a message is one of this module's (the build worker serves file-system jobs on the same port). */
export const isSquashfsBlockMessage = isBlockMessage;

/** How many workers a squashfs of this tree gets (0: made here). */
export function squashfsWorkerCount(tree: InputDir, workers: BuildWorkers | undefined): number {
  if (!workers || treeFileBytes(tree) < SQUASHFS_PARALLEL_MIN_BYTES) return 0;
  // This thread only reads and lays out blocks: the compressors take every core (max is the spare ones).
  return Math.min(SQUASHFS_WORKERS_MAX, workers.max + 1);
}

/**
 * Write the squashfs image of `tree` made with `recipe`'s compressor, its blocks compressed by
 * `count` workers from `workers` (none: here, writeSquashfs). Same bytes either way.
 */
export async function writeSquashfsInWorkers(
  sink: SquashfsSink,
  tree: SquashfsDirInput,
  options: { recipe: SquashfsCompressorRecipe; sourceDateEpoch: number },
  workers: BuildWorkers | undefined,
  count: number,
): Promise<SquashfsWriteResult> {
  const compressor = squashfsCompressor(options.recipe);
  const writerOptions = { compressor, sourceDateEpoch: options.sourceDateEpoch, ...(options.recipe.blockSizeBytes !== undefined ? { blockSizeBytes: options.recipe.blockSizeBytes } : {}) };
  if (!workers || count < 1) return writeSquashfs(sink, tree, writerOptions);
  const pool = blockPool(workers, count, options.recipe);
  try {
    return await writeSquashfsAsync(sink, tree, writerOptions, pool.compress, count * WINDOW_PER_WORKER);
  } finally {
    pool.close();
  }
}

/** `count` workers compressing blocks; each block goes to the least busy one. */
function blockPool(workers: BuildWorkers, count: number, recipe: SquashfsCompressorRecipe): { compress: AsyncBlockCompressor; close(): void } {
  const ends = Array.from({ length: count }, () => ({ port: workers.spawn(), busy: 0, primed: false }));
  const waiting: Array<{ id: number; data: Uint8Array }> = [];
  const pending = new Map<number, { resolve(packed: Uint8Array | undefined): void; reject(e: unknown): void }>();
  let failure: unknown;
  let nextId = 0;
  const fail = (e: unknown) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    waiting.length = 0;
  };
  const pump = () => {
    while (waiting.length > 0 && failure === undefined) {
      let end: (typeof ends)[number] | undefined;
      for (const e of ends) if (e.busy < IN_FLIGHT_PER_WORKER && (!end || e.busy < end.busy)) end = e;
      if (!end) return;
      const job = waiting.shift()!;
      end.busy++;
      const message: BlockRequest = { type: 'squashfs-block', id: job.id, data: job.data, ...(end.primed ? {} : { recipe }) };
      end.primed = true;
      end.port.postMessage(message, [job.data.buffer as ArrayBuffer]);
    }
  };
  for (const end of ends) {
    end.port.onMessage((m) => {
      if (!isBlockMessage(m)) return;
      end.busy--;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) fail(m.error.code ? new PartwrightError(m.error.code, m.error.message, m.error.detail ?? {}) : new Error(m.error.message));
      else p?.resolve(m.packed);
      pump();
    });
    end.port.onError?.((e) => fail(e instanceof Error ? e : new PartwrightError(ErrorCode.Io, `A squashfs compression worker failed: ${String(e)}`)));
  }
  return {
    compress: (data) => {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      const packed = new Promise<Uint8Array | undefined>((resolve, reject) => pending.set(id, { resolve, reject }));
      waiting.push({ id, data });
      pump();
      return packed;
    },
    close: () => {
      for (const e of ends) e.port.terminate?.();
    },
  };
}

/** A worker's side: make the compressor of the first block's recipe, then compress every block it is sent. */
export function serveSquashfsBlocks(port: WorkerEndpoint): void {
  let compress: ((data: Uint8Array) => Uint8Array | undefined) | undefined;
  port.onMessage((m) => {
    if (!isBlockMessage(m)) return;
    try {
      if (m.recipe) compress = squashfsCompressor(m.recipe).compress;
      if (!compress) throw new Error('a squashfs block came before its compressor recipe');
      const packed = compress(m.data);
      // The compressors return bytes of their own (copied out of WASM memory): safe to transfer.
      const own = packed !== undefined && packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength;
      port.postMessage({ type: 'squashfs-block', id: m.id, ...(packed !== undefined ? { packed } : {}) } satisfies BlockReply, own ? [packed.buffer as ArrayBuffer] : undefined);
    } catch (e) {
      const error = isPartwrightError(e) ? { code: e.code, message: e.message, detail: { ...e.detail } } : { message: e instanceof Error ? e.message : String(e) };
      port.postMessage({ type: 'squashfs-block', id: m.id, error } satisfies BlockReply);
    }
  });
}
