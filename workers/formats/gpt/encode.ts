/** Encode a whole GPT: protective MBR, primary header and entries, backup entries and header. */
import { crc32 } from '../crc32.ts';
import { normalizeGuidText } from '../guid.ts';
import { invalidTable, type TableRegion } from '../table-region.ts';
import { encodeGptEntries, type GptPartition } from './entries.ts';
import { resolveGptGeometry, PRIMARY_HEADER_LBA, type GptGeometry, type GptGeometryOptions } from './geometry.ts';
import { encodeGptHeader, GPT_HEADER_SIZE_BYTES, GPT_REVISION } from './header.ts';
import { encodeProtectiveMbr } from './protective-mbr.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** A partition to write; `partitionNumber` defaults to its position in the list + 1. */
export type GptPartitionInput = Omit<GptPartition, 'partitionNumber' | 'attributes' | 'name'> & {
  partitionNumber?: number;
  attributes?: bigint;
  name?: string;
};

export interface GptTable extends GptGeometryOptions {
  diskGuid: string;
  partitions: readonly GptPartitionInput[];
  /** Write the protective MBR at LBA 0 (default true). Off when a hybrid MBR is written instead. */
  protectiveMbr?: boolean;
  /** Up to 440 bytes of boot code for the protective MBR. */
  bootCode?: Uint8Array;
}

/** The partitions with numbers, attributes and names filled in and GUIDs normalised. */
export function normalizeGptPartitions(partitions: readonly GptPartitionInput[]): GptPartition[] {
  return partitions.map((p, i) => ({
    partitionNumber: p.partitionNumber ?? i + 1,
    typeGuid: normalizeGuidText(p.typeGuid),
    uniqueGuid: normalizeGuidText(p.uniqueGuid),
    firstLba: p.firstLba,
    lastLba: p.lastLba,
    attributes: p.attributes ?? 0n,
    name: p.name ?? '',
  }));
}

/** Check that partitions are inside the usable range, do not overlap and have distinct numbers. */
export function validateGptPartitions(partitions: readonly GptPartition[], g: GptGeometry): void {
  const numbers = new Set<number>();
  for (const p of partitions) {
    const where = `partition ${p.partitionNumber}`;
    if (numbers.has(p.partitionNumber)) throw invalidTable(`${where}: number used twice`, where);
    numbers.add(p.partitionNumber);
    if (!Number.isInteger(p.firstLba) || !Number.isInteger(p.lastLba) || p.firstLba > p.lastLba) {
      throw invalidTable(`${where}: LBA range ${p.firstLba}..${p.lastLba} is empty or not whole sectors`, where);
    }
    if (p.firstLba < g.firstUsableLba || p.lastLba > g.lastUsableLba) {
      throw invalidTable(
        `${where}: LBA ${p.firstLba}..${p.lastLba} is outside the usable range ${g.firstUsableLba}..${g.lastUsableLba}`,
        where,
      );
    }
  }
  const sorted = [...partitions].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.firstLba <= a.lastLba) {
      throw new PartwrightError(
        ErrorCode.Overlap,
        `partition ${a.partitionNumber} (LBA ${a.firstLba}..${a.lastLba}) overlaps partition ${b.partitionNumber} (LBA ${b.firstLba}..${b.lastLba})`,
        { where: `partition ${b.partitionNumber}` },
      );
    }
  }
}

/**
 * The byte regions of a GPT, in disk order: protective MBR (512 bytes at 0, unless turned off),
 * primary header (one sector at LBA 1), primary entries, backup entries, backup header.
 */
export function encodeGpt(table: GptTable): TableRegion[] {
  const g = resolveGptGeometry(table);
  const s = table.sectorSizeBytes;
  const totalSectors = table.diskSizeBytes / s;
  const partitions = normalizeGptPartitions(table.partitions);
  validateGptPartitions(partitions, g);
  const entries = encodeGptEntries(partitions, g.entryCount, g.entrySizeBytes);
  const entriesCrc32 = crc32(entries);
  // The array padded to whole sectors (the padding is zero, outside the CRC).
  const entriesSector = new Uint8Array(Math.ceil(entries.length / s) * s);
  entriesSector.set(entries);
  const header = {
    revision: GPT_REVISION,
    headerSizeBytes: GPT_HEADER_SIZE_BYTES,
    firstUsableLba: g.firstUsableLba,
    lastUsableLba: g.lastUsableLba,
    diskGuid: normalizeGuidText(table.diskGuid),
    entryCount: g.entryCount,
    entrySizeBytes: g.entrySizeBytes,
    entriesCrc32,
  };
  const primary = encodeGptHeader(
    { ...header, currentLba: PRIMARY_HEADER_LBA, backupLba: g.backupHeaderLba, entriesLba: g.entriesLba },
    s,
  );
  const backup = encodeGptHeader(
    { ...header, currentLba: g.backupHeaderLba, backupLba: PRIMARY_HEADER_LBA, entriesLba: g.backupEntriesLba },
    s,
  );
  const regions: TableRegion[] = [];
  if (table.protectiveMbr ?? true) {
    regions.push({ kind: 'mbr', offsetBytes: 0, bytes: encodeProtectiveMbr(totalSectors, table.bootCode) });
  }
  regions.push(
    { kind: 'gpt-header', offsetBytes: PRIMARY_HEADER_LBA * s, bytes: primary },
    { kind: 'gpt-entries', offsetBytes: g.entriesLba * s, bytes: entriesSector },
    { kind: 'gpt-backup-entries', offsetBytes: g.backupEntriesLba * s, bytes: entriesSector },
    { kind: 'gpt-backup-header', offsetBytes: g.backupHeaderLba * s, bytes: backup },
  );
  return regions;
}
