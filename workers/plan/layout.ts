/**
 * The table's own areas and the byte range partitions may use, for GPT (as libfdisk lays out a fresh
 * label for repart), MBR and hybrid tables, on 512- and 4096-byte sectors.
 *
 * GPT: protective MBR in LBA 0, header in LBA 1, `entryCount` × 128-byte entries at `entriesLba`
 * (default 2); at the end the backup entries and then the backup header in the last LBA. The last
 * usable LBA is the one before the backup entries (N−34 with 512-byte sectors, N−6 with 4096).
 * Partitions start at 1 MiB by default (first usable LBA 2048 on 512-byte sectors, as repart), or at
 * the next MiB after a moved entry array, or at `firstPartitionOffsetBytes`; blobs push the start past
 * their end when no explicit offset is given. The first usable LBA is where partitions start, so
 * blobs before it are outside the usable area.
 * MBR: only sector 0 is the table's; partitions may run to the end of the disk.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, SectorSize, TableType } from '../model/spec.ts';
import type { GptGeometry, ReservedArea } from './types.ts';
import { MiB, roundDown, roundUp } from './rounding.ts';

export const GPT_ENTRY_SIZE_BYTES = 128;
export const GPT_DEFAULT_ENTRY_COUNT = 128;
export const GPT_DEFAULT_ENTRIES_LBA = 2;
/** libfdisk aligns the first partition of a fresh label to 1 MiB. */
export const DEFAULT_FIRST_PARTITION_OFFSET_BYTES = 1 * MiB;

export interface GptSettingsResolved {
  entriesLba: number;
  entryCount: number;
}

export interface LayoutInput {
  table: TableType;
  sectorSizeBytes: SectorSize;
  grainBytes: number;
  gpt: GptSettingsResolved;
  /** Explicit first partition offset, if any. */
  firstPartitionOffsetBytes: number | undefined;
  /** Byte ranges of blobs ([offset, end)). */
  blobEnds: number[];
  /** Base-image mode: the first usable LBA read from the existing header, if known. */
  existingFirstUsableLba: number | undefined;
}

export interface Layout {
  /** Where partitions may start (grain-aligned). */
  startBytes: number;
  /** Bytes at the end of the disk that are the table's (backup GPT); 0 for MBR. */
  tailBytes: number;
}

export function entryArraySectors(gpt: GptSettingsResolved, sectorSizeBytes: number): number {
  return Math.ceil((gpt.entryCount * GPT_ENTRY_SIZE_BYTES) / sectorSizeBytes);
}

export function usesGpt(table: TableType): boolean {
  return table === 'gpt' || table === 'hybrid';
}

/** The parts of the layout that do not depend on the disk size. */
export function computeLayout(input: LayoutInput): Layout {
  const ss: number = input.sectorSizeBytes;
  let tableEndBytes = ss; // the MBR sector
  let tailBytes = 0;
  if (usesGpt(input.table)) {
    const entriesEnd = (input.gpt.entriesLba + entryArraySectors(input.gpt, ss)) * ss;
    tableEndBytes = Math.max(2 * ss, entriesEnd);
    tailBytes = (1 + entryArraySectors(input.gpt, ss)) * ss;
  }
  let startBytes: number;
  if (input.existingFirstUsableLba !== undefined) {
    startBytes = roundUp(input.existingFirstUsableLba * ss, input.grainBytes);
  } else if (input.firstPartitionOffsetBytes !== undefined) {
    startBytes = input.firstPartitionOffsetBytes;
    if (startBytes < tableEndBytes) {
      throw new PartwrightError(
        ErrorCode.InvalidSpec,
        `firstPartitionOffsetBytes=${startBytes} lies inside the partition table (which ends at byte ${tableEndBytes})`,
        { where: 'firstPartitionOffsetBytes' },
      );
    }
  } else {
    startBytes = roundUp(Math.max(DEFAULT_FIRST_PARTITION_OFFSET_BYTES, tableEndBytes), MiB);
    for (const end of input.blobEnds) startBytes = Math.max(startBytes, roundUp(end, input.grainBytes));
  }
  return { startBytes, tailBytes };
}

export function gptGeometry(
  gpt: GptSettingsResolved,
  sectorSizeBytes: number,
  diskSizeBytes: number,
  startBytes: number,
): GptGeometry {
  const sectors = diskSizeBytes / sectorSizeBytes;
  const arraySectors = entryArraySectors(gpt, sectorSizeBytes);
  const backupHeaderLba = sectors - 1;
  const backupEntriesLba = backupHeaderLba - arraySectors;
  return {
    entriesLba: gpt.entriesLba,
    entryCount: gpt.entryCount,
    entrySizeBytes: GPT_ENTRY_SIZE_BYTES,
    firstUsableLba: startBytes / sectorSizeBytes,
    lastUsableLba: backupEntriesLba - 1,
    backupEntriesLba,
    backupHeaderLba,
  };
}

/** End of the space partitions may use, rounded down to the grain (repart rounds last_lba+1 down). */
export function usableEndBytes(table: TableType, diskSizeBytes: number, tailBytes: number, grainBytes: number): number {
  return roundDown(diskSizeBytes - (usesGpt(table) ? tailBytes : 0), grainBytes);
}

export function tableReservedAreas(
  table: TableType,
  sectorSizeBytes: number,
  geometry: GptGeometry | undefined,
): ReservedArea[] {
  const ss = sectorSizeBytes;
  const areas: ReservedArea[] = [{ kind: 'mbr', offsetBytes: 0, sizeBytes: ss }];
  if (usesGpt(table) && geometry) {
    const arrayBytes = geometry.entryCount * geometry.entrySizeBytes;
    const arraySectorsBytes = Math.ceil(arrayBytes / ss) * ss;
    areas.push({ kind: 'gpt-header', offsetBytes: ss, sizeBytes: ss });
    areas.push({ kind: 'gpt-entries', offsetBytes: geometry.entriesLba * ss, sizeBytes: arraySectorsBytes });
    areas.push({ kind: 'gpt-backup-entries', offsetBytes: geometry.backupEntriesLba * ss, sizeBytes: arraySectorsBytes });
    areas.push({ kind: 'gpt-backup-header', offsetBytes: geometry.backupHeaderLba * ss, sizeBytes: ss });
  }
  return areas;
}
