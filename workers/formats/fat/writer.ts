/**
 * Writes a whole FAT volume (boot sector, FSInfo, FATs, directories, file data) into a sink at a byte
 * offset. Clusters are allocated contiguously from cluster 2 in tree order (a directory's clusters,
 * then each child: a file's data or, recursively, a subdirectory), so every file is one run.
 * Only written structures and file data are touched: the unused part of the FATs and the free data
 * area stay holes in a sparse image.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { bootSectorFromGeometry, encodeFatBootSector, encodeFatFsInfo } from './boot-sector.ts';
import { ATTR, DIR_ENTRY_BYTES, dosDateTime, encodeLfnEntries, encodeShortEntry, shortNameChecksum, type DosDateTime } from './dir-entry.ts';
import { encodeFatEntries, endOfChain, entryMask, fatBytesForEntries } from './fat-table.ts';
import { clusterOffsetBytes, planFatGeometry, type FatGeometry, type FatGeometryOptions } from './geometry.ts';
import { clustersNeeded, dirClusters, fileClusters, nameTree, type FatEntryInput, type FatFileInput, type LaidOutDir } from './layout.ts';
import { encodeFatLabel } from './volume-id.ts';

/** Where the volume's bytes go: a SparseImage, a file, memory. `discard` (optional) turns a range into zeros/holes. */
export interface FatSink {
  write(offsetBytes: number, data: Uint8Array): void;
  discard?(offsetBytes: number, sizeBytes: number): void;
  /**
   * Optional: put files that have a `ref` at their offsets, each padded with zeros to a whole number
   * of clusters, reading them itself (a host can read many at once). False: it took none, and the
   * writer copies them through read() and write().
   */
  copyFiles?(copies: readonly FatFileCopy[]): boolean;
}

/** A file's data run in the volume, for FatSink.copyFiles. */
export interface FatFileCopy {
  offsetBytes: number;
  ref: unknown;
  sizeBytes: number;
  paddedBytes: number;
}

export interface FatOptions extends FatGeometryOptions {
  /** The 32-bit volume ID (see vfatVolumeIdFromPartitionUuid). */
  volumeId: number;
  /** Up to 11 ASCII characters; none gives `NO NAME`. */
  label?: string;
  /**
   * SOURCE_DATE_EPOCH (Unix seconds): the time of the volume label entry (mkfs.fat's creation time;
   * `--invariant` uses 1426325213) and of every entry unless `timestamps` is 'keep'.
   */
  epochSeconds: number;
  /** 'epoch' (default): every entry dated epochSeconds; 'keep': each entry's own mtime (epochSeconds when absent). */
  timestamps?: 'epoch' | 'keep';
  /** Bytes per read while copying file data (default 1 MiB). */
  chunkBytes?: number;
}

export interface FatPlan {
  geometry: FatGeometry;
  volumeId: number;
  /** The 11 label bytes as stored. */
  label11: string;
}

export interface FatWriteResult extends FatPlan {
  usedClusters: number;
  freeClusters: number;
}

const SPACE_NAME = (text: string): Uint8Array => {
  const b = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return b;
};
const DOT = SPACE_NAME('.');
const DOTDOT = SPACE_NAME('..');
const DEFAULT_CHUNK_BYTES = 1 << 20;
/** FAT entries per chunk when writing the table (even, for FAT12). */
const FAT_CHUNK_ENTRIES = 1 << 16;

/** Geometry, volume ID and label of a volume, as mkfs.fat would choose them. */
export function planFat(options: FatOptions): FatPlan {
  if (!Number.isInteger(options.volumeId) || options.volumeId < 0 || options.volumeId > 0xffffffff) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `FAT volume ID ${options.volumeId} is not a 32-bit number.`);
  }
  return { geometry: planFatGeometry(options), volumeId: options.volumeId >>> 0, label11: encodeFatLabel(options.label) };
}

interface Allocation {
  /** First cluster of each directory (by path) and file (by LaidOutEntry path). */
  first: Map<string, number>;
  /** Cluster after the last one used. */
  next: number;
  /** Last cluster of every chain, ascending. */
  chainEnds: number[];
}

function allocate(root: LaidOutDir, g: FatGeometry): Allocation {
  const first = new Map<string, number>();
  const chainEnds: number[] = [];
  let next = 2;
  const take = (key: string, clusters: number): void => {
    if (clusters === 0) {
      first.set(key, 0);
      return;
    }
    first.set(key, next);
    next += clusters;
    chainEnds.push(next - 1);
  };
  if (g.fatType === 32) take(root.path, dirClusters(root.slots, g.clusterBytes));
  else first.set(root.path, 0);
  const walk = (dir: LaidOutDir): void => {
    for (const e of dir.entries) {
      if (e.dir) {
        take(e.path, dirClusters(e.dir.slots, g.clusterBytes));
        walk(e.dir);
      } else take(e.path, fileClusters((e.input as FatFileInput).sizeBytes, g.clusterBytes));
    }
  };
  walk(root);
  return { first, next, chainEnds };
}

