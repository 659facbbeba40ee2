/**
 * Property-based testing settings shared by every fuzz test (fast-check). In `npm test` a short run
 * (a fixed number of inputs per property, seconds); with FUZZ_SECONDS set (`npm run fuzz`) each
 * property runs for that long. The seed is printed when a property starts and when it ends, and
 * FUZZ_SEED=… reproduces it (FUZZ_PATH=N replays its run N alone); a failure prints fast-check's
 * counterexample, seed and path.
 *
 * `fuzzAssert` (fc.assert with a watchdog): a thread beside the test watches that inputs keep
 * finishing. One that runs for FUZZ_STALL_SECONDS (default 30) — a decoder looping forever, which
 * no timer in the test's own thread could interrupt — ends the test process after printing the
 * property, its seed, the run number and the input, so the hang fails the run instead of stalling it.
 */
import fc from 'fast-check';

/** The environment, also where `process` has no type (the web tests' tsconfig). */
const env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/** Inputs tried and failures found, per property, for `npm run fuzz`'s summary. */
export const fuzzTally = new Map<string, { inputs: number; failures: number; seed: number; ms: number }>();

export function fuzzSeconds(): number | undefined {
  const v = env.FUZZ_SECONDS;
  return v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
}

/** Vitest timeout for a fuzz test: the long run's length plus slack, or `shortMs`. */
export function fuzzTimeoutMs(shortMs = 60_000): number {
  const s = fuzzSeconds();
  return s !== undefined ? s * 1000 + 120_000 : shortMs;
}

/**
 * A line on stderr at once (Node): vitest holds a test's console output until the test ends, so
 * a line printed with console.log before a hang would be lost with the process.
 */
function printNow(line: string): void {
  const proc = (globalThis as unknown as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { writeSync(fd: number, s: string): number } | undefined;
  if (fs) fs.writeSync(2, `${line}\n`);
  else console.log(line);
}

/** The property name and seed behind each fuzzOptions() result, for fuzzAssert's watchdog. */
const propertyOf = new WeakMap<object, { name: string; seed: number }>();

export function fuzzOptions<T>(name: string, shortRuns: number): fc.Parameters<T> {
  const seconds = fuzzSeconds();
  const seed = env.FUZZ_SEED !== undefined ? Number(env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const path = env.FUZZ_PATH;
  const started = Date.now();
  printNow(`fuzz ${name}: starting (FUZZ_SEED=${seed}${path !== undefined ? ` FUZZ_PATH=${path}` : ''}${seconds !== undefined ? `, ${seconds} s` : `, ${shortRuns} inputs`})`);
  const report = (d: fc.RunDetails<T>): void => {
    const ms = Date.now() - started;
    fuzzTally.set(name, { inputs: d.numRuns, failures: d.failed ? 1 : 0, seed, ms });
    console.log(`fuzz ${name}: ${d.numRuns} inputs in ${(ms / 1000).toFixed(1)} s, ${d.failed ? 'FAILED' : 'no failure'} (FUZZ_SEED=${seed})`);
    if (d.failed) throw new Error(fc.defaultReportMessage(d) ?? `fuzz ${name} failed (FUZZ_SEED=${seed})`);
  };
  const params: fc.Parameters<T> = {
    seed,
    ...(path !== undefined ? { path } : {}),
    ...(seconds !== undefined ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : { numRuns: shortRuns }),
    reporter: report,
  };
  propertyOf.set(params, { name, seed });
  return params;
}

/** Seconds an input may run before the watchdog ends the process. */
export function fuzzStallSeconds(): number {
  const v = env.FUZZ_STALL_SECONDS;
  return v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : 30;
}

/** fc.assert under the watchdog (params from fuzzOptions; anything else runs unwatched). */
export function fuzzAssert<Ts>(property: fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts>): Promise<void>;
export function fuzzAssert<Ts>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void;
export function fuzzAssert<Ts>(property: fc.IRawProperty<Ts>, params: fc.Parameters<Ts>): Promise<void> | void {
  const meta = propertyOf.get(params);
  const watchdog = meta ? startWatchdog(meta.name, meta.seed, fuzzStallSeconds()) : undefined;
  const assert = fc.assert as (p: fc.IRawProperty<Ts>, params: fc.Parameters<Ts>) => Promise<void> | void;
  let result: Promise<void> | void;
  try {
    result = assert(watchdog ? watched(property, watchdog) : property, params);
  } catch (e) {
    watchdog?.stop();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => watchdog?.stop());
  watchdog?.stop();
}

interface Watchdog {
  /** Run `runId` starts on `input`. */
  beat(runId: number, input: unknown): void;
  stop(): void;
}

/** `property`, telling the watchdog about each run before it starts. */
function watched<Ts>(property: fc.IRawProperty<Ts>, watchdog: Watchdog): fc.IRawProperty<Ts> {
  let runId = -1;
  return new Proxy(property, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const f = value as (...args: unknown[]) => unknown;
      if (key === 'generate') {
        return (mrng: unknown, id?: number) => {
          runId = id ?? runId + 1;
          return f.call(target, mrng, id);
        };
      }
      if (key === 'run') {
        return (input: unknown, ...rest: unknown[]) => {
          watchdog.beat(runId, input);
          return f.call(target, input, ...rest);
        };
      }
      return f.bind(target);
    },
  });
}

