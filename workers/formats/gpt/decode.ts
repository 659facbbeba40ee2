/** Read a GPT back: both headers checked, the backup used when the primary is damaged. */
import { crc32 } from '../crc32.ts';
import { PartwrightError } from '../../model/errors.ts';
import {
  corruptTable,
  readExactly,
  TableProblem,
  type ReadBytes,
} from '../table-region.ts';
import { decodeGptEntries, isValidEntrySize, type GptPartition } from './entries.ts';
import { entriesSectors, PRIMARY_HEADER_LBA, type GptGeometry } from './geometry.ts';
import { decodeGptHeader, GPT_SIGNATURE, hex32, type GptHeader } from './header.ts';

/** Entry arrays larger than this are refused rather than read (sgdisk's own cap is far lower). */
const MAX_ENTRY_ARRAY_BYTES = 16 * 1024 * 1024;

export interface DecodedGpt {
  sectorSizeBytes: number;
  diskGuid: string;
  /**
   * Where the pieces are. When the backup was used, the primary array's real place is unknown
   * (its header is corrupt) and `entriesLba` is the default 2; rewrite the primary from this.
   */
  geometry: GptGeometry;
  /** Used entries, in array order, with 1-based numbers. */
  partitions: GptPartition[];
  /** Which header the result comes from: `backup` when the primary header or entries are corrupt. */
  source: 'primary' | 'backup';
  /** What is wrong but did not stop reading (a corrupt backup, or why the primary was not used). */
  warnings: string[];
}

interface CheckedHeader {
  header: GptHeader;
  entries: Uint8Array;
}

/** Read and check one header and its entry array. */
function readCopy(
  read: ReadBytes,
  lba: number,
  totalSectors: number,
  sectorSizeBytes: number,
  which: 'primary' | 'backup',
): CheckedHeader {
  const where = `${which} GPT header (LBA ${lba})`;
  const h = decodeGptHeader(readExactly(read, lba * sectorSizeBytes, sectorSizeBytes, where), where);
  if (h.currentLba !== lba) {
    throw corruptTable(TableProblem.MyLba, `${where}: says it is at LBA ${h.currentLba}`, where);
  }
  const expectedOther = which === 'primary' ? undefined : PRIMARY_HEADER_LBA;
  if (h.backupLba >= totalSectors) {
    throw corruptTable(
      TableProblem.AlternateLba,
      `${where}: alternate header LBA ${h.backupLba} is past the end of the disk (${totalSectors} sectors; truncated image?)`,
      where,
    );
  }
  if (h.backupLba === lba || (expectedOther !== undefined && h.backupLba !== expectedOther)) {
    throw corruptTable(TableProblem.AlternateLba, `${where}: alternate header LBA ${h.backupLba} is wrong`, where);
  }
  if (!isValidEntrySize(h.entrySizeBytes)) {
    throw corruptTable(TableProblem.EntrySize, `${where}: entry size ${h.entrySizeBytes} is not 128 × 2^n bytes`, where);
  }
  const arrayBytes = h.entryCount * h.entrySizeBytes;
  if (h.entryCount === 0 || arrayBytes > MAX_ENTRY_ARRAY_BYTES) {
    throw corruptTable(TableProblem.EntryCount, `${where}: entry count ${h.entryCount} is not plausible`, where);
  }
  if (h.firstUsableLba > h.lastUsableLba + 1 || h.lastUsableLba >= totalSectors || h.firstUsableLba < 2) {
    throw corruptTable(
      TableProblem.UsableRange,
      `${where}: usable range ${h.firstUsableLba}..${h.lastUsableLba} does not fit a disk of ${totalSectors} sectors`,
      where,
    );
  }
  const arraySectors = entriesSectors(h.entryCount, h.entrySizeBytes, sectorSizeBytes);
  const arrayEnd = h.entriesLba + arraySectors - 1;
  const insideUsable = h.entriesLba <= h.lastUsableLba && arrayEnd >= h.firstUsableLba;
  if (h.entriesLba < 2 || arrayEnd >= totalSectors || insideUsable || (h.entriesLba <= lba && lba <= arrayEnd)) {
    throw corruptTable(
      TableProblem.EntriesLocation,
      `${where}: entry array at LBA ${h.entriesLba}..${arrayEnd} overlaps the header, the usable range or the disk's end (${totalSectors} sectors)`,
      where,
    );
  }
  const entries = readExactly(read, h.entriesLba * sectorSizeBytes, arrayBytes, `${which} GPT entry array`);
  const actual = crc32(entries);
  if (actual !== h.entriesCrc32) {
    throw corruptTable(
      TableProblem.EntriesCrc,
      `${which} GPT entry array (LBA ${h.entriesLba}): CRC32 is 0x${hex32(actual)} but the header says 0x${hex32(h.entriesCrc32)}`,
      `${which} GPT entry array`,
    );
  }
  return { header: h, entries };
}

function isCorruptTable(e: unknown): e is PartwrightError {
  return e instanceof PartwrightError && e.code === 'corrupt-table';
}

