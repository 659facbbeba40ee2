/**
 * FAT12/16/32 volumes: geometry as mkfs.fat 4.2 chooses it, populated with long names as mtools
 * makes them, written into a sparse sink; and a reader. See writer.ts and reader.ts.
 */
export { planFatGeometry, clusterOffsetBytes, type FatGeometry, type FatGeometryOptions, type FatType } from './geometry.ts';
export { encodeFatBootSector, decodeFatBootSector, encodeFatFsInfo, decodeFatFsInfo, type FatBootSector, type FatFsInfo } from './boot-sector.ts';
export { planFat, writeFat, type FatOptions, type FatPlan, type FatSink, type FatFileCopy, type FatWriteResult } from './writer.ts';
export { readFat, type FatVolume, type FatDirEntryInfo } from './reader.ts';
export { minimumFatSizeBytes, type FatMinimizeOptions } from './minimize.ts';
export { vfatVolumeIdFromPartitionUuid, formatVolumeId, parseVolumeId, mangleFatLabel, encodeFatLabel } from './volume-id.ts';
export { MAX_FILE_BYTES, type FatEntryInput, type FatFileInput, type FatDirInput } from './layout.ts';
export { dosName, ShortNameAllocator, shortNameText, type ShortName } from './short-name.ts';
