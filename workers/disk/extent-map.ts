/**
 * The set of byte ranges of an image that hold data: sorted, non-overlapping, non-adjacent
 * half-open intervals. Everything outside is a hole that reads as zeros.
 */
import type { ByteRange } from '../plan/types.ts';

export class ExtentMap {
  /** Flat [start0, end0, start1, end1, …], sorted; kept flat so 50,000 small writes stay cheap. */
  private bounds: number[] = [];

  /** Mark [offsetBytes, offsetBytes + sizeBytes) as data. */
  add(offsetBytes: number, sizeBytes: number): void {
    if (sizeBytes <= 0) return;
    let start = offsetBytes;
    let end = offsetBytes + sizeBytes;
    const b = this.bounds;
    // First interval whose end >= start (touching intervals merge).
    let lo = this.firstEndingAtOrAfter(start);
    let hi = lo;
    while (hi < b.length / 2 && b[2 * hi]! <= end) {
      start = Math.min(start, b[2 * hi]!);
      end = Math.max(end, b[2 * hi + 1]!);
      hi++;
    }
    b.splice(2 * lo, 2 * (hi - lo), start, end);
  }

  /** Mark [offsetBytes, offsetBytes + sizeBytes) as a hole. */
  remove(offsetBytes: number, sizeBytes: number): void {
    if (sizeBytes <= 0) return;
    const start = offsetBytes;
    const end = offsetBytes + sizeBytes;
    const b = this.bounds;
    const lo = this.firstEndingAfter(start);
    let hi = lo;
    const keep: number[] = [];
    while (hi < b.length / 2 && b[2 * hi]! < end) {
      const s = b[2 * hi]!;
      const e = b[2 * hi + 1]!;
      if (s < start) keep.push(s, start);
      if (e > end) keep.push(end, e);
      hi++;
    }
    b.splice(2 * lo, 2 * (hi - lo), ...keep);
  }

  /** The data ranges, optionally clipped to a window. */
  ranges(windowOffsetBytes = 0, windowSizeBytes = Number.MAX_SAFE_INTEGER): ByteRange[] {
    const out: ByteRange[] = [];
    const wEnd = windowOffsetBytes + windowSizeBytes;
    const b = this.bounds;
    for (let i = this.firstEndingAfter(windowOffsetBytes); i < b.length / 2; i++) {
      const s = Math.max(b[2 * i]!, windowOffsetBytes);
      const e = Math.min(b[2 * i + 1]!, wEnd);
      if (s >= wEnd) break;
      if (e > s) out.push({ offsetBytes: s, sizeBytes: e - s });
    }
    return out;
  }

  /** Total bytes marked as data. */
  get mappedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.bounds.length; i += 2) n += this.bounds[i + 1]! - this.bounds[i]!;
    return n;
  }

  get count(): number {
    return this.bounds.length / 2;
  }

  private firstEndingAtOrAfter(x: number): number {
    let lo = 0;
    let hi = this.bounds.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[2 * mid + 1]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstEndingAfter(x: number): number {
    let lo = 0;
    let hi = this.bounds.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[2 * mid + 1]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
