/**
 * Building into the browser's Origin Private File System: the raw image is written into an OPFS file
 * through a FileSystemSyncAccessHandle (worker-only, synchronous), data ranges only, then truncated
 * to the disk size so holes stay holes. The main thread downloads it with `getFile()`, so a
 * multi-GiB image never passes through one ArrayBuffer or the main thread's memory (STYLE.md §6).
 *
 * The OPFS types are declared here structurally: the engine compiles without DOM and in Node, where
 * this host is simply unavailable.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { SeekableSink } from '../disk/raw-output.ts';

/** The part of FileSystemSyncAccessHandle the writer uses. */
interface SyncAccessHandle {
  write(data: Uint8Array, options: { at: number }): number;
  truncate(sizeBytes: number): void;
  flush(): void;
  close(): void;
}
interface OpfsFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}
interface OpfsDirectory {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterableIterator<string>;
}

/** Every build writes `build-<n>.img`; older ones are removed when the next build starts. */
export const BUILD_FILE_PREFIX = 'build-';

async function opfsRoot(): Promise<OpfsDirectory> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator?.storage;
  if (!storage?.getDirectory) {
    throw new PartwrightError(ErrorCode.Io, 'This browser has no Origin Private File System to build into; use a current Chromium, Firefox or Safari, or the command line.');
  }
  return (await storage.getDirectory()) as OpfsDirectory;
}

/** Removes earlier build outputs (a cancelled build may have left one behind). */
export async function removeOldBuilds(): Promise<void> {
  const root = await opfsRoot();
  const names: string[] = [];
  for await (const name of root.keys()) if (name.startsWith(BUILD_FILE_PREFIX)) names.push(name);
  for (const name of names) {
    try {
      await root.removeEntry(name);
    } catch {
      // Still locked by a worker that is shutting down: the next build removes it.
    }
  }
}

export interface OpfsSink extends SeekableSink {
  readonly fileName: string;
  close(): void;
}

/** A new OPFS file opened for synchronous writes. */
export async function createOpfsSink(fileName: string): Promise<OpfsSink> {
  const root = await opfsRoot();
  const handle = await (await root.getFileHandle(fileName, { create: true })).createSyncAccessHandle();
  handle.truncate(0);
  return {
    fileName,
    write(offsetBytes, data) {
      let done = 0;
      while (done < data.length) {
        const n = handle.write(data.subarray(done), { at: offsetBytes + done });
        if (n <= 0) throw new PartwrightError(ErrorCode.Io, `Writing the image stopped at byte ${offsetBytes + done}: the browser's storage may be full.`);
        done += n;
      }
    },
    setSize(sizeBytes) {
      handle.truncate(sizeBytes);
    },
    close() {
      handle.flush();
      handle.close();
    },
  };
}
