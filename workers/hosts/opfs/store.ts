/**
 * The browser worker's ByteStore: the image's bytes in an OPFS file through a
 * FileSystemSyncAccessHandle, so an 8 GiB layout with little content builds with memory bounded by
 * one write buffer and a small index (STYLE.md §6).
 *
 * The file is compact, not the raw image: browsers count an OPFS file's length against the site's
 * quota, holes included, so a raw 8 GiB file fails where 8 MiB of data fits. The image is cut into
 * chunks of CHUNK_BYTES; a chunk gets a slot at the end of the file on its first write and
 * `slots` maps chunk → slot. Outputs (raw, gz, qcow2 …) are written from it by the same mapping
 * (`compactReader`), in the worker or through File slices.
 *
 * File-system writers make many small, mostly sequential writes (directory entries, FAT sectors):
 * a small cache coalesces consecutive and overlapping writes and hands them on per chunk.
 */
import type { ByteStore, SharedByteStore } from '../../disk/byte-store.ts';
import type { ByteRange } from '../../plan/types.ts';
import { opfsRoot, writeFully, type OpfsFileHandle, type SyncAccessHandle } from './files.ts';

export const OPFS_CHUNK_BYTES = 64 * 1024;
export const OPFS_WRITE_CACHE_BYTES = 1 << 20;

/** Where each written chunk of the image lives in the compact file: chunk index → slot index. */
export type ChunkSlots = Map<number, number>;

/**
 * Reads image bytes [offsetBytes, +target.length) from a compact store through `readAt` (which reads
 * file bytes at a file position and returns how many it got); unwritten chunks read as zero.
 */
export function readCompact(slots: ReadonlyMap<number, number>, chunkBytes: number, readAt: (filePos: number, target: Uint8Array) => number, offsetBytes: number, target: Uint8Array): void {
  for (let done = 0; done < target.length; ) {
    const pos = offsetBytes + done;
    const chunk = Math.floor(pos / chunkBytes);
    const within = pos - chunk * chunkBytes;
    const n = Math.min(chunkBytes - within, target.length - done);
    const view = target.subarray(done, done + n);
    const slot = slots.get(chunk);
    if (slot === undefined) view.fill(0);
    else {
      const got = readAt(slot * chunkBytes + within, view);
      if (got < n) view.fill(0, Math.max(0, got));
    }
    done += n;
  }
}

/**
 * How a build worker opens the store (OpfsStore.share): the file's name in the OPFS root, the slot
 * counter every writer allocates from (a SharedArrayBuffer: slots are taken at once by all, never
 * twice), and the chunk map as it was, `[chunk, slot, …]`.
 */
export interface OpfsShareHandle {
  fileName: string;
  counter: SharedArrayBuffer;
  slots: number[];
}

/** What a build worker's store hands back (OpfsStore.report): its partition's chunk map and the chunks it forgot. */
export interface OpfsStoreReport {
  slots: number[];
  dropped: number[];
}

/**
 * The store file opened for writing: by several handles at once (`readwrite-unsafe`, Chromium ≥ 121)
 * where the browser allows it and the page is cross-origin isolated (SharedArrayBuffer for the slot
 * counter), else the one exclusive handle; `unshared` says why it is not shareable. One handle is
 * ever opened here (no probe beside it): the handle's `mode` tells whether the browser honoured the
 * option, and a browser that rejects the option outright throws before opening anything.
 */
async function openStoreFile(file: OpfsFileHandle): Promise<{ handle: SyncAccessHandle; unshared?: string }> {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (!g.crossOriginIsolated || typeof g.SharedArrayBuffer !== 'function') {
    return { handle: await file.createSyncAccessHandle(), unshared: 'the page is not cross-origin isolated (no SharedArrayBuffer)' };
  }
  let handle: SyncAccessHandle;
  try {
    handle = await file.createSyncAccessHandle({ mode: 'readwrite-unsafe' });
  } catch (e) {
    // A browser that knows `mode` but not this value rejects it (TypeError) without opening a handle.
    if (!(e instanceof TypeError)) throw e;
    return { handle: await file.createSyncAccessHandle(), unshared: 'this browser cannot open a file for several writers (readwrite-unsafe)' };
  }
  // A browser without `mode` ignores the option: the handle is exclusive (and has no `mode`).
  if (handle.mode !== 'readwrite-unsafe') return { handle, unshared: 'this browser cannot open a file for several writers (readwrite-unsafe)' };
  return { handle };
}

