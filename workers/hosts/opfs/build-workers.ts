/**
 * The browser's build workers: dedicated workers started from the engine worker (nested workers)
 * running build-worker.ts, one per spare core. They compress squashfs blocks (build/squashfs-workers.ts)
 * from the WASM modules and blocks they are sent, and make whole file systems: each opens the build's
 * OPFS store file again (`readwrite-unsafe`: OpfsStore.share), reads staged files through the File
 * objects it is sent, and runs the WASM tools from the compiled modules it is sent. Where the store
 * cannot be shared (OpfsStore.create detects it), the engine makes the file systems itself, one
 * after another.
 */
import type { BuildWorkers } from '../../build/parallel-filesystems.ts';

/** The part of a Web Worker the engine uses (typed here: the engine compiles without DOM). */
interface WebWorker {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}
declare const Worker: new (url: URL | string, options: { type: 'module'; name?: string }) => WebWorker;

/**
 * Build workers for the engine worker; undefined where this scope cannot start workers or has one
 * core. `entry`: the worker script (tests and benches serve their own bundle); else build-worker.ts
 * as Vite bundles it. `max`: the spare cores (hardwareConcurrency − 1).
 */
export function opfsBuildWorkers(entry?: URL | string, max?: number): BuildWorkers | undefined {
  const g = globalThis as { Worker?: unknown; navigator?: { hardwareConcurrency?: number } };
  const spare = max ?? (g.navigator?.hardwareConcurrency ?? 1) - 1;
  if (typeof g.Worker !== 'function' || spare < 1) return undefined;
  return {
    max: spare,
    spawn() {
      // The literal `new Worker(new URL(…), …)` is what Vite bundles as a worker of its own.
      const w = entry !== undefined ? new Worker(entry, { type: 'module' }) : new Worker(new URL('./build-worker.ts', import.meta.url), { type: 'module', name: 'partwright-build' });
      return {
        postMessage: (m, transfer) => w.postMessage(m, transfer ?? []),
        onMessage: (listener) => w.addEventListener('message', (e) => listener(e.data)),
        onError: (listener) => {
          w.addEventListener('error', (e) => listener(new Error(`A build worker failed: ${e.message || 'it could not start (its script did not load)'}; build again, or reload the page if the app was updated.`)));
          w.addEventListener('messageerror', () => listener(new Error('A build worker could not read its job (the browser could not pass it the files or tools).')));
        },
        terminate: () => w.terminate(),
      };
    },
  };
}
