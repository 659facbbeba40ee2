/**
 * Checks a read-back of a written device (or any copy of the image) against a bmap: every mapped
 * range's SHA-256, as `bmaptool copy` checks the image while writing. Blocks the bmap does not map
 * are not checked (they were never written: `bmaptool copy` and `dd conv=sparse` skip them).
 */
import { Sha256 } from '../../crypto/sha256.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { BmapInfo, IncrementalSha256 } from './bmap.ts';

export interface ReadbackCheck {
  /** Ranges checked, and those whose bytes differ (block numbers, inclusive). */
  rangesChecked: number;
  mismatches: { firstBlock: number; lastBlock: number }[];
  bytesChecked: number;
}

export interface ReadbackOptions {
  onBytes?: (doneBytes: number, totalBytes: number) => void;
  createSha256?: () => IncrementalSha256;
  /** Bytes per read. */
  chunkBytes?: number;
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * `read(offset, length)` returns the read-back's bytes there; `readbackBytes` is its size (a whole
 * device dump may be larger than the image; a shorter one is refused, saying how long it must be).
 */
export async function verifyReadback(
  bmap: BmapInfo,
  readbackBytes: number,
  read: (offsetBytes: number, lengthBytes: number) => Promise<Uint8Array>,
  options: ReadbackOptions = {},
): Promise<ReadbackCheck> {
  const { onBytes, createSha256 = () => new Sha256(), chunkBytes = 4 * 1024 * 1024 } = options;
  if (readbackBytes < bmap.imageSizeBytes) {
    throw new PartwrightError(
      ErrorCode.InvalidSpec,
      `The read-back file is ${readbackBytes} bytes, shorter than the image (${bmap.imageSizeBytes} bytes): read at least ${bmap.imageSizeBytes} bytes from the device.`,
    );
  }
  const spans = bmap.ranges.map((r) => {
    const start = r.firstBlock * bmap.blockBytes;
    return { r, start, end: Math.min((r.lastBlock + 1) * bmap.blockBytes, bmap.imageSizeBytes) };
  });
  const totalBytes = spans.reduce((n, s) => n + s.end - s.start, 0);
  let doneBytes = 0;
  const mismatches: ReadbackCheck['mismatches'] = [];
  for (const { r, start, end } of spans) {
    const hash = createSha256();
    for (let pos = start; pos < end; pos += chunkBytes) {
      const bytes = await read(pos, Math.min(chunkBytes, end - pos));
      hash.update(bytes);
      doneBytes += bytes.length;
      onBytes?.(doneBytes, totalBytes);
    }
    if (toHex(hash.digest()) !== r.sha256Hex) mismatches.push({ firstBlock: r.firstBlock, lastBlock: r.lastBlock });
  }
  return { rangesChecked: spans.length, mismatches, bytesChecked: doneBytes };
}
