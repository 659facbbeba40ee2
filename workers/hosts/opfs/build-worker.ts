/**
 * A nested worker that makes file systems for a browser build (build/parallel-filesystems.ts): it
 * writes into the build's OPFS store file, opened again (OpfsStore.open), and reads staged files
 * through the File objects it is sent.
 */
import { serveFileSystemJobs } from '../../build/parallel-filesystems.ts';
import type { OpfsBlob } from './files.ts';
import { OpfsStore, type OpfsShareHandle } from './store.ts';
import { readBlobSync } from './tree.ts';

const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
};

serveFileSystemJobs(
  { postMessage: (m) => scope.postMessage(m), onMessage: (listener) => scope.addEventListener('message', (e) => listener(e.data)) },
  {
    openStore: (handle, range) => OpfsStore.open(handle as OpfsShareHandle, range),
    openFile: (ref) => (offsetBytes, target) => readBlobSync(ref as OpfsBlob, offsetBytes, target),
    storeReport: (store) => (store as OpfsStore).report(),
  },
);
