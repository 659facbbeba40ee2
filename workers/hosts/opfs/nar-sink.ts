/**
 * A NAR tree sink for the worker whose file bytes live in OPFS, not in memory: directories and
 * symlinks are tree nodes (MemoryTreeSink's, with its path checks, store modes and times), each
 * regular file's bytes are appended to one pack file through a FileSystemSyncAccessHandle and read
 * back lazily by offset, so a closure of several GiB costs the worker one write buffer and a node
 * per store file.
 *
 * The pack file is scratch: `close()` removes it after the build, and `removeNixScratch()` clears
 * any a cancelled or crashed build left behind before the next one starts.
 */
import { MemoryTreeSink, STORE_MTIME_SECONDS, type NarFileWriter } from '../../nix/index.ts';
import { opfsRoot, writeFully, type SyncAccessHandle } from './files.ts';

/** OPFS root file names of closure packs. */
export const NIX_SCRATCH_PREFIX = 'nix-closure-';
export const NIX_PACK_WRITE_BUFFER_BYTES = 1 << 20;

const MODE_EXECUTABLE = 0o555;
const MODE_FILE = 0o444;

let packCounter = 0;

export class OpfsNarSink extends MemoryTreeSink {
  readonly #handle: SyncAccessHandle;
  readonly #buffer = new Uint8Array(NIX_PACK_WRITE_BUFFER_BYTES);
  /** Bytes of the pack already in the file; the buffer holds the next `#buffered`. */
  #flushed = 0;
  #buffered = 0;
  #closed = false;

  /** `remove` deletes the pack file (after the handle is closed). */
  constructor(handle: SyncAccessHandle, private readonly remove: () => Promise<void> = async () => {}) {
    super();
    this.#handle = handle;
  }

  /** A sink over a new (emptied) pack file in the OPFS root. */
  static async create(fileName = `${NIX_SCRATCH_PREFIX}${Date.now()}-${++packCounter}.pack`): Promise<OpfsNarSink> {
    const root = await opfsRoot();
    const handle = await (await root.getFileHandle(fileName, { create: true })).createSyncAccessHandle();
    handle.truncate(0);
    return new OpfsNarSink(handle, () => root.removeEntry(fileName));
  }

  /** Bytes of file data in the pack. */
  get packedBytes(): number {
    return this.#flushed + this.#buffered;
  }

  override file(path: string, executable: boolean, sizeBytes: number): NarFileWriter {
    const start = this.packedBytes;
    this.add(path, {
      kind: 'file',
      name: '',
      mode: executable ? MODE_EXECUTABLE : MODE_FILE,
      mtimeSeconds: STORE_MTIME_SECONDS,
      sizeBytes,
      read: (offsetBytes: number, target: Uint8Array) => {
        const n = Math.max(0, Math.min(target.length, sizeBytes - offsetBytes));
        this.#read(start + offsetBytes, target.subarray(0, n));
        if (n < target.length) target.fill(0, n);
      },
    });
    return {
      write: (chunk) => this.#append(chunk),
      close() {},
    };
  }

  #append(chunk: Uint8Array): void {
    if (this.#closed) throw new Error('The closure pack is closed.');
    if (this.#buffered + chunk.length > this.#buffer.length) this.#flush();
    if (chunk.length >= this.#buffer.length) {
      writeFully(this.#handle, this.#flushed, chunk);
      this.#flushed += chunk.length;
      return;
    }
    this.#buffer.set(chunk, this.#buffered);
    this.#buffered += chunk.length;
  }

  #flush(): void {
    if (this.#buffered === 0) return;
    writeFully(this.#handle, this.#flushed, this.#buffer.subarray(0, this.#buffered));
    this.#flushed += this.#buffered;
    this.#buffered = 0;
  }

  #read(at: number, view: Uint8Array): void {
    if (view.length === 0) return;
    if (this.#closed) throw new Error('The closure pack is closed.');
    if (at + view.length > this.#flushed) this.#flush();
    let done = 0;
    while (done < view.length) {
      const n = this.#handle.read(view.subarray(done), { at: at + done });
      if (n <= 0) break;
      done += n;
    }
    if (done < view.length) view.fill(0, done);
  }

  /** Close the handle and delete the pack (its trees must not be read after this). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffered = 0;
    try {
      this.#handle.close();
    } finally {
      await this.remove().catch(() => {});
    }
  }
}

/** Remove closure packs earlier builds left in OPFS (still-locked ones are left for next time). */
export async function removeNixScratch(): Promise<void> {
  let root;
  try {
    root = await opfsRoot();
  } catch {
    return;
  }
  const names: string[] = [];
  for await (const name of root.keys()) if (name.startsWith(NIX_SCRATCH_PREFIX)) names.push(name);
  for (const name of names) await root.removeEntry(name).catch(() => {});
}
