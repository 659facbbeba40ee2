/**
 * A worker thread of a build: it makes file systems (build/parallel-filesystems.ts), writing into the
 * build's sparse store file, opened again by path, and reading files by their paths; and it
 * compresses squashfs blocks (build/squashfs-workers.ts).
 */
import { parentPort } from 'node:worker_threads';
import { serveFileSystemJobs, type WorkerEndpoint } from '../../build/parallel-filesystems.ts';
import { serveSquashfsBlocks } from '../../build/squashfs-workers.ts';
import { FileStore } from './file.ts';
import { fileReader } from './tree.ts';

const port: WorkerEndpoint = {
  postMessage: (m, transfer) => parentPort!.postMessage(m, transfer),
  onMessage: (listener) => void parentPort!.on('message', listener),
};
serveFileSystemJobs(port, { openStore: (handle) => new FileStore(handle as string, true), openFile: (ref) => fileReader(ref as string) });
serveSquashfsBlocks(port);