interface NodeBuffer {
  from(b: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64'): string };
}
interface WorkerThreads {
  Worker: new (code: string, options: { eval: true; workerData: unknown }) => { terminate(): Promise<number> };
}

/** How an input is printed: JSON with byte arrays as base64 (what the tests decode them from). */
function describeInput(input: unknown): string {
  const B = (globalThis as unknown as { Buffer?: NodeBuffer }).Buffer;
  return JSON.stringify(input, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return B ? `base64:${B.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}` : `bytes:${v.length}`;
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return { map: [...v] };
    if (v instanceof Set) return { set: [...v] };
    return v;
  });
}

const INPUT_BYTES = 1 << 20;
const S_BEATS = 0;
const S_RUN = 1;
const S_LENGTH = 2;

// The watchdog thread (CommonJS, eval'd): polls the shared beat counter once a second.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, text, name, seed, stallMs } = workerData;
const s = new Int32Array(state);
let last = -1;
let since = Date.now();
setInterval(() => {
  const beats = Atomics.load(s, ${S_BEATS});
  if (beats !== last) { last = beats; since = Date.now(); return; }
  if (beats === 0 || Date.now() - since < stallMs) return;
  const run = Atomics.load(s, ${S_RUN});
  const input = Buffer.from(new Uint8Array(text, 0, Atomics.load(s, ${S_LENGTH}))).toString('utf8');
  writeSync(2, '\\nfuzz ' + name + ': STALLED: run ' + run + ' has not finished after ' + stallMs / 1000 + ' s (FUZZ_SEED=' + seed + ' FUZZ_PATH=' + run + ' reproduces it). The input:\\n' + input + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 1000);
`;

function startWatchdog(name: string, seed: number, stallSeconds: number): Watchdog | undefined {
  const proc = (globalThis as unknown as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const threads = proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
  if (!threads) return undefined; // Not Node ≥ 20.16: unwatched.
  const state = new SharedArrayBuffer(3 * 4);
  const text = new SharedArrayBuffer(INPUT_BYTES);
  const s = new Int32Array(state);
  const bytes = new Uint8Array(text);
  const encoder = new TextEncoder();
  const worker = new threads.Worker(WATCHDOG_SOURCE, { eval: true, workerData: { state, text, name, seed, stallMs: stallSeconds * 1000 } });
  // Not unref'd: while a property runs, the watchdog keeps the process alive, so an await that
  // never settles is reported too instead of the process just ending.
  return {
    beat(runId, input) {
      const { written } = encoder.encodeInto(describeInput(input).slice(0, INPUT_BYTES / 3), bytes);
      Atomics.store(s, S_LENGTH, written);
      Atomics.store(s, S_RUN, runId);
      Atomics.add(s, S_BEATS, 1);
    },
    stop() {
      void worker.terminate();
    },
  };
}
