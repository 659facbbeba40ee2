/**
 * Where a file-system maker puts the image it makes when only it knows the final size (mkfs.erofs,
 * the squashfs writer): an `ImageWindow` (bytes at offsets relative to the file system's start).
 * `MemoryImage` keeps them in 1 MiB pages (Minimize=: the size decides the partition, then the bytes
 * are copied in); `boundedWindow` writes straight into a partition and refuses to grow past it.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { VfsFile } from './wasi-host.ts';

export interface ImageWindow {
  /** Fill `target` with the bytes at `offsetBytes` (never written: zeros). */
  read(offsetBytes: number, target: Uint8Array): void;
  /** Store a copy of `data` at `offsetBytes` (the caller may reuse `data`). */
  write(offsetBytes: number, data: Uint8Array): void;
  /** Forget everything at and after `sizeBytes` (the tool shrank its output with ftruncate). */
  truncate(sizeBytes: number): void;
}

const PAGE_BYTES = 1 << 20;

function isAllZero(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** An image held in memory in 1 MiB pages; pages never written (or written with zeros only) stay unallocated. */
export class MemoryImage implements ImageWindow {
  private readonly pages = new Map<number, Uint8Array>();
  /** One past the highest byte written. */
  sizeBytes = 0;

  read(offsetBytes: number, target: Uint8Array): void {
    let done = 0;
    while (done < target.length) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / PAGE_BYTES);
      const within = pos - index * PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - within, target.length - done);
      const page = this.pages.get(index);
      if (page) target.set(page.subarray(within, within + n), done);
      else target.fill(0, done, done + n);
      done += n;
    }
  }

  write(offsetBytes: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / PAGE_BYTES);
      const within = pos - index * PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - within, data.length - done);
      const chunk = data.subarray(done, done + n);
      let page = this.pages.get(index);
      if (!page && !isAllZero(chunk)) {
        page = new Uint8Array(PAGE_BYTES);
        this.pages.set(index, page);
      }
      page?.set(chunk, within);
      done += n;
    }
    this.sizeBytes = Math.max(this.sizeBytes, offsetBytes + data.length);
  }

  /** Drop everything at and after `sizeBytes` (ftruncate). */
  truncate(sizeBytes: number): void {
    for (const [index, page] of this.pages) {
      const start = index * PAGE_BYTES;
      if (start >= sizeBytes) this.pages.delete(index);
      else if (start + PAGE_BYTES > sizeBytes) page.fill(0, sizeBytes - start);
    }
    this.sizeBytes = sizeBytes;
  }

  /** Written pages in order, clipped to sizeBytes: what to copy into the partition. */
  *extents(): Generator<{ offsetBytes: number; data: Uint8Array }> {
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const start = index * PAGE_BYTES;
      if (start >= this.sizeBytes) continue;
      yield { offsetBytes: start, data: this.pages.get(index)!.subarray(0, Math.min(PAGE_BYTES, this.sizeBytes - start)) };
    }
  }

  /** The whole image as one array (tests and small images). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.sizeBytes);
    this.read(0, out);
    return out;
  }
}

/** Something with absolute offsets (a SparseImage) seen from `baseBytes` on. */
export interface AbsoluteStore {
  readInto(offsetBytes: number, target: Uint8Array): void;
  write(offsetBytes: number, data: Uint8Array): void;
  discard(offsetBytes: number, sizeBytes: number): void;
  dataRanges(windowOffsetBytes: number, windowSizeBytes: number): ReadonlyArray<{ offsetBytes: number; sizeBytes: number }>;
}

/**
 * A partition of `limitBytes` at `baseBytes` in `store`: a write past the end throws DoesNotFit
 * (`what` names the file system for the message), so a too-small partition fails cleanly.
 */
export function boundedWindow(store: AbsoluteStore, baseBytes: number, limitBytes: number, what: string): ImageWindow {
  return {
    read: (offsetBytes, target) => store.readInto(baseBytes + offsetBytes, target),
    write: (offsetBytes, data) => {
      if (offsetBytes + data.length > limitBytes) {
        throw new PartwrightError(ErrorCode.DoesNotFit, `The ${what} image grew past its ${limitBytes}-byte partition; raise SizeMinBytes= or set Minimize=best.`, { neededBytesAtLeast: offsetBytes + data.length });
      }
      if (!isAllZero(data) || store.dataRanges(baseBytes + offsetBytes, data.length).length > 0) store.write(baseBytes + offsetBytes, data);
    },
    truncate: (sizeBytes) => {
      for (const r of store.dataRanges(baseBytes + sizeBytes, Math.max(0, limitBytes - sizeBytes))) store.discard(r.offsetBytes, r.sizeBytes);
    },
  };
}

/**
 * A WASI output file over a window whose size the tool decides: it grows with writes and shrinks
 * with ftruncate. Zero writes beyond what was written are not stored (holes read back as zeros).
 */
export class GrowingFile implements VfsFile {
  readonly kind = 'file';
  sizeBytes = 0;

  constructor(private readonly window: ImageWindow) {}

  read(offsetBytes: number, target: Uint8Array): void {
    this.window.read(offsetBytes, target);
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.window.write(offsetBytes, data);
    this.sizeBytes = Math.max(this.sizeBytes, offsetBytes + data.length);
  }

  resize(sizeBytes: number): void {
    if (sizeBytes < this.sizeBytes) this.window.truncate(sizeBytes);
    this.sizeBytes = sizeBytes;
  }
}
