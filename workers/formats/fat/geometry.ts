/**
 * FAT volume geometry chosen exactly as dosfstools 4.2 `mkfs.fat` does for an image file
 * (src/mkfs.fat.c: establish_params() and setup_tables()), so that the same size and options give the
 * same boot sector as `mkfs.fat --invariant -i ID -n LABEL [-F N] [-s N] [-S N] [-h N]`.
 *
 * mkfs.fat computes with C `unsigned`/`int` arithmetic; the helpers below keep its 32-bit wrap-around
 * where it could matter, so that even forced FAT types on odd sizes give the same numbers.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

export type FatType = 12 | 16 | 32;

export interface FatGeometryOptions {
  /** Size of the volume (the partition) in bytes. */
  sizeBytes: number;
  /** Logical sector size (mkfs.fat -S); 512 unless given. */
  sectorBytes?: 512 | 1024 | 2048 | 4096;
  /** Forced FAT type (mkfs.fat -F); chosen by size as mkfs.fat does when absent. */
  fatType?: FatType;
  /** Forced sectors per cluster (mkfs.fat -s), a power of two 1–128. */
  sectorsPerCluster?: number;
  /** Sectors before the volume on its disk: the partition's start LBA (mkfs.fat -h). */
  hiddenSectors?: number;
}

export interface FatGeometry {
  fatType: FatType;
  sectorBytes: number;
  sectorsPerCluster: number;
  /** Sectors before the first FAT (boot sector, FSInfo and backup boot sector on FAT32). */
  reservedSectors: number;
  fatCount: number;
  /** Root directory slots (FAT12/16); 0 on FAT32, where the root is a cluster chain. */
  rootEntryCount: number;
  /** Sectors of the volume as recorded in the boot sector (rounded down to a track). */
  totalSectors: number;
  sectorsPerFat: number;
  mediaByte: number;
  sectorsPerTrack: number;
  heads: number;
  hiddenSectors: number;
  /** Data clusters (numbered 2 … clusterCount + 1). */
  clusterCount: number;
  /** FAT32: the FSInfo sector and the backup boot sector (0 when none). */
  fsInfoSector: number;
  backupBootSector: number;
  /** FAT32: the root directory's first cluster. */
  rootCluster: number;
  // Derived byte positions inside the volume.
  fatOffsetBytes: number;
  rootDirOffsetBytes: number;
  rootDirSectors: number;
  dataOffsetBytes: number;
  clusterBytes: number;
}

/** fatgen103 / mkfs.fat: at most 4084 clusters for FAT12 (Windows' fastfat misdetects 4085–4086). */
const MAX_CLUST_12 = 4084;
/** mkfs.fat: at least 4087 clusters for FAT16 so nobody reads it as FAT12. */
const MIN_CLUST_16 = 4087;
const MAX_CLUST_16 = 65524;
/** Fewer clusters than this make a FAT16 by the cluster-count rule; mkfs.fat refuses unless -F 32. */
const MIN_CLUST_32 = 65525;
/** FAT32 entries have 28 bits; the last 10 values are reserved. */
const MAX_CLUST_32 = 268435446;
const UINT32_MAX = 0xffffffff;
/** Floppy sizes (KiB) mkfs.fat gives classic geometry to when the target is not a fixed disk. */
const FLOPPIES: Record<number, { sectorsPerTrack: number; heads: number; media: number; clusterSize: number; rootEntries: number }> = {
  360: { sectorsPerTrack: 9, heads: 2, media: 0xfd, clusterSize: 2, rootEntries: 112 },
  720: { sectorsPerTrack: 9, heads: 2, media: 0xf9, clusterSize: 2, rootEntries: 112 },
  1200: { sectorsPerTrack: 15, heads: 2, media: 0xf9, clusterSize: 1, rootEntries: 224 },
  1440: { sectorsPerTrack: 18, heads: 2, media: 0xf0, clusterSize: 1, rootEntries: 224 },
  2880: { sectorsPerTrack: 36, heads: 2, media: 0xf0, clusterSize: 2, rootEntries: 224 },
};

