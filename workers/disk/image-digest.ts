/**
 * Integrity figures for a built image, priced by what they read:
 * - per-partition bmaps (`partitionDigests`): the SHA-256 of every mapped 4 KiB range inside each
 *   partition, as a bmap of the partition on its own (what `bmaptool copy --bmap` checks when the
 *   partition is written from a split `.raw`), summed up in its BmapFileChecksum. Cost ∝ data.
 * - the whole-image SHA-256 (`sha256Image`), on request: every byte, holes included, as `sha256sum`
 *   of the raw file gives. Data is read in 1 MiB slices into one reused buffer; holes are fed from
 *   one shared zero buffer, never read or allocated. Cost ∝ image size, at the host's fastest hash.
 */
import { makeBmap } from '../formats/outputs/bmap.ts';
import type { ImageRange, ImageSource } from '../formats/outputs/image-source.ts';
import type { IncrementalSha256, Sha256Factory } from '../crypto/fast-sha256.ts';

const SLICE_BYTES = 1 << 20;
let zeros: Uint8Array | undefined;

/** SHA-256 of the raw image, holes as zeros. `onBytes` after each slice. */
export function sha256Image(image: ImageSource, createSha256: Sha256Factory, onBytes?: (doneBytes: number, totalBytes: number) => void): Uint8Array {
  const hash: IncrementalSha256 = createSha256();
  const zero = (zeros ??= new Uint8Array(SLICE_BYTES));
  const buf = new Uint8Array(SLICE_BYTES);
  let pos = 0;
  const feed = (end: number, data: boolean): void => {
    while (pos < end) {
      const n = Math.min(SLICE_BYTES, end - pos);
      if (data) {
        const view = buf.subarray(0, n);
        image.readInto(pos, view);
        hash.update(view);
      } else {
        hash.update(zero.subarray(0, n));
      }
      pos += n;
      onBytes?.(pos, image.sizeBytes);
    }
  };
  for (const r of image.dataRanges()) {
    feed(Math.min(r.offsetBytes, image.sizeBytes), false);
    feed(Math.min(r.offsetBytes + r.sizeBytes, image.sizeBytes), true);
  }
  feed(image.sizeBytes, false);
  return hash.digest();
}

export interface PartitionDigest {
  partitionNumber: number;
  /** Bytes of the 4 KiB blocks of this partition that hold data. */
  mappedBytes: number;
  /** The bmap of the partition on its own (offsets relative to its start). */
  bmap: string;
  /** Its BmapFileChecksum: one SHA-256 that covers the map and every range's SHA-256. */
  bmapSha256: string;
}

/** The window [offsetBytes, offsetBytes + sizeBytes) of an image as an image of its own. */
export function imageWindow(image: ImageSource, offsetBytes: number, sizeBytes: number): ImageSource {
  return {
    sizeBytes,
    dataRanges() {
      const out: ImageRange[] = [];
      const end = offsetBytes + sizeBytes;
      for (const r of image.dataRanges()) {
        const from = Math.max(r.offsetBytes, offsetBytes);
        const to = Math.min(r.offsetBytes + r.sizeBytes, end);
        if (from < to) out.push({ offsetBytes: from - offsetBytes, sizeBytes: to - from });
      }
      return out;
    },
    readInto(at, target) {
      image.readInto(offsetBytes + at, target);
    },
  };
}

/** A bmap per partition, reading only data. `onBytes` counts the mapped bytes of all partitions. */
export function partitionDigests(
  image: ImageSource,
  partitions: readonly { partitionNumber: number; offsetBytes: number; sizeBytes: number }[],
  createSha256: Sha256Factory,
  onBytes?: (doneBytes: number, totalBytes: number) => void,
): PartitionDigest[] {
  const windows = partitions.filter((p) => p.sizeBytes > 0).map((p) => ({ p, w: imageWindow(image, p.offsetBytes, p.sizeBytes) }));
  const blockBytes = (w: ImageSource) => w.dataRanges().reduce((n, r) => n + r.sizeBytes, 0);
  const totalBytes = windows.reduce((n, { w }) => n + blockBytes(w), 0);
  let before = 0;
  return windows.map(({ p, w }) => {
    const bmap = makeBmap(w, { createSha256, onBytes: (done) => onBytes?.(before + done, totalBytes) });
    const mapped = Number(/<MappedBlocksCount>\s*(\d+)/.exec(bmap)?.[1] ?? 0) * 4096;
    before += blockBytes(w);
    return { partitionNumber: p.partitionNumber, mappedBytes: Math.min(mapped, p.sizeBytes), bmap, bmapSha256: /<BmapFileChecksum>\s*([0-9a-f]{64})/.exec(bmap)![1]! };
  });
}
