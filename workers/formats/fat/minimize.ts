/**
 * Minimize=: the smallest volume that holds a content tree with the given FAT options. Within one
 * (FAT type, cluster size) the usable clusters grow with the volume, so a binary search finds the
 * smallest fitting size there; where a smaller volume gets smaller clusters (mkfs.fat's size-based
 * choice), a smaller size can fit again, so the search is repeated below each cluster-size boundary.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { planFatGeometry, type FatGeometry, type FatGeometryOptions } from './geometry.ts';
import { clustersNeeded, contentBytes, nameTree, type FatEntryInput, type LaidOutDir } from './layout.ts';
import { encodeFatLabel } from './volume-id.ts';

export interface FatMinimizeOptions extends Omit<FatGeometryOptions, 'sizeBytes'> {
  label?: string;
  /** Sizes are multiples of this (default 4096, repart's grain). */
  grainBytes?: number;
  /** SizeMaxBytes=: fail, naming the bytes needed, when the content needs more. */
  maxSizeBytes?: number;
}

/** fatgen103 §3.5: the fewest clusters a volume read as FAT32 has. */
const MIN_FAT32_CLUSTERS = 65525;
/** FAT32's limit: 2^32 − 1 sectors. */
const MAX_SECTORS = 0xffffffff;

function geometryOrUndefined(options: FatMinimizeOptions, sizeBytes: number): FatGeometry | undefined {
  try {
    return planFatGeometry({ ...options, sizeBytes });
  } catch (e) {
    if (e instanceof PartwrightError) return undefined;
    throw e;
  }
}

function fits(root: LaidOutDir, g: FatGeometry | undefined): boolean {
  if (!g) return false;
  if (g.fatType !== 32 && root.slots > g.rootEntryCount) return false;
  // A FAT32 with fewer than 65525 clusters is legal for mkfs.fat -F 32 but mtools and Windows
  // take it for a FAT16 (they go by cluster count): a minimized FAT32 keeps at least that many.
  if (g.fatType === 32 && g.clusterCount < MIN_FAT32_CLUSTERS) return false;
  return clustersNeeded(root, g.clusterBytes, g.fatType === 32) <= g.clusterCount;
}

/** The smallest multiple of the grain in (lo, hi] that fits, when hi fits (assumes one cluster size). */
function searchDown(root: LaidOutDir, options: FatMinimizeOptions, loUnits: number, hiUnits: number, grain: number): number {
  let lo = loUnits; // does not fit (or is the floor)
  let hi = hiUnits; // fits
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(root, geometryOrUndefined(options, mid * grain))) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function minimumFatSizeBytes(tree: readonly FatEntryInput[], options: FatMinimizeOptions = {}): number {
  const grain = options.grainBytes ?? 4096;
  const root = nameTree(tree, encodeFatLabel(options.label) !== 'NO NAME    ');
  const sectorBytes = options.sectorBytes ?? 512;
  const maxUnits = Math.floor((MAX_SECTORS * sectorBytes) / grain);
  // Upper bound: double from the content size until it fits.
  let hiUnits = Math.max(1, Math.ceil(contentBytes(root) / grain));
  while (!fits(root, geometryOrUndefined(options, hiUnits * grain))) {
    if (hiUnits >= maxUnits) {
      throw new PartwrightError(ErrorCode.DoesNotFit, `The content (${contentBytes(root)} bytes) does not fit any FAT volume with these options.`);
    }
    hiUnits = Math.min(maxUnits, hiUnits * 2);
  }
  let best = searchDown(root, options, 0, hiUnits, grain);
  // Below a cluster-size (or FAT type) boundary a smaller size may fit again with smaller clusters.
  for (let guard = 0; guard < 16; guard++) {
    const g = geometryOrUndefined(options, best * grain)!;
    let lo = 0;
    let hi = best; // same configuration as `best`
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const gm = geometryOrUndefined(options, mid * grain);
      if (gm && gm.clusterBytes === g.clusterBytes && gm.fatType === g.fatType) hi = mid;
      else lo = mid;
    }
    // `lo` is the largest size below with another configuration.
    if (lo <= 0 || !fits(root, geometryOrUndefined(options, lo * grain))) break;
    best = searchDown(root, options, 0, lo, grain);
  }
  const bytes = best * grain;
  if (options.maxSizeBytes !== undefined && bytes > options.maxSizeBytes) {
    throw new PartwrightError(ErrorCode.DoesNotFit,
      `The FAT content needs a volume of ${bytes} bytes, more than SizeMaxBytes=${options.maxSizeBytes}.`,
      { minimumSizeBytes: bytes });
  }
  return bytes;
}
