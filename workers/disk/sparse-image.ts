/**
 * A disk image as a sparse extent map: writers put bytes at offsets, everything never written is a
 * hole that reads as zero, and nothing ever allocates the image's full size. An optional read-only
 * base layer (base-image mode) shows through wherever nothing was written; the base is never written.
 */
import { PartwrightError, ErrorCode } from '../model/errors.ts';
import type { ByteRange } from '../plan/types.ts';
import { MemoryStore, type ByteStore, type FileCopy } from './byte-store.ts';
import { ExtentMap } from './extent-map.ts';

/** Something bytes can be read from: a file, a Blob staged in OPFS, an existing image. */
export interface ReadSource {
  readonly sizeBytes: number;
  /** Fill `target` with the bytes at `offsetBytes` (must not read past sizeBytes). */
  read(offsetBytes: number, target: Uint8Array): void;
}

export interface BaseLayer {
  source: ReadSource;
  /** The ranges of the base that hold data (from a zero scan or the file's own map). */
  dataRanges: ByteRange[];
}

export class SparseImage {
  private sizeBytesValue: number;
  private readonly written = new ExtentMap();
  private readonly baseVisible = new ExtentMap();
  /** Base ranges hidden by discard(): what an in-place write must zero. */
  private readonly baseHidden = new ExtentMap();

