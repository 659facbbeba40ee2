/**
 * The seekable zstd output on every core (Node): data frames of 8 MiB compressed by a pool of
 * worker threads (one per available core, zstd.wasm in each), holes written as RLE frames without
 * reading them, frames written in image order, then the seek table. At most two frames per worker
 * are in flight, so memory stays at a few tens of MiB whatever the image size.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { segments, zstdSeekableChunks, zstdSeekTable, zstdZeroFrames, ZSTD_FRAME_BYTES, type ImageSource } from '../../formats/outputs/index.ts';
import { compileZstdModule, zstdFrameCompressor, ZSTD_DEFAULT_LEVEL, ZSTD_WASM_URL } from '../../tools/zstd.ts';

/**
 * A worker: the bundle's own chunk next to this code, or (sources run through tsx: tests,
 * PARTWRIGHT_FROM_SOURCE) the TypeScript with tsx registered in the thread first, as
 * build-workers.ts does (`execArgv: ['--import', 'tsx']` fails on Node 20 with "Unknown file
 * extension .ts": the thread does not get tsx's loader).
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./zstd-worker.mjs', import.meta.url), { workerData });
  const entry = JSON.stringify(new URL('./zstd-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); })`, { eval: true, workerData });
}

export async function writeZstdSeekableParallel(image: ImageSource, write: (chunk: Uint8Array) => void, threads = Math.max(1, os.availableParallelism())): Promise<void> {
  const wasm = fs.readFileSync(ZSTD_WASM_URL);
  // Little data (a few frames): starting threads would cost more than it saves.
  const dataBytes = segments(image, ZSTD_FRAME_BYTES).reduce((n, s) => n + (s.zero ? 0 : s.sizeBytes), 0);
  if (threads <= 1 || dataBytes <= 2 * ZSTD_FRAME_BYTES) {
    for (const c of zstdSeekableChunks(image, zstdFrameCompressor(compileZstdModule(wasm)))) write(c);
    return;
  }
  const workers = Array.from({ length: threads }, () => startWorker({ wasm, level: ZSTD_DEFAULT_LEVEL }));
  const idle = [...workers];
  const waiting: ((w: Worker) => void)[] = [];
  const pending = new Map<number, (frame: Uint8Array) => void>();
  let failure: Error | undefined;
  let finished = false;
  // A thread that fails or ends by itself answers nothing more: release everyone waiting on one, so
  // the loop sees `failure` instead of waiting forever.
  const fail = (e: Error, w: Worker) => {
    failure ??= e;
    for (const resolve of pending.values()) resolve(new Uint8Array(0));
    pending.clear();
    for (const next of waiting.splice(0)) next(w);
  };
  for (const w of workers) {
    w.on('message', (m: { id: number; frame?: Uint8Array; error?: string }) => {
      if (m.error) failure ??= new Error(`zstd: ${m.error}`);
      pending.get(m.id)?.(m.frame ?? new Uint8Array(0));
      pending.delete(m.id);
      const next = waiting.shift();
      if (next) next(w);
      else idle.push(w);
    });
    w.on('error', (e) => fail(e, w));
    w.on('exit', (code) => finished || fail(new Error(`zstd: a compression thread exited (code ${code})`), w));
  }
  const table: { compressedBytes: number; sizeBytes: number }[] = [];
  // Jobs in image order; each resolves to its frame. Written in that order as they complete.
  const queue: { sizeBytes: number; frame: Promise<Uint8Array> | Uint8Array }[] = [];
  const flush = async (keep: number): Promise<void> => {
    while (queue.length > keep) {
      const job = queue.shift()!;
      const frame = await job.frame;
      if (failure) throw failure;
      write(frame);
      table.push({ compressedBytes: frame.length, sizeBytes: job.sizeBytes });
    }
  };
  let nextId = 0;
  try {
    for (const s of segments(image, ZSTD_FRAME_BYTES)) {
      if (s.zero) {
        for (const f of zstdZeroFrames(s.sizeBytes)) queue.push({ sizeBytes: f.sizeBytes, frame: f.frame });
      } else {
        const data = new Uint8Array(s.sizeBytes);
        const inside = Math.max(0, Math.min(data.length, image.sizeBytes - s.offsetBytes));
        if (inside > 0) image.readInto(s.offsetBytes, data.subarray(0, inside));
        const id = nextId++;
        const worker = idle.pop() ?? (await new Promise<Worker>((r) => waiting.push(r)));
        if (failure) throw failure;
        const frame = new Promise<Uint8Array>((resolve) => pending.set(id, resolve));
        worker.postMessage({ id, data }, [data.buffer]);
        queue.push({ sizeBytes: s.sizeBytes, frame });
      }
      if (failure) throw failure;
      await flush(threads * 2);
    }
    await flush(0);
    write(zstdSeekTable(table));
  } finally {
    finished = true;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