export class OpfsStore implements ByteStore {
  readonly #handle: SyncAccessHandle;
  readonly #cache = new Uint8Array(OPFS_WRITE_CACHE_BYTES);
  readonly slots: ChunkSlots = new Map();
  /** The cached run: image bytes [#start, #start + #length), not yet in the file. */
  #start = 0;
  #length = 0;
  #closed = false;
  #slotCount = 0;
  /** Once shared: the slot counter all writers allocate from (Atomics). */
  #counter: Int32Array | undefined;
  #shared: SharedByteStore | undefined;
  /** Chunks this store forgot that it did not allocate (a build worker's report). */
  readonly #dropped = new Set<number>();

  /**
   * `unshared`: why other workers cannot open the file too (undefined: the handle was opened
   * `readwrite-unsafe`, share() works).
   */
  constructor(handle: SyncAccessHandle, readonly fileName: string, readonly unshared: string | undefined, counter?: SharedArrayBuffer) {
    this.#handle = handle;
    if (counter) this.#counter = new Int32Array(counter);
  }

  /** A new (emptied) OPFS file in the root, opened as a store (shareable when the browser allows). */
  static async create(fileName: string): Promise<OpfsStore> {
    const root = await opfsRoot();
    const file = await root.getFileHandle(fileName, { create: true });
    const { handle, unshared } = await openStoreFile(file);
    try {
      handle.truncate(0);
    } catch (e) {
      handle.close();
      throw e;
    }
    return new OpfsStore(handle, fileName, unshared);
  }

  /** A build worker's store: the shared file opened again, with the chunk map of its partition `range`. */
  static async open(share: OpfsShareHandle, range: ByteRange): Promise<OpfsStore> {
    const file = await (await opfsRoot()).getFileHandle(share.fileName);
    const store = new OpfsStore(await file.createSyncAccessHandle({ mode: 'readwrite-unsafe' }), share.fileName, 'a build worker\'s store', share.counter);
    const first = Math.floor(range.offsetBytes / OPFS_CHUNK_BYTES);
    const end = Math.ceil((range.offsetBytes + range.sizeBytes) / OPFS_CHUNK_BYTES);
    for (let i = 0; i + 1 < share.slots.length; i += 2) {
      const chunk = share.slots[i]!;
      if (chunk >= first && chunk < end) store.slots.set(chunk, share.slots[i + 1]!);
    }
    return store;
  }

  /** After a build worker's store is closed: what the parent's adopt takes in. */
  report(): OpfsStoreReport {
    return { slots: this.slotPairs(), dropped: [...this.#dropped] };
  }

  /**
   * Build workers write into this file at once (parallel-filesystems.ts): each opens it by name,
   * takes new slots from the shared counter, and reports its chunk map, merged here by `adopt`.
   */
  share(): SharedByteStore | undefined {
    if (this.unshared !== undefined) return undefined;
    const store = this;
    if (!this.#shared) {
      const counter = new SharedArrayBuffer(4);
      this.#counter = new Int32Array(counter);
      Atomics.store(this.#counter, 0, this.#slotCount);
      this.#shared = {
        unitBytes: OPFS_CHUNK_BYTES,
        // Taken when jobs go out: this store's cached bytes are written first, so the map is whole.
        get handle(): OpfsShareHandle {
          return store.#shareHandle(counter);
        },
        adopt(_ranges, report) {
          const r = report as OpfsStoreReport;
          for (const chunk of r.dropped) store.slots.delete(chunk);
          for (let i = 0; i + 1 < r.slots.length; i += 2) store.slots.set(r.slots[i]!, r.slots[i + 1]!);
        },
      };
    }
    return this.#shared;
  }

  #shareHandle(counter: SharedArrayBuffer): OpfsShareHandle {
    this.#writeCache();
    this.#handle.flush();
    return { fileName: this.fileName, counter, slots: this.slotPairs() };
  }

  #nextSlot(): number {
    return this.#counter ? Atomics.add(this.#counter, 0, 1) : this.#slotCount++;
  }

