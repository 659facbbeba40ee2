/**
 * Building into the browser's Origin Private File System. The image's bytes live in an OPFS file
 * written through a FileSystemSyncAccessHandle (worker-only, synchronous): the build's ByteStore is
 * that file (opfs-store.ts), so the raw image is complete once it is truncated to the disk size, and
 * other output formats are written from it into further OPFS files. The main thread downloads them
 * with `getFile()`, so a multi-GiB image never passes through one ArrayBuffer or the main thread's
 * memory (STYLE.md §6).
 *
 * The OPFS types are declared here structurally: the engine compiles without DOM and in Node, where
 * this host is simply unavailable.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { SeekableSink } from '../../disk/raw-output.ts';

/** The part of FileSystemSyncAccessHandle the engine uses. */
export interface SyncAccessHandle {
  read(target: Uint8Array, options: { at: number }): number;
  write(data: Uint8Array, options: { at: number }): number;
  truncate(sizeBytes: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
  /** How it was opened (Chromium ≥ 121); absent where the browser ignores createSyncAccessHandle's `mode`. */
  readonly mode?: 'readwrite' | 'read-only' | 'readwrite-unsafe';
}
/** A File as the engine reads it (a Blob with slices). */
export interface OpfsBlob {
  readonly size: number;
  slice(start: number, end: number): OpfsBlob;
}
export interface OpfsFileHandle {
  readonly kind: 'file';
  readonly name: string;
  /** `mode` (Chromium ≥ 121): 'readwrite-unsafe' lets several handles write the file at once. */
  createSyncAccessHandle(options?: { mode?: 'readwrite' | 'read-only' | 'readwrite-unsafe' }): Promise<SyncAccessHandle>;
  getFile(): Promise<OpfsBlob>;
}
export interface OpfsDirectory {
  readonly kind: 'directory';
  readonly name: string;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectory>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  keys(): AsyncIterableIterator<string>;
  values(): AsyncIterableIterator<OpfsFileHandle | OpfsDirectory>;
}

/** Every build writes `build-<n>.img` (and `build-<n>.<format>`); older ones go when the next build starts. */
export const BUILD_FILE_PREFIX = 'build-';

export async function opfsRoot(): Promise<OpfsDirectory> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator?.storage;
  if (!storage?.getDirectory) {
    throw new PartwrightError(ErrorCode.Io, 'This browser has no Origin Private File System to build into; use a current Chromium, Firefox or Safari, or the command line.');
  }
  return (await storage.getDirectory()) as OpfsDirectory;
}

/** The directory at a `/`-separated path under the OPFS root (created when asked). */
export async function opfsDirectory(path: string, create = false): Promise<OpfsDirectory> {
  let dir = await opfsRoot();
  for (const name of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(name, { create });
  return dir;
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

/** Writes every byte of `data` at `offsetBytes` through a sync access handle. */
export function writeFully(handle: SyncAccessHandle, offsetBytes: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    const n = handle.write(data.subarray(done), { at: offsetBytes + done });
    if (n <= 0) throw new PartwrightError(ErrorCode.Io, `Writing the image stopped at byte ${offsetBytes + done}: the browser's storage may be full.`);
    done += n;
  }
}

export interface OpfsSink extends SeekableSink {
  readonly fileName: string;
  /** Bytes after the last write (sequential use) – what `append` continues from. */
  readonly positionBytes: number;
  /** Writes at the end of what was written so far (for stream formats). */
  append(data: Uint8Array): void;
  close(): void;
}

/** A new OPFS file in the root, opened for synchronous writes. */
export async function createOpfsSink(fileName: string): Promise<OpfsSink> {
  const root = await opfsRoot();
  const handle = await (await root.getFileHandle(fileName, { create: true })).createSyncAccessHandle();
  handle.truncate(0);
  let position = 0;
  return {
    fileName,
    get positionBytes() {
      return position;
    },
    write(offsetBytes, data) {
      writeFully(handle, offsetBytes, data);
      position = Math.max(position, offsetBytes + data.length);
    },
    append(data) {
      writeFully(handle, position, data);
      position += data.length;
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
