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
import type { ByteStore } from '../../disk/byte-store.ts';
import { opfsRoot, writeFully, type SyncAccessHandle } from './files.ts';

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

export class OpfsStore implements ByteStore {
  readonly #handle: SyncAccessHandle;
  readonly #cache = new Uint8Array(OPFS_WRITE_CACHE_BYTES);
  readonly slots: ChunkSlots = new Map();
  /** The cached run: image bytes [#start, #start + #length), not yet in the file. */
  #start = 0;
  #length = 0;
  #closed = false;
  #slotCount = 0;

  constructor(handle: SyncAccessHandle, readonly fileName: string) {
    this.#handle = handle;
  }

  /** A new (emptied) OPFS file in the root, opened as a store. */
  static async create(fileName: string): Promise<OpfsStore> {
    const root = await opfsRoot();
    const handle = await (await root.getFileHandle(fileName, { create: true })).createSyncAccessHandle();
    handle.truncate(0);
    return new OpfsStore(handle, fileName);
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
        if (n === OPFS_CHUNK_BYTES) this.slots.delete(chunk);
        else writeFully(this.#handle, slot * OPFS_CHUNK_BYTES + within, zeros.subarray(0, n));
      }
      done += n;
    }
  }

  /** Bytes the file holds (slots allocated). */
  get storedBytes(): number {
    return this.#slotCount * OPFS_CHUNK_BYTES;
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

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#handle.close();
    this.#closed = true;
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
        slot = this.#slotCount++;
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
