/** The Node host's build workers: worker threads running build-worker.ts, one per spare core. */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BuildWorkers } from '../../build/parallel-filesystems.ts';

/**
 * The worker: the bundle's own entry next to this code, or (sources run through tsx: tests,
 * PARTWRIGHT_FROM_SOURCE) the TypeScript with tsx registered in the thread first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./build-worker.mjs', import.meta.url));
  const entry = JSON.stringify(new URL('./build-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); })`, { eval: true });
}

export function nodeBuildWorkers(max = os.availableParallelism() - 1): BuildWorkers {
  return {
    max,
    spawn() {
      const w = startWorker();
      let terminated = false;
      return {
        postMessage: (m, transfer) => w.postMessage(m, transfer),
        onMessage: (listener) => w.on('message', listener),
        onError: (listener) => {
          w.on('error', listener);
          // A thread that ends by itself (not terminated by the engine) would leave its job unanswered.
          w.on('exit', (code) => terminated || listener(new Error(`a build worker thread exited (code ${code})`)));
        },
        terminate: () => {
          terminated = true;
          void w.terminate();
        },
      };
    },
  };
}
