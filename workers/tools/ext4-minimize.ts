/**
 * Minimize=best for ext4: the smallest partition size (a multiple of the grain) at which mke2fs can
 * make the file system and copy the whole tree in. ext4's overhead (journal, inode tables, group
 * metadata) depends on the size in steps, so this asks mke2fs itself: grow from an estimate until a
 * trial fits, then bisect between the last size that failed and the first that fit. Each trial is
 * a full formatExt4 into a scratch image that is dropped afterwards.
 */
import type { InputDir } from '../build/input-tree.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { isPartwrightError } from '../model/errors.ts';
import { EXT4_SIZE_MIN_BYTES, formatExt4, type FormatExt4Options } from './mke2fs.ts';

const MiB = 1 << 20;
const SEARCH_FLOOR_BYTES = EXT4_SIZE_MIN_BYTES;

export interface MinimalExt4Options extends Omit<FormatExt4Options, 'offsetBytes' | 'sizeBytes'> {
  /** Result granularity: 4096 (repart's grain) unless told; a multiple of the block size. */
  grainBytes?: number;
  /** Where trials are made (default: a sparse image in memory). The CLI can pass a file-backed one. */
  scratchImage?: (sizeBytes: number) => SparseImage;
}

export interface MinimalExt4Result {
  sizeBytes: number;
  /** How many times mke2fs ran. */
  trials: number;
}

/** A rough lower estimate: file data in whole blocks, a block per directory, 256 bytes per inode. */
export function estimateExt4ContentBytes(tree: InputDir | undefined, blockSizeBytes = 4096): number {
  if (!tree) return 0;
  let blocks = 0;
  let inodes = 0;
  const visit = (dir: InputDir) => {
    blocks += 1;
    for (const e of dir.children) {
      inodes += 1;
      if (e.kind === 'file') blocks += Math.ceil(e.sizeBytes / blockSizeBytes);
      else if (e.kind === 'symlink' && e.target.length >= 60) blocks += 1;
      else if (e.kind === 'dir') visit(e);
    }
  };
  visit(tree);
  return blocks * blockSizeBytes + inodes * 256;
}

function isFailureToFit(e: unknown): boolean {
  if (!isPartwrightError(e)) return false;
  if (e.code === 'does-not-fit') return true;
  const text = `${e.message}\n${String(e.detail['stderr'] ?? '')}`;
  return /Could not allocate|No space left|too small|not enough space|Filesystem larger than apparent|inode_size .* too big|while creating journal/i.test(text);
}

/** The smallest size (multiple of grainBytes) at which the tree fits in a fresh ext4. */
export function minimalExt4SizeBytes(options: MinimalExt4Options): MinimalExt4Result {
  const grain = options.grainBytes ?? 4096;
  const blockSizeBytes = options.blockSizeBytes ?? 4096;
  if (grain % blockSizeBytes !== 0) throw new RangeError(`grainBytes ${grain} is not a multiple of the ${blockSizeBytes}-byte block size`);
  const roundUp = (n: number) => Math.ceil(n / grain) * grain;
  const scratch = options.scratchImage ?? ((n: number) => new SparseImage(n));
  const { grainBytes: _g, scratchImage: _s, ...format } = options;
  let trials = 0;
  const fits = (sizeBytes: number): boolean => {
    trials += 1;
    try {
      formatExt4(scratch(sizeBytes), { ...format, offsetBytes: 0, sizeBytes });
      return true;
    } catch (e) {
      if (isFailureToFit(e)) return false;
      throw e;
    }
  };

  // Failing lower bound and fitting upper bound.
  let low = roundUp(Math.max(SEARCH_FLOOR_BYTES, estimateExt4ContentBytes(options.tree, blockSizeBytes))) - grain;
  let high = roundUp(low + Math.max(4 * MiB, low / 8));
  while (!fits(high)) {
    low = high;
    high = roundUp(high * 1.5);
  }
  if (low >= SEARCH_FLOOR_BYTES && fits(low)) {
    // The estimate was not a failing size: walk down until something fails.
    high = low;
    for (;;) {
      const next = roundUp(Math.max(SEARCH_FLOOR_BYTES, high / 2));
      if (next >= high) return { sizeBytes: high, trials };
      if (!fits(next)) {
        low = next;
        break;
      }
      high = next;
    }
  }
  while (high - low > grain) {
    const mid = roundUp(low + (high - low) / 2);
    const probe = mid >= high ? high - grain : mid;
    if (fits(probe)) high = probe;
    else low = probe;
  }
  return { sizeBytes: high, trials };
}