/**
 * Decode the GPT of a disk of `diskSizeBytes`. Throws `corrupt-table` (with `detail.problem`) when
 * neither header is usable or when entries overlap or leave the usable range.
 */
export function decodeGpt(read: ReadBytes, diskSizeBytes: number, sectorSizeBytes: number): DecodedGpt {
  if (diskSizeBytes % sectorSizeBytes !== 0 || diskSizeBytes < 3 * sectorSizeBytes) {
    throw corruptTable(
      TableProblem.BadDiskSize,
      `disk size ${diskSizeBytes} is not a whole number (≥ 3) of ${sectorSizeBytes}-byte sectors`,
      'disk',
    );
  }
  const totalSectors = diskSizeBytes / sectorSizeBytes;
  const warnings: string[] = [];
  let chosen: CheckedHeader;
  let source: 'primary' | 'backup' = 'primary';
  try {
    chosen = readCopy(read, PRIMARY_HEADER_LBA, totalSectors, sectorSizeBytes, 'primary');
  } catch (primaryError) {
    if (!isCorruptTable(primaryError)) throw primaryError;
    try {
      chosen = readCopy(read, totalSectors - 1, totalSectors, sectorSizeBytes, 'backup');
    } catch (backupError) {
      if (isCorruptTable(backupError)) {
        primaryError.detail['backupError'] = backupError.message;
      }
      throw primaryError;
    }
    source = 'backup';
    warnings.push(`primary GPT is corrupt, using the backup: ${primaryError.message}`);
  }
  const h = chosen.header;
  if (source === 'primary') {
    if (h.backupLba !== totalSectors - 1) {
      warnings.push(`the backup GPT header is at LBA ${h.backupLba}, not at the disk's last LBA ${totalSectors - 1}`);
    }
    try {
      const backup = readCopy(read, h.backupLba, totalSectors, sectorSizeBytes, 'backup');
      if (backup.header.entriesCrc32 !== h.entriesCrc32 || backup.header.diskGuid !== h.diskGuid) {
        warnings.push('the backup GPT differs from the primary');
      }
    } catch (e) {
      if (!isCorruptTable(e)) throw e;
      warnings.push(`backup GPT is corrupt: ${e.message}`);
    }
  }
  const backupHeaderLba = source === 'primary' ? h.backupLba : h.currentLba;
  const arraySectors = entriesSectors(h.entryCount, h.entrySizeBytes, sectorSizeBytes);
  const geometry: GptGeometry = {
    entriesLba: source === 'primary' ? h.entriesLba : PRIMARY_HEADER_LBA + 1,
    entryCount: h.entryCount,
    entrySizeBytes: h.entrySizeBytes,
    firstUsableLba: h.firstUsableLba,
    lastUsableLba: h.lastUsableLba,
    backupEntriesLba: source === 'backup' ? h.entriesLba : backupHeaderLba - arraySectors,
    backupHeaderLba,
  };
  const partitions = decodeGptEntries(chosen.entries, h.entryCount, h.entrySizeBytes);
  checkPartitions(partitions, h);
  return { sectorSizeBytes, diskGuid: h.diskGuid, geometry, partitions, source, warnings };
}

function checkPartitions(partitions: readonly GptPartition[], h: GptHeader): void {
  for (const p of partitions) {
    const where = `GPT partition ${p.partitionNumber}`;
    if (p.firstLba > p.lastLba) {
      throw corruptTable(TableProblem.BadRange, `${where}: first LBA ${p.firstLba} is after last LBA ${p.lastLba}`, where);
    }
    if (p.firstLba < h.firstUsableLba || p.lastLba > h.lastUsableLba) {
      throw corruptTable(
        TableProblem.OutsideUsable,
        `${where}: LBA ${p.firstLba}..${p.lastLba} is outside the usable range ${h.firstUsableLba}..${h.lastUsableLba}`,
        where,
      );
    }
  }
  const sorted = [...partitions].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.firstLba <= a.lastLba) {
      throw corruptTable(
        TableProblem.Overlap,
        `GPT partition ${a.partitionNumber} (LBA ${a.firstLba}..${a.lastLba}) overlaps partition ${b.partitionNumber} (LBA ${b.firstLba}..${b.lastLba})`,
        `GPT partition ${b.partitionNumber}`,
      );
    }
  }
}

/**
 * The sector size a GPT was written for: the first of 512, 1024, 2048, 4096 at which "EFI PART"
 * sits (LBA 1), else undefined (no GPT, or only a backup is left).
 */
export function detectGptSectorSize(read: ReadBytes, diskSizeBytes: number): 512 | 1024 | 2048 | 4096 | undefined {
  for (const size of [512, 1024, 2048, 4096] as const) {
    if (diskSizeBytes < 2 * size) continue;
    const bytes = read(size, GPT_SIGNATURE.length);
    if (bytes.length === GPT_SIGNATURE.length && GPT_SIGNATURE.every((b, i) => bytes[i] === b)) return size;
  }
  return undefined;
}
