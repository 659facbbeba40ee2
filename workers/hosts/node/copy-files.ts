/**
 * Input files copied into an open file at offsets (FileStore.copyFiles; a FAT volume's file data):
 * this thread and, for much data, worker threads take files from one shared list at once, each
 * reading a file and writing it, padded with zeros, with positional writes. The bytes are those of a
 * one-at-a-time copy: every file has its own range.
 *
 * The threads share an Int32Array (next file, files finished, failure, progress) and nothing else;
 * this thread waits for the last file with Atomics.wait, so callers stay synchronous. The loop is
 * one self-contained function: the workers run its source text (no module to bundle or resolve).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

export interface PathCopy {
  offsetBytes: number;
  path: string;
  sizeBytes: number;
  paddedBytes: number;
}

export interface CopyFilesOptions {
  /** Worker threads besides this one (default: one per other core, at most 3). */
  threads?: number;
  /** Below this many bytes no worker is started (default 32 MiB: starting one costs ~30 ms). */
  parallelMinBytes?: number;
}

/** Int32 slots of the shared state. */
const NEXT = 0;
const DONE = 1;
const FAILED = 2;
const ERROR_LENGTH = 3;
const PROGRESS = 4;
const SLOTS = 5;
const ERROR_BYTES = 4096;
/** A thread that has made no progress for this long is taken as gone. */
const STALL_MS = 120_000;

/**
 * Copy files from the shared list until it is exhausted. Self-contained (its text runs in the
 * workers): everything comes in through the arguments. The first failure is recorded as JSON in
 * `errorBytes`; files taken after it are skipped. Every file taken counts as finished.
 */
function copyLoop(fsModule: typeof fs, shared: Int32Array, errorBytes: Uint8Array, fd: number,
                  paths: readonly string[], offsets: Float64Array, sizes: Float64Array, padded: Float64Array): void {
  const n = paths.length;
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const i = Atomics.add(shared, 0, 1);
    if (i >= n) break;
    if (Atomics.load(shared, 2) === 0) {
      let src = -1;
      let stage = 'read';
      try {
        src = fsModule.openSync(paths[i]!, 'r');
        const size = sizes[i]!;
        const total = padded[i]!;
        for (let pos = 0; pos < total; pos += buf.length) {
          const len = Math.min(buf.length, total - pos);
          const dataLen = Math.max(0, Math.min(len, size - pos));
          stage = 'read';
          let got = 0;
          while (got < dataLen) {
            const r = fsModule.readSync(src, buf, got, dataLen - got, pos + got);
            if (r === 0) throw Object.assign(new Error('short'), { code: 'SHORT' });
            got += r;
          }
          buf.fill(0, dataLen, len);
          stage = 'write';
          let put = 0;
          while (put < len) put += fsModule.writeSync(fd, buf, put, len - put, offsets[i]! + pos + put);
          Atomics.add(shared, 4, 1);
        }
      } catch (e) {
        if (Atomics.compareExchange(shared, 2, 0, 1) === 0) {
          const err = e as { code?: string; message?: string };
          const text = JSON.stringify({ stage, index: i, code: err.code ?? '', message: String(err.message ?? e) });
          const { written } = new TextEncoder().encodeInto(text, errorBytes);
          Atomics.store(shared, 3, written);
        }
      } finally {
        if (src >= 0) fsModule.closeSync(src);
      }
    }
    if (Atomics.add(shared, 1, 1) + 1 === n) Atomics.notify(shared, 1);
  }
}

const WORKER_SOURCE = `const { workerData: d } = require('node:worker_threads');
(${copyLoop.toString()})(require('node:fs'), new Int32Array(d.shared), new Uint8Array(d.errorBytes), d.fd, d.paths, d.offsets, d.sizes, d.padded);`;

/** The failure a thread recorded, as the error a one-at-a-time copy would have thrown. */
function failureOf(errorBytes: Uint8Array, length: number, copies: readonly PathCopy[], targetPath: string): PartwrightError {
  const f = JSON.parse(new TextDecoder().decode(errorBytes.subarray(0, length))) as { stage: string; index: number; code: string; message: string };
  const file = copies[f.index]!.path;
  if (f.code === 'SHORT') return new PartwrightError(ErrorCode.Io, `${file} became shorter while it was being copied.`, { where: file });
  if (f.stage === 'write') {
    const why = f.code === 'ENOSPC' ? 'no space left on the device' : f.code === 'EDQUOT' ? 'disk quota exceeded' : f.message;
    return new PartwrightError(ErrorCode.Io, `Cannot write ${targetPath}: ${why}.`, { where: targetPath });
  }
  return new PartwrightError(ErrorCode.Io, `Cannot read ${file}: ${f.message}.`, { where: file });
}

/** Copy `copies` into the file open as `fd` (named `targetPath` in errors); throws the first failure. */
export function copyFilesInto(fd: number, targetPath: string, copies: readonly PathCopy[], options: CopyFilesOptions = {}): void {
  const n = copies.length;
  if (n === 0) return;
  const shared = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  const errorBytes = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
  const paths = copies.map((c) => c.path);
  const offsets = Float64Array.from(copies, (c) => c.offsetBytes);
  const sizes = Float64Array.from(copies, (c) => c.sizeBytes);
  const padded = Float64Array.from(copies, (c) => c.paddedBytes);
  const totalBytes = padded.reduce((a, b) => a + b, 0);
  const threads = n < 2 || totalBytes < (options.parallelMinBytes ?? 32 << 20) ? 0 : options.threads ?? Math.min(3, os.availableParallelism() - 1);
  const workers: Worker[] = [];
  for (let t = 0; t < threads; t++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { shared: shared.buffer, errorBytes: errorBytes.buffer, fd, paths, offsets, sizes, padded } });
    w.unref();
    workers.push(w);
  }
  try {
    // This thread copies too (all of it while the workers start).
    copyLoop(fs, shared, errorBytes, fd, paths, offsets, sizes, padded);
    let progress = Atomics.load(shared, PROGRESS);
    let since = Date.now();
    for (;;) {
      const done = Atomics.load(shared, DONE);
      if (done >= n) break;
      Atomics.wait(shared, DONE, done, 1000);
      const now = Atomics.load(shared, PROGRESS);
      if (now !== progress || Atomics.load(shared, DONE) !== done) {
        progress = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        throw new PartwrightError(ErrorCode.Io, `Copying files into ${targetPath} stopped: a copy thread made no progress for ${STALL_MS / 1000} s.`, { where: targetPath });
      }
    }
  } finally {
    // Every file is finished (or the copy failed): the threads have nothing left but to end.
    for (const w of workers) void w.terminate();
  }
  if (Atomics.load(shared, FAILED) !== 0) throw failureOf(errorBytes, Atomics.load(shared, ERROR_LENGTH), copies, targetPath);
}
