/**
 * What the table writers return and the readers take: byte regions at absolute disk offsets, a read
 * callback, and the coded errors a corrupt table gives. Shared by `gpt/` and `mbr/`.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

/** Which structure a region holds (the same names as the planner's `ReservedArea.kind`). */
export type TableRegionKind =
  | 'mbr'
  | 'gpt-header'
  | 'gpt-entries'
  | 'gpt-backup-entries'
  | 'gpt-backup-header'
  | 'ebr';

/** Bytes to write at an absolute offset from the start of the disk. */
export interface TableRegion {
  kind: TableRegionKind;
  offsetBytes: number;
  bytes: Uint8Array;
}

/** Reads `sizeBytes` bytes at `offsetBytes` of the disk (a hole reads as zeros). */
export type ReadBytes = (offsetBytes: number, sizeBytes: number) => Uint8Array;

/** The sector sizes Partwright writes tables for. */
export const SECTOR_SIZES = [512, 1024, 2048, 4096] as const;

/**
 * Stable names for what is wrong with a table, carried in `PartwrightError.detail.problem` next to
 * `code: 'corrupt-table'` so callers and tests can tell the cases apart without parsing messages.
 */
export const TableProblem = {
  BadSignature: 'bad-signature',
  BadHeaderSize: 'bad-header-size',
  HeaderCrc: 'header-crc',
  EntriesCrc: 'entries-crc',
  EntrySize: 'entry-size',
  EntryCount: 'entry-count',
  MyLba: 'my-lba',
  AlternateLba: 'alternate-lba',
  UsableRange: 'usable-range',
  EntriesLocation: 'entries-location',
  Truncated: 'truncated',
  Overlap: 'overlap',
  OutsideUsable: 'outside-usable',
  BadRange: 'bad-range',
  PastEnd: 'past-end',
  EbrLoop: 'ebr-loop',
  OutsideExtended: 'outside-extended',
  BadDiskSize: 'bad-disk-size',
} as const;
export type TableProblem = (typeof TableProblem)[keyof typeof TableProblem];

/** A `corrupt-table` error: `message` says what is wrong and where. */
export function corruptTable(problem: TableProblem, message: string, where: string): PartwrightError {
  return new PartwrightError(ErrorCode.CorruptTable, message, { where, problem });
}

/** An error in a table the caller asked to encode (a bug in the plan, not in a disk). */
export function invalidTable(message: string, where: string): PartwrightError {
  return new PartwrightError(ErrorCode.InvalidSpec, message, { where });
}

/** Read exactly `sizeBytes`, failing with `truncated` when the callback returns less. */
export function readExactly(read: ReadBytes, offsetBytes: number, sizeBytes: number, where: string): Uint8Array {
  const bytes = read(offsetBytes, sizeBytes);
  if (bytes.length < sizeBytes) {
    throw corruptTable(
      TableProblem.Truncated,
      `${where}: wanted ${sizeBytes} bytes at offset ${offsetBytes}, the image has only ${bytes.length} there (truncated image?)`,
      where,
    );
  }
  return bytes.length === sizeBytes ? bytes : bytes.subarray(0, sizeBytes);
}

/** A read callback over bytes in memory (tests, small images). Bytes past the end read as nothing. */
export function readFromBytes(image: Uint8Array): ReadBytes {
  return (offsetBytes, sizeBytes) => image.subarray(offsetBytes, Math.min(image.length, offsetBytes + sizeBytes));
}

/** Lay regions into one buffer of `sizeBytes` (tests and small images). */
export function regionsToBytes(regions: readonly TableRegion[], sizeBytes: number): Uint8Array {
  const image = new Uint8Array(sizeBytes);
  for (const r of regions) image.set(r.bytes, r.offsetBytes);
  return image;
}

export function checkSectorSize(sectorSizeBytes: number, where: string): void {
  if (!(SECTOR_SIZES as readonly number[]).includes(sectorSizeBytes)) {
    throw invalidTable(`sector size ${sectorSizeBytes} is not supported (512, 1024, 2048 or 4096)`, where);
  }
}
