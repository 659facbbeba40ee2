/**
 * Where a GPT's pieces sit on a disk of a given size: the entry arrays, the usable range and the
 * backup header. Defaults are sfdisk's (and repart's): 128 entries of 128 bytes at LBA 2, first usable
 * LBA at 1 MiB, backup header at the last LBA with the backup entries directly before it, last usable
 * LBA just before those (N−34 for 512-byte sectors, N−6 for 4096).
 */
import { checkSectorSize, invalidTable } from '../table-region.ts';
import { GPT_DEFAULT_ENTRY_COUNT, GPT_ENTRY_SIZE_BYTES, isValidEntrySize } from './entries.ts';

/** The primary header's LBA (UEFI §5.3.1). */
export const PRIMARY_HEADER_LBA = 1;
/** Default primary entries LBA: directly after the header. */
export const DEFAULT_ENTRIES_LBA = 2;
/** libfdisk and repart put the first usable LBA at 1 MiB (their alignment grain). */
const DEFAULT_ALIGNMENT_BYTES = 1024 * 1024;

/** Same shape as the planner's `GptGeometry` (workers/plan/types.ts). */
export interface GptGeometry {
  entriesLba: number;
  entryCount: number;
  entrySizeBytes: number;
  firstUsableLba: number;
  lastUsableLba: number;
  backupEntriesLba: number;
  backupHeaderLba: number;
}

export interface GptGeometryOptions {
  sectorSizeBytes: number;
  diskSizeBytes: number;
  /** LBA of the primary entry array (default 2). Move it to free room for boot blobs. */
  entriesLba?: number;
  /** Default 128. */
  entryCount?: number;
  /** Default 128; must be 128 × 2^n. */
  entrySizeBytes?: number;
  /** Default: the end of the primary entry array rounded up to 1 MiB. */
  firstUsableLba?: number;
  /** Default: the sector before the backup entry array. */
  lastUsableLba?: number;
}

/** Sectors an array of `entryCount` × `entrySizeBytes` takes. */
export function entriesSectors(entryCount: number, entrySizeBytes: number, sectorSizeBytes: number): number {
  return Math.ceil((entryCount * entrySizeBytes) / sectorSizeBytes);
}

/** Resolve and check the geometry; throws `invalid-spec` when the pieces do not fit or overlap. */
export function resolveGptGeometry(o: GptGeometryOptions): GptGeometry {
  const where = 'gpt';
  checkSectorSize(o.sectorSizeBytes, where);
  if (!Number.isInteger(o.diskSizeBytes) || o.diskSizeBytes % o.sectorSizeBytes !== 0) {
    throw invalidTable(`disk size ${o.diskSizeBytes} is not a multiple of the ${o.sectorSizeBytes}-byte sector`, where);
  }
  const totalSectors = o.diskSizeBytes / o.sectorSizeBytes;
  const entryCount = o.entryCount ?? GPT_DEFAULT_ENTRY_COUNT;
  const entrySizeBytes = o.entrySizeBytes ?? GPT_ENTRY_SIZE_BYTES;
  const entriesLba = o.entriesLba ?? DEFAULT_ENTRIES_LBA;
  if (!Number.isInteger(entryCount) || entryCount < 1 || entryCount > 0xffff_ffff) {
    throw invalidTable(`entry count ${entryCount} must be a positive integer`, where);
  }
  if (!isValidEntrySize(entrySizeBytes)) {
    throw invalidTable(`entry size ${entrySizeBytes} is not 128 × 2^n bytes`, where);
  }
  if (!Number.isInteger(entriesLba) || entriesLba < DEFAULT_ENTRIES_LBA) {
    throw invalidTable(`entries LBA ${entriesLba} must be 2 or later (LBA 0 is the MBR, 1 the header)`, where);
  }
  const arraySectors = entriesSectors(entryCount, entrySizeBytes, o.sectorSizeBytes);
  const backupHeaderLba = totalSectors - 1;
  const backupEntriesLba = backupHeaderLba - arraySectors;
  const alignSectors = DEFAULT_ALIGNMENT_BYTES / o.sectorSizeBytes;
  const firstUsableLba =
    o.firstUsableLba ?? Math.ceil((entriesLba + arraySectors) / alignSectors) * alignSectors;
  const lastUsableLba = o.lastUsableLba ?? backupEntriesLba - 1;
  if (entriesLba + arraySectors > firstUsableLba) {
    throw invalidTable(
      `the primary entry array (LBA ${entriesLba}..${entriesLba + arraySectors - 1}) runs into the first usable LBA ${firstUsableLba}`,
      where,
    );
  }
  if (lastUsableLba >= backupEntriesLba) {
    throw invalidTable(
      `last usable LBA ${lastUsableLba} runs into the backup entry array at LBA ${backupEntriesLba}`,
      where,
    );
  }
  if (firstUsableLba > lastUsableLba + 1) {
    throw invalidTable(
      `the disk of ${totalSectors} sectors is too small: first usable LBA ${firstUsableLba} is past last usable LBA ${lastUsableLba}`,
      where,
    );
  }
  return { entriesLba, entryCount, entrySizeBytes, firstUsableLba, lastUsableLba, backupEntriesLba, backupHeaderLba };
}