/** The bytes of one directory: ".", "..", (label), then each entry's long-name entries and short entry. */
function encodeDirectory(dir: LaidOutDir, sizeBytes: number, alloc: Allocation, parentCluster: number, isRoot: boolean,
                         plan: FatPlan, timeOf: (mtime: number | undefined) => DosDateTime): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let slot = 0;
  const own = alloc.first.get(dir.path)!;
  const dirTime = timeOf(dir.mtimeSeconds);
  if (isRoot) {
    if (plan.label11 !== 'NO NAME    ') {
      const name = SPACE_NAME(plan.label11);
      if (name[0] === 0xe5) name[0] = 0x05;
      encodeShortEntry({ name, attr: ATTR.volumeId, caseBits: 0, firstCluster: 0, sizeBytes: 0, modified: timeOf(undefined) }, out, 0);
      slot++;
    }
  } else {
    encodeShortEntry({ name: DOT, attr: ATTR.directory, caseBits: 0, firstCluster: own, sizeBytes: 0, modified: dirTime }, out, 0);
    encodeShortEntry({ name: DOTDOT, attr: ATTR.directory, caseBits: 0, firstCluster: parentCluster, sizeBytes: 0, modified: dirTime }, out, DIR_ENTRY_BYTES);
    slot = 2;
  }
  for (const e of dir.entries) {
    const sn = e.shortName;
    if (sn.needsLongName) slot += encodeLfnEntries(e.input.name, shortNameChecksum(sn.bytes), out, slot * DIR_ENTRY_BYTES);
    const isDir = e.input.kind === 'dir';
    encodeShortEntry({
      name: sn.bytes,
      attr: isDir ? ATTR.directory : ATTR.archive,
      caseBits: sn.caseBits,
      firstCluster: alloc.first.get(e.path)!,
      sizeBytes: isDir ? 0 : (e.input as FatFileInput).sizeBytes,
      modified: timeOf(e.input.mtimeSeconds),
    }, out, slot * DIR_ENTRY_BYTES);
    slot++;
  }
  return out;
}

function notEnoughSpace(plan: FatPlan, needed: number, rootSlots?: number): PartwrightError {
  const g = plan.geometry;
  if (rootSlots !== undefined) {
    return new PartwrightError(ErrorCode.DoesNotFit,
      `The FAT${g.fatType} root directory holds ${g.rootEntryCount} entries but the content needs ${rootSlots} (long names take several); use FAT32 or fewer top-level entries.`,
      { rootEntries: rootSlots });
  }
  return new PartwrightError(ErrorCode.DoesNotFit,
    `The content needs ${needed} clusters of ${g.clusterBytes} bytes (${needed * g.clusterBytes} bytes) but the FAT${g.fatType} volume has ${g.clusterCount} (${g.clusterCount * g.clusterBytes} bytes).`,
    { neededBytes: needed * g.clusterBytes, availableBytes: g.clusterCount * g.clusterBytes });
}

/**
 * Format and populate a FAT volume at `offsetBytes` of `sink`. Same options and tree, same bytes.
 * The tree's entries are written in the order given (sort them first for reproducible images).
 */
