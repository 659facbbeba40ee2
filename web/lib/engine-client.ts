/**
 * The main thread's only door to the engine worker (STYLE.md §7, after squoosh's worker-bridge):
 * - one queue: calls run one at a time, in order;
 * - every call takes an AbortSignal; aborting a running call terminates the worker (the only way to
 *   stop a running WASM tool) and the next call starts a fresh one;
 * - a worker left idle for `idleMs` is terminated to release its memory.
 */
import { wrap, type Remote } from 'comlink';
import type { Engine } from '../../workers/engine.ts';

export type EngineMethod = keyof Engine;
export type EngineArgs<M extends EngineMethod> = Parameters<Engine[M]>;
export type EngineResult<M extends EngineMethod> = Awaited<ReturnType<Engine[M]>>;

/** What the client needs from a Worker; a MessagePort with `terminate` stands in for one in tests. */
export interface EngineWorker {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  terminate(): void;
}

export interface EngineClientOptions {
  /** Terminate the worker after this long without calls. */
  idleMs?: number;
  /** Where workers come from; the default is the bundled engine worker. */
  createWorker?: () => EngineWorker;
}

/** The worker died (failed to load, or threw outside a call); the next call starts a fresh one. */
export class EngineWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineWorkerError';
  }
}

const DEFAULT_IDLE_MS = 30_000;

function createEngineWorker(): EngineWorker {
  // The one place the worker is created; Vite bundles the worker from this exact expression.
  return new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'partwright-engine',
  });
}

interface RunningWorker {
  readonly worker: EngineWorker;
  readonly remote: Remote<Engine>;
  /** Rejects when the worker reports an error it could not hand to a call. */
  readonly failed: Promise<never>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Rejects when `signal` aborts; `cleanup` removes the listener once the call settles. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; cleanup: () => void } {
  let onAbort = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, cleanup: () => signal.removeEventListener('abort', onAbort) };
}

export class EngineClient {
  readonly #idleMs: number;
  readonly #createWorker: () => EngineWorker;
  #running: RunningWorker | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EngineClientOptions = {}) {
    this.#idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.#createWorker = options.createWorker ?? createEngineWorker;
  }

  /** Whether a worker is alive right now (for tests and diagnostics). */
  get hasWorker(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Calls `engine[method](...args)` in the worker after the calls queued before it. Rejects with
   * `signal.reason` if the signal aborts, whether the call is still queued or already running.
   */
  call<M extends EngineMethod>(method: M, args: EngineArgs<M>, signal: AbortSignal): Promise<EngineResult<M>> {
    const run = this.#queue.then(() => this.#run(method, args, signal));
    this.#queue = run.catch(() => undefined);
    if (signal.aborted) return run;
    // A queued call rejects as soon as it is aborted; #run then skips it when its turn comes.
    const aborted = whenAborted(signal);
    return Promise.race([run, aborted.promise]).finally(aborted.cleanup);
  }

  /** Terminates the worker now (e.g. when the page is hidden for good). Queued calls start a new one. */
  terminate(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#running?.worker.terminate();
    this.#running = undefined;
  }

  async #run<M extends EngineMethod>(method: M, args: EngineArgs<M>, signal: AbortSignal): Promise<EngineResult<M>> {
    if (signal.aborted) throw abortReason(signal);
    clearTimeout(this.#idleTimer);
    const running = (this.#running ??= this.#start());
    const aborted = whenAborted(signal);
    // Stopping a running call means stopping its worker: nothing else interrupts a busy thread.
    const onAbort = (): void => {
      if (this.#running === running) this.terminate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const fn = running.remote[method] as unknown as (...a: EngineArgs<M>) => Promise<EngineResult<M>>;
      return await Promise.race([fn(...args), aborted.promise, running.failed]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      aborted.cleanup();
      if (this.#running !== undefined) {
        this.#idleTimer = setTimeout(() => this.terminate(), this.#idleMs);
      }
    }
  }

  #start(): RunningWorker {
    const worker = this.#createWorker();
    let fail: (error: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    failed.catch(() => undefined); // Only calls in flight care; no unhandled rejection otherwise.
    const running: RunningWorker = { worker, remote: wrap<Engine>(worker), failed };
    const onError = (event: Event): void => {
      event.preventDefault();
      const message = 'message' in event && typeof event.message === 'string' ? event.message : '';
      const detail = message ? `: ${message}` : '';
      fail(new EngineWorkerError(`The engine worker stopped${detail}`));
      if (this.#running === running) this.terminate();
    };
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', onError);
    return running;
  }
}

/** The app-wide engine client (an app-wide concern, so a singleton: STYLE.md §9). */
export const engineClient = new EngineClient();

/**
 * Builds run in their own worker, so cancelling one (which terminates its worker) never interrupts
 * the quick plan and validate calls the editor makes on every change.
 */
export const buildClient = new EngineClient({ idleMs: 10_000 });