  read(offsetBytes: number, target: Uint8Array): void {
    if (this.#length > 0 && offsetBytes < this.#start + this.#length && offsetBytes + target.length > this.#start) this.#writeCache();
    readCompact(this.slots, OPFS_CHUNK_BYTES, (at, view) => this.#readFile(at, view), offsetBytes, target);
  }

  write(offsetBytes: number, data: Uint8Array): void {
    if (data.length >= OPFS_WRITE_CACHE_BYTES) {
      this.#writeCache();
      this.#writeThrough(offsetBytes, data);
      return;
    }
    const end = offsetBytes + data.length;
    const fits = this.#length > 0 && offsetBytes >= this.#start && offsetBytes <= this.#start + this.#length && end <= this.#start + OPFS_WRITE_CACHE_BYTES;
    if (!fits) {
      this.#writeCache();
      this.#start = offsetBytes;
    }
    this.#cache.set(data, offsetBytes - this.#start);
    this.#length = Math.max(this.#length, end - this.#start);
  }

  discard(offsetBytes: number, sizeBytes: number): void {
    this.#writeCache();
    // Whole chunks are forgotten (their slot is left unused); parts of chunks are zeroed.
    const zeros = new Uint8Array(OPFS_CHUNK_BYTES);
    for (let done = 0; done < sizeBytes; ) {
      const pos = offsetBytes + done;
      const chunk = Math.floor(pos / OPFS_CHUNK_BYTES);
      const within = pos - chunk * OPFS_CHUNK_BYTES;
      const n = Math.min(OPFS_CHUNK_BYTES - within, sizeBytes - done);
      const slot = this.slots.get(chunk);
      if (slot !== undefined) {
        if (n === OPFS_CHUNK_BYTES) {
          this.slots.delete(chunk);
          this.#dropped.add(chunk);
        }
        else writeFully(this.#handle, slot * OPFS_CHUNK_BYTES + within, zeros.subarray(0, n));
      }
      done += n;
    }
  }

  /** Bytes the file holds (slots allocated). */
  get storedBytes(): number {
    return (this.#counter ? Atomics.load(this.#counter, 0) : this.#slotCount) * OPFS_CHUNK_BYTES;
  }

  /** The chunk map as pairs `[chunk, slot, chunk, slot, …]` (structured-clone-small). */
  slotPairs(): number[] {
    const out: number[] = [];
    for (const [c, s] of this.slots) out.push(c, s);
    return out;
  }

  flush(): void {
    this.#writeCache();
    this.#handle.flush();
  }

  /** Flushes and closes the handle; the handle is closed even when the last writes fail (their error is thrown). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.flush();
    } finally {
      this.#handle.close();
    }
  }

  #readFile(at: number, view: Uint8Array): number {
    let done = 0;
    while (done < view.length) {
      const n = this.#handle.read(view.subarray(done), { at: at + done });
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  #writeThrough(offsetBytes: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const pos = offsetBytes + done;
      const chunk = Math.floor(pos / OPFS_CHUNK_BYTES);
      const within = pos - chunk * OPFS_CHUNK_BYTES;
      const n = Math.min(OPFS_CHUNK_BYTES - within, data.length - done);
      let slot = this.slots.get(chunk);
      if (slot === undefined) {
        // Always the next slot at the end of the file: the gap before `within` reads as zeros.
        slot = this.#nextSlot();
        this.slots.set(chunk, slot);
      }
      writeFully(this.#handle, slot * OPFS_CHUNK_BYTES + within, data.subarray(done, done + n));
      done += n;
    }
  }

  #writeCache(): void {
    if (this.#length === 0) return;
    this.#writeThrough(this.#start, this.#cache.subarray(0, this.#length));
    this.#length = 0;
  }
}