  constructor(
    sizeBytes: number,
    readonly store: ByteStore = new MemoryStore(),
    private readonly base?: BaseLayer,
  ) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Image size ${sizeBytes} is not a whole number of bytes.`);
    }
    this.sizeBytesValue = sizeBytes;
    if (base) {
      for (const r of base.dataRanges) {
        const end = Math.min(r.offsetBytes + r.sizeBytes, base.source.sizeBytes, sizeBytes);
        if (end > r.offsetBytes) this.baseVisible.add(r.offsetBytes, end - r.offsetBytes);
      }
    }
  }

  get sizeBytes(): number {
    return this.sizeBytesValue;
  }

  /** Grow (never shrink below written data) the image; the new space is a hole. */
  resize(sizeBytes: number): void {
    const last = this.dataRanges().at(-1);
    if (last && last.offsetBytes + last.sizeBytes > sizeBytes) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Cannot shrink the image to ${sizeBytes} bytes: data extends to ${last.offsetBytes + last.sizeBytes}.`);
    }
    this.sizeBytesValue = sizeBytes;
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.checkRange(offsetBytes, data.length, 'write');
    if (data.length === 0) return;
    this.store.write(offsetBytes, data);
    this.written.add(offsetBytes, data.length);
  }

  /** Whole input files at offsets, padded with zeros (ByteStore.copyFiles); false when the store cannot, and nothing was written. */
  copyFiles(copies: readonly FileCopy[]): boolean {
    if (!this.store.copyFiles) return false;
    for (const c of copies) {
      this.checkRange(c.offsetBytes, c.paddedBytes, 'write');
      if (c.paddedBytes < c.sizeBytes) throw new PartwrightError(ErrorCode.Io, `A file of ${c.sizeBytes} bytes does not fit in the ${c.paddedBytes} bytes given to it.`);
    }
    if (!this.store.copyFiles(copies)) return false;
    for (const c of copies) this.written.add(c.offsetBytes, c.paddedBytes);
    return true;
  }

  /**
   * Ranges another thread wrote into this image's store (store.share()): they are data now, as if
   * written here; `report`: what the other thread's store told besides (FileSystemWorkerHost.storeReport).
   */
  adoptWritten(ranges: readonly ByteRange[], report?: unknown): void {
    const share = this.store.share?.();
    if (!share) throw new PartwrightError(ErrorCode.Unsupported, 'This image\'s store cannot take writes from other threads.');
    for (const r of ranges) this.checkRange(r.offsetBytes, r.sizeBytes, 'adopt');
    share.adopt(ranges, report);
    for (const r of ranges) if (r.sizeBytes > 0) this.written.add(r.offsetBytes, r.sizeBytes);
  }

  /** Turn a range back into a hole (hides the base layer there too). */
  discard(offsetBytes: number, sizeBytes: number): void {
    this.checkRange(offsetBytes, sizeBytes, 'discard');
    this.store.discard(offsetBytes, sizeBytes);
    this.written.remove(offsetBytes, sizeBytes);
    for (const r of this.baseVisible.ranges(offsetBytes, sizeBytes)) this.baseHidden.add(r.offsetBytes, r.sizeBytes);
    this.baseVisible.remove(offsetBytes, sizeBytes);
  }

  /**
   * What differs from the base layer: ranges written since, and base data hidden by discard().
   * Writing these (hidden ones as zeros) into the base file turns it into this image in place.
   */
  changes(): { written: ByteRange[]; hidden: ByteRange[] } {
    const hidden = new ExtentMap();
    for (const r of this.baseHidden.ranges()) hidden.add(r.offsetBytes, r.sizeBytes);
    for (const r of this.written.ranges()) hidden.remove(r.offsetBytes, r.sizeBytes);
    return { written: this.written.ranges(), hidden: hidden.ranges() };
  }

  read(offsetBytes: number, sizeBytes: number): Uint8Array {
    const out = new Uint8Array(sizeBytes);
    this.readInto(offsetBytes, out);
    return out;
  }

  readInto(offsetBytes: number, target: Uint8Array): void {
    this.checkRange(offsetBytes, target.length, 'read');
    target.fill(0);
    if (this.base) {
      for (const r of this.baseVisible.ranges(offsetBytes, target.length)) {
        this.base.source.read(r.offsetBytes, target.subarray(r.offsetBytes - offsetBytes, r.offsetBytes - offsetBytes + r.sizeBytes));
      }
    }
    for (const r of this.written.ranges(offsetBytes, target.length)) {
      this.store.read(r.offsetBytes, target.subarray(r.offsetBytes - offsetBytes, r.offsetBytes - offsetBytes + r.sizeBytes));
    }
  }

  /** Data ranges (written or shown from the base), sorted and merged. */
  dataRanges(windowOffsetBytes = 0, windowSizeBytes = this.sizeBytesValue): ByteRange[] {
    if (!this.base) return this.written.ranges(windowOffsetBytes, windowSizeBytes);
    const merged = new ExtentMap();
    for (const r of this.written.ranges(windowOffsetBytes, windowSizeBytes)) merged.add(r.offsetBytes, r.sizeBytes);
    for (const r of this.baseVisible.ranges(windowOffsetBytes, windowSizeBytes)) merged.add(r.offsetBytes, r.sizeBytes);
    return merged.ranges();
  }

  /** Bytes that hold data (what a sparse output or a flash must carry). */
  get mappedBytes(): number {
    return this.dataRanges().reduce((n, r) => n + r.sizeBytes, 0);
  }

  private checkRange(offsetBytes: number, sizeBytes: number, what: string): void {
    if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(sizeBytes) || offsetBytes < 0 || sizeBytes < 0 ||
        offsetBytes + sizeBytes > this.sizeBytesValue) {
      throw new PartwrightError(ErrorCode.Io, `Cannot ${what} bytes ${offsetBytes}–${offsetBytes + sizeBytes - 1}: the image is ${this.sizeBytesValue} bytes.`);
    }
  }
}

/** Find the non-zero ranges of a source, at `blockBytes` granularity (a base image's data map). */
export function scanDataRanges(source: ReadSource, blockBytes = 4096, chunkBytes = 1 << 20): ByteRange[] {
  const map = new ExtentMap();
  const buf = new Uint8Array(chunkBytes);
  for (let pos = 0; pos < source.sizeBytes; pos += chunkBytes) {
    const n = Math.min(chunkBytes, source.sizeBytes - pos);
    const view = buf.subarray(0, n);
    source.read(pos, view);
    const words = n % 4 === 0 ? new Uint32Array(view.buffer, view.byteOffset, n / 4) : undefined;
    for (let b = 0; b < n; b += blockBytes) {
      const end = Math.min(b + blockBytes, n);
      let nonZero = false;
      if (words && b % 4 === 0 && end % 4 === 0) {
        for (let i = b / 4; i < end / 4; i++) if (words[i] !== 0) { nonZero = true; break; }
      } else {
        for (let i = b; i < end; i++) if (view[i] !== 0) { nonZero = true; break; }
      }
      if (nonZero) map.add(pos + b, end - b);
    }
  }
  return map.ranges();
}
