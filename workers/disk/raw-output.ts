/**
 * In-place output of a sparse image built on a base file: only what changed is written. (Raw output
 * of a whole image is formats/outputs/raw.ts, the same for every host.)
 */
import type { ByteRange } from '../plan/types.ts';
import { ExtentMap } from './extent-map.ts';
import type { SparseImage } from './sparse-image.ts';

/** A destination that can seek: a file, an OPFS handle, the File System Access API. */
export interface SeekableSink {
  write(offsetBytes: number, data: Uint8Array): void;
  /** Set the final length (extends with a hole). */
  setSize(sizeBytes: number): void;
  /** Make what was written so far durable before anything that depends on it (fsync). */
  flush?(): void;
}

export const RAW_CHUNK_BYTES = 1 << 20;

/** A table structure's place on the disk (the planner's `ReservedArea`s). */
export interface TableArea {
  kind: 'mbr' | 'gpt-header' | 'gpt-entries' | 'gpt-backup-entries' | 'gpt-backup-header' | 'ebr';
  offsetBytes: number;
  sizeBytes: number;
}

const PRIMARY_KINDS: ReadonlySet<TableArea['kind']> = new Set(['mbr', 'gpt-header', 'gpt-entries']);

function spanOf(areas: readonly TableArea[]): ByteRange | undefined {
  if (areas.length === 0) return undefined;
  const start = Math.min(...areas.map((a) => a.offsetBytes));
  const end = Math.max(...areas.map((a) => a.offsetBytes + a.sizeBytes));
  return { offsetBytes: start, sizeBytes: end - start };
}

function clip(ranges: readonly ByteRange[], window: ByteRange): ByteRange[] {
  const m = new ExtentMap();
  for (const r of ranges) m.add(r.offsetBytes, r.sizeBytes);
  return m.ranges(window.offsetBytes, window.sizeBytes);
}

function without(ranges: readonly ByteRange[], holes: readonly (ByteRange | undefined)[]): ByteRange[] {
  const m = new ExtentMap();
  for (const r of ranges) m.add(r.offsetBytes, r.sizeBytes);
  for (const h of holes) if (h) m.remove(h.offsetBytes, h.sizeBytes);
  return m.ranges();
}

/**
 * Turn the base file an image was built on into the image, writing only what changed: written
 * ranges get their bytes, base data the build discarded gets zeros, and the size grows if needed.
 *
 * Crash-safe order (a kill at any point leaves the old table describing the old, untouched
 * partitions, or the complete new image): first every data change outside the tables (only free
 * space of the old table changes), then the EBRs and the backup GPT, then the primary table
 * (protective MBR, GPT header and entries) in one write, and only after that the bytes where the
 * old backup GPT was when the disk grew (the old table needs them until the new one is in place).
 * The sink is flushed between phases when it can be.
 */
export function writeChangesInPlace(image: SparseImage, sink: SeekableSink, baseSizeBytes: number, tables: readonly TableArea[] = []): number {
  const { written, hidden } = image.changes();
  const primary = spanOf(tables.filter((t) => PRIMARY_KINDS.has(t.kind)));
  const secondary = tables.filter((t) => !PRIMARY_KINDS.has(t.kind));
  const backupSpan = spanOf(tables.filter((t) => t.kind === 'gpt-backup-entries' || t.kind === 'gpt-backup-header'));
  // Where the base's own backup GPT sits (its last sectors) when the new disk is a different size.
  const oldBackup = backupSpan && baseSizeBytes !== image.sizeBytes && baseSizeBytes >= backupSpan.sizeBytes
    ? { offsetBytes: baseSizeBytes - backupSpan.sizeBytes, sizeBytes: backupSpan.sizeBytes }
    : undefined;
  let done = 0;
  const zeros = new Uint8Array(RAW_CHUNK_BYTES);
  const put = (writtenRanges: readonly ByteRange[], hiddenRanges: readonly ByteRange[]) => {
    for (const r of hiddenRanges) {
      for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += RAW_CHUNK_BYTES) {
        const n = Math.min(RAW_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos);
        sink.write(pos, zeros.subarray(0, n));
        done += n;
      }
    }
    for (const r of writtenRanges) {
      for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += RAW_CHUNK_BYTES) {
        const n = Math.min(RAW_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos);
        sink.write(pos, image.read(pos, n));
        done += n;
      }
    }
  };
  if (image.sizeBytes > baseSizeBytes) sink.setSize(image.sizeBytes);
  // 1. Data: everything outside the tables and the old backup GPT.
  const deferred = [primary, oldBackup, ...secondary];
  put(without(written, deferred), without(hidden, deferred));
  sink.flush?.();
  // 2. EBRs and the backup GPT (the old primary table still rules).
  for (const t of secondary) put(clip(without(written, [primary, oldBackup]), t), clip(without(hidden, [primary, oldBackup]), t));
  sink.flush?.();
  // 3. The primary table, in one write: from here on the disk is the new image.
  if (primary) {
    const changed = clip([...written, ...hidden], primary).length > 0;
    if (changed) {
      sink.write(primary.offsetBytes, image.read(primary.offsetBytes, primary.sizeBytes));
      done += primary.sizeBytes;
    }
  }
  sink.flush?.();
  // 4. Where the old backup GPT was.
  if (oldBackup) put(clip(without(written, [primary]), oldBackup), clip(without(hidden, [primary]), oldBackup));
  if (image.sizeBytes < baseSizeBytes) sink.setSize(image.sizeBytes);
  sink.flush?.();
  return done;
}