export function writeFat(sink: FatSink, offsetBytes: number, options: FatOptions, tree: readonly FatEntryInput[] = []): FatWriteResult {
  const plan = planFat(options);
  const g = plan.geometry;
  const root = nameTree(tree, plan.label11 !== 'NO NAME    ');
  if (g.fatType !== 32 && root.slots > g.rootEntryCount) throw notEnoughSpace(plan, 0, root.slots);
  const needed = clustersNeeded(root, g.clusterBytes, g.fatType === 32);
  if (needed > g.clusterCount) throw notEnoughSpace(plan, needed);
  const alloc = allocate(root, g);
  const usedClusters = alloc.next - 2;
  const freeClusters = g.clusterCount - usedClusters;
  const epochTime = dosDateTime(options.epochSeconds);
  const timeOf = (mtime: number | undefined): DosDateTime =>
    options.timestamps === 'keep' && mtime !== undefined ? dosDateTime(mtime) : epochTime;

  // Metadata region: reserved sectors, FATs and the FAT12/16 root directory start out as zeros.
  sink.discard?.(offsetBytes, g.dataOffsetBytes);

  // Boot sector, and on FAT32 the FSInfo sector and their backups.
  const boot = encodeFatBootSector(bootSectorFromGeometry(g, plan.volumeId, plan.label11));
  sink.write(offsetBytes, boot);
  if (g.fatType === 32) {
    const fsInfo = encodeFatFsInfo({ freeClusters, nextFreeCluster: alloc.next - 1 });
    sink.write(offsetBytes + g.fsInfoSector * g.sectorBytes, fsInfo);
    if (g.backupBootSector) {
      sink.write(offsetBytes + g.backupBootSector * g.sectorBytes, boot);
      if (g.backupBootSector + g.fsInfoSector < g.reservedSectors) {
        sink.write(offsetBytes + (g.backupBootSector + g.fsInfoSector) * g.sectorBytes, fsInfo);
      }
    }
  }

  // FATs: entries 0 and 1 (media byte, all ones), then the chains; the rest stays zero.
  const mask = entryMask(g.fatType);
  const eoc = endOfChain(g.fatType);
  const ends = alloc.chainEnds;
  let endIndex = 0;
  const valueOf = (c: number): number => {
    if (c === 0) return (mask & ~0xff) | g.mediaByte;
    if (c === 1) return mask;
    if (c >= alloc.next) return 0;
    while (endIndex < ends.length && ends[endIndex]! < c) endIndex++;
    return ends[endIndex] === c ? eoc : c + 1;
  };
  const fatEntries = Math.max(alloc.next, 2);
  for (let first = 0; first < fatEntries; first += FAT_CHUNK_ENTRIES) {
    const count = Math.min(FAT_CHUNK_ENTRIES, fatEntries - first);
    endIndex = 0;
    while (endIndex < ends.length && ends[endIndex]! < first) endIndex++;
    const bytes = encodeFatEntries(g.fatType, first, count, valueOf);
    const at = fatBytesForEntries(g.fatType, first);
    for (let k = 0; k < g.fatCount; k++) {
      sink.write(offsetBytes + g.fatOffsetBytes + k * g.sectorsPerFat * g.sectorBytes + at, bytes);
    }
  }

  // Directories.
  const writeDir = (dir: LaidOutDir, parentCluster: number, isRoot: boolean): void => {
    if (isRoot && g.fatType !== 32) {
      const bytes = encodeDirectory(dir, g.rootDirSectors * g.sectorBytes, alloc, 0, true, plan, timeOf);
      sink.write(offsetBytes + g.rootDirOffsetBytes, bytes);
    } else {
      const own = alloc.first.get(dir.path)!;
      const bytes = encodeDirectory(dir, dirClusters(dir.slots, g.clusterBytes) * g.clusterBytes, alloc, parentCluster, isRoot, plan, timeOf);
      sink.write(offsetBytes + clusterOffsetBytes(g, own), bytes);
    }
    // ".." of a directory whose parent is the root points at cluster 0 (fatgen103 §6.7), even on FAT32.
    const ownForChildren = isRoot ? 0 : alloc.first.get(dir.path)!;
    for (const e of dir.entries) if (e.dir) writeDir(e.dir, ownForChildren, false);
  };
  writeDir(root, 0, true);

  // File data, each file one run; the last cluster is padded with zeros. The sink copies the files
  // it can open itself (copyFiles); the rest are streamed through read() and write() in chunks.
  const runs: { file: FatFileInput; offsetBytes: number; paddedBytes: number }[] = [];
  const collect = (dir: LaidOutDir): void => {
    for (const e of dir.entries) {
      if (e.dir) {
        collect(e.dir);
        continue;
      }
      const file = e.input as FatFileInput;
      if (file.sizeBytes === 0) continue;
      runs.push({ file, offsetBytes: offsetBytes + clusterOffsetBytes(g, alloc.first.get(e.path)!), paddedBytes: fileClusters(file.sizeBytes, g.clusterBytes) * g.clusterBytes });
    }
  };
  collect(root);
  let streamed = runs;
  if (sink.copyFiles) {
    const copies: FatFileCopy[] = [];
    for (const r of runs) if (r.file.ref !== undefined) copies.push({ offsetBytes: r.offsetBytes, ref: r.file.ref, sizeBytes: r.file.sizeBytes, paddedBytes: r.paddedBytes });
    if (copies.length > 0 && sink.copyFiles(copies)) streamed = runs.filter((r) => r.file.ref === undefined);
  }
  const chunkBytes = Math.max(g.clusterBytes, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / g.clusterBytes) * g.clusterBytes);
  const buffer = new Uint8Array(streamed.length > 0 ? chunkBytes : 0);
  for (const { file, offsetBytes: base, paddedBytes: padded } of streamed) {
    for (let pos = 0; pos < padded; pos += chunkBytes) {
      const n = Math.min(chunkBytes, padded - pos);
      const dataBytes = Math.max(0, Math.min(n, file.sizeBytes - pos));
      const view = buffer.subarray(0, n);
      if (dataBytes > 0) file.read(pos, view.subarray(0, dataBytes));
      view.fill(0, dataBytes);
      sink.write(base + pos, view);
    }
  }

  return { ...plan, usedClusters, freeClusters };
}
