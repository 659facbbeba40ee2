/**
 * Random-access storage behind a sparse image. Synchronous on purpose: OPFS sync access handles,
 * Node's fs.*Sync and WASI tools are all synchronous, and the writers are too.
 * Hosts provide their own (BuildHost.createStore): MemoryStore here; a sparse file in the Node host
 * (workers/hosts/node/file.ts FileStore); a compact chunk store in the browser worker
 * (workers/hosts/opfs/store.ts OpfsStore).
 */
export interface ByteStore {
  /** Fill `target` from `offsetBytes`; bytes never written read as zero. */
  read(offsetBytes: number, target: Uint8Array): void;
  write(offsetBytes: number, data: Uint8Array): void;
  /** Forget the bytes in a range (they read as zero afterwards). */
  discard(offsetBytes: number, sizeBytes: number): void;
  /** Bytes the store really holds (memory, or blocks allocated on disk). */
  readonly storedBytes: number;
  /** Hand the written bytes to the storage (OPFS: flush the access handle). Not a durability promise. */
  flush(): void;
  /**
   * Put whole input files at offsets, each followed by zeros up to its padded size, as if each were
   * read and written here; the store may read them itself, several at once (the Node host does, in
   * threads). False when it cannot take these refs (nothing is written then): the caller copies.
   */
  copyFiles?(copies: readonly FileCopy[]): boolean;
  close(): void;
  /**
   * Let other threads write into this store at once (partitions built in parallel,
   * build/parallel-filesystems.ts): `handle` is structured-cloneable and the host's worker opens it
   * as a store of its own; `adopt` takes in the ranges a worker wrote. Stores without it, or whose
   * share() gives undefined (the browser cannot open the OPFS file twice), are written by one thread only.
   */
  share?(): SharedByteStore | undefined;
}

/** One input file to place in a store (ByteStore.copyFiles). */
export interface FileCopy {
  offsetBytes: number;
  /** Where the host can open the file (InputFile.ref: the Node host's path). */
  ref: unknown;
  sizeBytes: number;
  /** sizeBytes rounded up (to a cluster, a block): the bytes past sizeBytes are written as zeros. */
  paddedBytes: number;
}

export interface SharedByteStore {
  handle: unknown;
  /**
   * Two threads must never write into the same unit of this many bytes at once (the OPFS store's
   * chunks: each writer would give the chunk a slot of its own); a partition that shares one with
   * another partition made at the same time is made by the parent. Any ranges when absent.
   */
  unitBytes?: number;
  /**
   * Ranges another thread wrote through the handle: they now read back from this store. `report`:
   * what that thread's store handed back besides (the OPFS store's chunk slots), when it does.
   */
  adopt(ranges: readonly { offsetBytes: number; sizeBytes: number }[], report?: unknown): void;
}

/** Keeps written data in fixed chunks allocated on first write; untouched chunks cost nothing. */
export class MemoryStore implements ByteStore {
  static readonly CHUNK_BYTES = 1 << 20;
  private readonly chunks = new Map<number, Uint8Array>();

  /** Visit the chunks a byte range touches: chunk index, offset within it, offset within the range, length. */
  private forEachChunk(offsetBytes: number, sizeBytes: number, visit: (index: number, within: number, done: number, n: number) => void): void {
    const C = MemoryStore.CHUNK_BYTES;
    for (let done = 0; done < sizeBytes; ) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / C);
      const within = pos - index * C;
      const n = Math.min(C - within, sizeBytes - done);
      visit(index, within, done, n);
      done += n;
    }
  }

  read(offsetBytes: number, target: Uint8Array): void {
    this.forEachChunk(offsetBytes, target.length, (index, within, done, n) => {
      const chunk = this.chunks.get(index);
      if (chunk) target.set(chunk.subarray(within, within + n), done);
      else target.fill(0, done, done + n);
    });
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.forEachChunk(offsetBytes, data.length, (index, within, done, n) => {
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(MemoryStore.CHUNK_BYTES);
        this.chunks.set(index, chunk);
      }
      chunk.set(data.subarray(done, done + n), within);
    });
  }

  discard(offsetBytes: number, sizeBytes: number): void {
    this.forEachChunk(offsetBytes, sizeBytes, (index, within, _done, n) => {
      const chunk = this.chunks.get(index);
      if (!chunk) return;
      if (within === 0 && n === MemoryStore.CHUNK_BYTES) this.chunks.delete(index);
      else chunk.fill(0, within, within + n);
    });
  }

  get storedBytes(): number {
    return this.chunks.size * MemoryStore.CHUNK_BYTES;
  }

  flush(): void {}

  close(): void {
    this.chunks.clear();
  }
}
