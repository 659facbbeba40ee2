/**
 * A nested worker of a browser build (build-workers.ts): it compresses squashfs blocks
 * (build/squashfs-workers.ts) with the WASM module it is sent, and makes file systems
 * (build/parallel-filesystems.ts): it writes into the build's OPFS store file, opened again
 * (OpfsStore.open), and reads staged files through the File objects it is sent.
 */
import { serveFileSystemJobs } from '../../build/parallel-filesystems.ts';
import { serveSquashfsBlocks } from '../../build/squashfs-workers.ts';
import type { OpfsBlob } from './files.ts';
import { OpfsStore, type OpfsShareHandle } from './store.ts';
import { readBlobSync } from './tree.ts';

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
};

const port = { postMessage: (m: unknown, transfer?: ArrayBuffer[]) => scope.postMessage(m, transfer ?? []), onMessage: (listener: (m: unknown) => void) => scope.addEventListener('message', (e) => listener(e.data)) };
serveSquashfsBlocks(port);
serveFileSystemJobs(port, {
  openStore: (handle, range) => OpfsStore.open(handle as OpfsShareHandle, range),
  openFile: (ref) => (offsetBytes, target) => readBlobSync(ref as OpfsBlob, offsetBytes, target),
  storeReport: (store) => (store as OpfsStore).report(),
});
