/**
 * A worker thread that makes file systems for a build (build/parallel-filesystems.ts): it writes
 * into the build's sparse store file, opened again by path, and reads files by their paths.
 */
import { parentPort } from 'node:worker_threads';
import { serveFileSystemJobs } from '../../build/parallel-filesystems.ts';
import { FileStore } from './file.ts';
import { fileReader } from './tree.ts';

serveFileSystemJobs(
  { postMessage: (m) => parentPort!.postMessage(m), onMessage: (listener) => parentPort!.on('message', listener) },
  { openStore: (handle) => new FileStore(handle as string, true), openFile: (ref) => fileReader(ref as string) },
);