const u32 = (x: number): number => x >>> 0;
const mulU32 = (a: number, b: number): number => Math.imul(a, b) >>> 0;
/** mkfs.fat's `cdiv(int a, int b)`: both converted to int, C division truncates. */
const cdiv = (a: number, b: number): number => {
  const ai = a | 0;
  return (Math.trunc(((ai + b - 1) | 0) / b)) | 0;
};
/** align_object(): round up to a power of two (unsigned), or keep when alignment is off. */
const alignObject = (sectors: number, clusterSize: number, align: boolean): number =>
  align ? u32((sectors + clusterSize - 1) & ~(clusterSize - 1)) : sectors;

function tooSmall(message: string, sizeBytes: number): PartwrightError {
  return new PartwrightError(ErrorCode.DoesNotFit, message, { sizeBytes });
}

/** The geometry mkfs.fat 4.2 would give an image file of `sizeBytes` with these options. */
export function planFatGeometry(options: FatGeometryOptions): FatGeometry {
  const sizeBytes = options.sizeBytes;
  const sectorBytes = options.sectorBytes ?? 512;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `FAT volume size ${sizeBytes} is not a positive whole number of bytes.`);
  }
  if (![512, 1024, 2048, 4096].includes(sectorBytes)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `FAT sector size ${sectorBytes} is not 512, 1024, 2048 or 4096.`);
  }
  const forcedSpc = options.sectorsPerCluster;
  if (forcedSpc !== undefined && (![1, 2, 4, 8, 16, 32, 64, 128].includes(forcedSpc))) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Sectors per cluster ${forcedSpc} is not a power of two from 1 to 128.`);
  }
  const hiddenSectors = options.hiddenSectors ?? 0;
  if (!Number.isSafeInteger(hiddenSectors) || hiddenSectors < 0 || hiddenSectors > UINT32_MAX) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Hidden sectors ${hiddenSectors} do not fit the boot sector's 32-bit field.`);
  }
  let sizeFat: number = options.fatType ?? 0;
  const sizeFatByUser = options.fatType !== undefined;
  const nrFats = 2;

  // establish_params()
  let heads: number;
  let sectorsPerTrack: number;
  let media = 0xf8;
  let clusterSize = 4;
  let defRootDirEntries = 512;
  const totalSectorsGeom = Math.floor(sizeBytes / sectorBytes);
  if (totalSectorsGeom <= 524288) {
    // SD Card Part 2 File System Specification CHS recommendation (below 256 MiB).
    heads = totalSectorsGeom <= 32768 ? 2 : totalSectorsGeom <= 65536 ? 4 : totalSectorsGeom <= 262144 ? 8 : 16;
    sectorsPerTrack = totalSectorsGeom <= 4096 ? 16 : 32;
  } else {
    // LBA-assist translation.
    heads = totalSectorsGeom <= 16 * 63 * 1024 ? 16 : totalSectorsGeom <= 32 * 63 * 1024 ? 32
      : totalSectorsGeom <= 64 * 63 * 1024 ? 64 : totalSectorsGeom <= 128 * 63 * 1024 ? 128 : 255;
    sectorsPerTrack = 63;
  }
  const floppy = FLOPPIES[Math.floor(sizeBytes / 1024)];
  if (floppy) {
    sectorsPerTrack = floppy.sectorsPerTrack;
    heads = floppy.heads;
    media = floppy.media;
    clusterSize = floppy.clusterSize;
    defRootDirEntries = floppy.rootEntries;
  }
  if (!sizeFat && sizeBytes >= 512 * 1024 * 1024) sizeFat = 32;
  if (sizeFat === 32) {
    // Microsoft's format defaults (fatgen103 p. 20), as mkfs.fat applies them.
    const sectors = Math.floor(sizeBytes / sectorBytes);
    clusterSize = sectors > 32 * 1024 * 1024 * 2 ? 64 : sectors > 16 * 1024 * 1024 * 2 ? 32
      : sectors > 8 * 1024 * 1024 * 2 ? 16 : sectors > 260 * 1024 * 2 ? 8 : 1;
  }
  let rootDirEntries = defRootDirEntries;

  // setup_tables()
  if (forcedSpc) clusterSize = forcedSpc;
  if (sizeFat === 32) rootDirEntries = 0;
  let reservedSectors = sizeFat === 32 ? 32 : 1;

  const blocks = Math.floor(sizeBytes / 1024);
  const orphanedSectors = Math.floor((sizeBytes % 1024) / sectorBytes);
  let numSectors = Math.floor((blocks * 1024) / sectorBytes) + orphanedSectors;
  if (numSectors > UINT32_MAX) numSectors = UINT32_MAX;
  let align = true;
  // "Align number of sectors to be multiple of sectors per track, needed by DOS and mtools".
  numSectors = Math.floor(numSectors / sectorsPerTrack) * sectorsPerTrack;

  const rootDirSectors = cdiv(rootDirEntries * 32, sectorBytes);
  // Tiny (floppy-sized) filesystems are not aligned.
  if (numSectors <= 8192) align = false;
  const maxClusterSize = forcedSpc ?? 128;

  let clust12 = 0, clust16 = 0, clust32 = 0;
  let fatLength12 = 0, fatLength16 = 0, fatLength32 = 0;
  do {
    const fatdata32 = u32(numSectors - alignObject(reservedSectors, clusterSize, align));
    const fatdata1216 = u32(fatdata32 - alignObject(rootDirSectors, clusterSize, align));

    // The factor 2 avoids cut-off errors for one FAT; nr_fats*3 is for the two reserved entries.
    clust12 = u32(Math.floor((2 * (fatdata1216 * sectorBytes + nrFats * 3)) / (2 * clusterSize * sectorBytes + nrFats * 3)));
    fatLength12 = u32(cdiv(u32(mulU32(u32(clust12 + 2), 3) + 1) >>> 1, sectorBytes));
    fatLength12 = alignObject(fatLength12, clusterSize, align);
    clust12 = Math.floor(u32(fatdata1216 - mulU32(nrFats, fatLength12)) / clusterSize);
    let maxClust12 = Math.floor(mulU32(mulU32(fatLength12, 2), sectorBytes) / 3);
    if (maxClust12 > MAX_CLUST_12) maxClust12 = MAX_CLUST_12;
    if (clust12 > maxClust12) clust12 = 0;

    clust16 = u32(Math.floor((fatdata1216 * sectorBytes + nrFats * 4) / (clusterSize * sectorBytes + nrFats * 2)));
    fatLength16 = u32(cdiv(mulU32(u32(clust16 + 2), 2), sectorBytes));
    fatLength16 = alignObject(fatLength16, clusterSize, align);
    clust16 = Math.floor(u32(fatdata1216 - mulU32(nrFats, fatLength16)) / clusterSize);
    let maxClust16 = Math.floor(mulU32(fatLength16, sectorBytes) / 2);
    if (maxClust16 > MAX_CLUST_16) maxClust16 = MAX_CLUST_16;
    if (clust16 > maxClust16) clust16 = 0;
    if (clust16 && clust16 < MIN_CLUST_16) clust16 = 0;

    clust32 = u32(Math.floor((fatdata32 * sectorBytes + nrFats * 8) / (clusterSize * sectorBytes + nrFats * 4)));
    fatLength32 = u32(cdiv(mulU32(u32(clust32 + 2), 4), sectorBytes));
    fatLength32 = alignObject(fatLength32, clusterSize, align);
    clust32 = Math.floor(u32(fatdata32 - mulU32(nrFats, fatLength32)) / clusterSize);
    let maxClust32 = Math.floor(mulU32(fatLength32, sectorBytes) / 4);
    if (maxClust32 > MAX_CLUST_32) maxClust32 = MAX_CLUST_32;
    if (clust32 > maxClust32) clust32 = 0;
    if (clust32 && clust32 < MIN_CLUST_32 && !(sizeFatByUser && sizeFat === 32)) clust32 = 0;

    if ((clust12 && (sizeFat === 0 || sizeFat === 12)) || (clust16 && (sizeFat === 0 || sizeFat === 16)) ||
        (clust32 && sizeFat === 32)) break;
    clusterSize = (clusterSize << 1) & 0xff; // bs.cluster_size is a uint8_t
  } while (clusterSize && clusterSize <= maxClusterSize);

  if (!sizeFat) sizeFat = clust16 > clust12 ? 16 : 12;
  let clusterCount: number;
  let sectorsPerFat: number;
  if (sizeFat === 12) {
    clusterCount = clust12;
    sectorsPerFat = fatLength12;
  } else if (sizeFat === 16) {
    clusterCount = clust16;
    sectorsPerFat = fatLength16;
  } else {
    clusterCount = clust32;
    sectorsPerFat = fatLength32;
    rootDirEntries = 0;
  }
  reservedSectors = alignObject(reservedSectors, clusterSize, align);
  if (align) rootDirEntries = alignObject(rootDirSectors, clusterSize, align) * (sectorBytes >> 5);

  if (!clusterCount || !clusterSize) {
    throw tooSmall(forcedSpc
      ? `A FAT${sizeFat} volume of ${sizeBytes} bytes cannot have ${forcedSpc} sectors per cluster: not enough or too many clusters.`
      : `A FAT${options.fatType ?? ''} volume of ${sizeBytes} bytes is too small or too large (mkfs.fat refuses it too).`, sizeBytes);
  }
  const fsRootDirSectors = cdiv(rootDirEntries * 32, sectorBytes);
  // "The two following vars are in hard sectors, i.e. 512 byte sectors!"
  const startDataSector512 = (reservedSectors + nrFats * sectorsPerFat + fsRootDirSectors) * (sectorBytes / 512);
  const startDataBlock = Math.floor((startDataSector512 + 1) / 2);
  if (blocks < startDataBlock + 32) {
    throw tooSmall(`A FAT volume of ${sizeBytes} bytes is too small: mkfs.fat needs at least ${(startDataBlock + 32) * 1024} bytes for this layout.`, sizeBytes);
  }

  let backupBootSector = 0;
  const fsInfoSector: number = sizeFat === 32 ? 1 : 0;
  if (sizeFat === 32) {
    backupBootSector = reservedSectors >= 7 && fsInfoSector !== 6 ? 6
      : reservedSectors >= 3 + fsInfoSector && fsInfoSector !== reservedSectors - 2 && fsInfoSector !== reservedSectors - 1 ? reservedSectors - 2
      : reservedSectors >= 3 && fsInfoSector !== reservedSectors - 1 ? reservedSectors - 1 : 0;
  }

  const fatOffsetBytes = reservedSectors * sectorBytes;
  const rootDirOffsetBytes = fatOffsetBytes + nrFats * sectorsPerFat * sectorBytes;
  return {
    fatType: sizeFat as FatType,
    sectorBytes,
    sectorsPerCluster: clusterSize,
    reservedSectors,
    fatCount: nrFats,
    rootEntryCount: rootDirEntries,
    totalSectors: numSectors,
    sectorsPerFat,
    mediaByte: media,
    sectorsPerTrack,
    heads,
    hiddenSectors,
    clusterCount,
    fsInfoSector,
    backupBootSector,
    rootCluster: sizeFat === 32 ? 2 : 0,
    fatOffsetBytes,
    rootDirOffsetBytes,
    rootDirSectors: fsRootDirSectors,
    dataOffsetBytes: rootDirOffsetBytes + fsRootDirSectors * sectorBytes,
    clusterBytes: clusterSize * sectorBytes,
  };
}

/** Byte offset (inside the volume) of data cluster `cluster` (≥ 2). */
export function clusterOffsetBytes(g: FatGeometry, cluster: number): number {
  return g.dataOffsetBytes + (cluster - 2) * g.clusterBytes;
}
