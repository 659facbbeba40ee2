/**
 * Encode a classic MBR: disk identifier, up to four primary records, and logical partitions in a
 * chain of EBRs inside an extended partition, laid out as libfdisk (sfdisk 2.38) writes them.
 *
 * EBR chain (checked against sfdisk): the first EBR is the extended partition's first sector; the
 * k-th EBR's first record is its logical partition, its start relative to that EBR; the second record
 * (type 0x05 whatever the extended type) links to the next EBR, its start relative to the extended
 * partition's start and its size running from the next EBR to the end of the next logical partition.
 * CHS fields always hold absolute addresses. sfdisk puts each later EBR one alignment grain (1 MiB)
 * before its logical partition; that is the default here when there is room.
 */
import { checkSectorSize, invalidTable, type TableRegion } from '../table-region.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import {
  encodeMbrSector,
  EXTENDED_TYPES,
  makeRecord,
  STATUS_BOOTABLE,
  TYPE_EBR_LINK,
  TYPE_GPT_PROTECTIVE,
  BOOT_CODE_SIZE_BYTES,
  type MbrRecord,
} from './sector.ts';

/** libfdisk's alignment grain: logical partitions start 1 MiB after their EBR. */
const EBR_GAP_BYTES = 1024 * 1024;
/** Record LBAs and counts are 32-bit. */
const MAX_32 = 0xffff_ffff;

export interface MbrPartitionInput {
  /** Record slot 1–4 (default: position in the list + 1). */
  partitionNumber?: number;
  bootable?: boolean;
  /** Type byte: 0x0C FAT32 LBA, 0x83 Linux, 0xEF EFI System, 0x05/0x0F extended, … */
  type: number;
  firstLba: number;
  sectorCount: number;
}

export interface MbrLogicalInput {
  bootable?: boolean;
  type: number;
  firstLba: number;
  sectorCount: number;
  /** Where this partition's EBR goes (default: see the module comment). */
  ebrLba?: number;
}

export interface MbrTable {
  /** The 32-bit disk identifier at byte 440 (`label-id:` in sfdisk). */
  diskId: number;
  sectorSizeBytes: number;
  diskSizeBytes: number;
  primary: readonly MbrPartitionInput[];
  /** Partitions 5, 6, …: need a primary record of an extended type (0x05, 0x0F or 0x85) holding them. */
  logical?: readonly MbrLogicalInput[];
  /** Up to 440 bytes of boot code. */
  bootCode?: Uint8Array;
}

interface Span {
  name: string;
  firstLba: number;
  lastLba: number;
}

function checkRange(name: string, firstLba: number, sectorCount: number, totalSectors: number): Span {
  if (!Number.isInteger(firstLba) || !Number.isInteger(sectorCount) || firstLba < 1 || sectorCount < 1) {
    throw invalidTable(`${name}: start ${firstLba} / ${sectorCount} sectors is not a valid range`, name);
  }
  if (firstLba + sectorCount > totalSectors) {
    throw invalidTable(`${name}: LBA ${firstLba}..${firstLba + sectorCount - 1} is past the disk's end (${totalSectors} sectors)`, name);
  }
  if (firstLba > MAX_32 || sectorCount > MAX_32) {
    throw invalidTable(`${name}: LBA ${firstLba} / ${sectorCount} sectors does not fit an MBR's 32-bit fields`, name);
  }
  return { name, firstLba, lastLba: firstLba + sectorCount - 1 };
}

function checkNoOverlap(spans: readonly Span[]): void {
  const sorted = [...spans].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.firstLba <= a.lastLba) {
      throw new PartwrightError(
        ErrorCode.Overlap,
        `${a.name} (LBA ${a.firstLba}..${a.lastLba}) overlaps ${b.name} (LBA ${b.firstLba}..${b.lastLba})`,
        { where: b.name },
      );
    }
  }
}

function checkType(name: string, type: number): void {
  if (!Number.isInteger(type) || type < 1 || type > 0xff) {
    throw invalidTable(`${name}: type 0x${type.toString(16)} is not a non-zero byte`, name);
  }
}

function checkBootCode(bootCode: Uint8Array | undefined): void {
  if (bootCode && bootCode.length > BOOT_CODE_SIZE_BYTES) {
    throw invalidTable(`boot code is ${bootCode.length} bytes, at most ${BOOT_CODE_SIZE_BYTES} fit before the disk identifier`, 'mbr');
  }
}

/** Place each primary at its slot; throws on duplicate or out-of-range slots. */
export function primarySlots<T extends { partitionNumber?: number }>(entries: readonly T[], slots = 4): (T | undefined)[] {
  if (entries.length > slots) throw invalidTable(`${entries.length} primary partitions, at most ${slots} fit`, 'mbr');
  const out: (T | undefined)[] = [undefined, undefined, undefined, undefined];
  entries.forEach((e, i) => {
    const n = e.partitionNumber ?? i + 1;
    if (!Number.isInteger(n) || n < 1 || n > 4 || out[n - 1]) {
      throw invalidTable(`primary partition number ${n} is not a free slot 1–4`, `partition ${n}`);
    }
    out[n - 1] = e;
  });
  return out;
}

/** The regions of an MBR: the MBR sector (512 bytes at 0) and one 512-byte EBR per logical partition. */
export function encodeMbr(table: MbrTable): TableRegion[] {
  checkSectorSize(table.sectorSizeBytes, 'mbr');
  checkBootCode(table.bootCode);
  const s = table.sectorSizeBytes;
  if (!Number.isInteger(table.diskSizeBytes) || table.diskSizeBytes % s !== 0) {
    throw invalidTable(`disk size ${table.diskSizeBytes} is not a multiple of the ${s}-byte sector`, 'mbr');
  }
  if (!Number.isInteger(table.diskId) || table.diskId < 0 || table.diskId > MAX_32) {
    throw invalidTable(`disk identifier ${table.diskId} is not a 32-bit number`, 'mbr.diskId');
  }
  const totalSectors = table.diskSizeBytes / s;
  const slots = primarySlots(table.primary);
  const logical = table.logical ?? [];
  const spans: Span[] = [];
  let extended: (Span & { index: number }) | undefined;
  const records: (MbrRecord | undefined)[] = slots.map((p, i) => {
    if (!p) return undefined;
    const name = `partition ${i + 1}`;
    checkType(name, p.type);
    if (p.type === TYPE_GPT_PROTECTIVE) throw invalidTable(`${name}: type 0xEE belongs to GPT; write a GPT or hybrid table`, name);
    const span = checkRange(name, p.firstLba, p.sectorCount, totalSectors);
    if (EXTENDED_TYPES.includes(p.type)) {
      if (extended) throw invalidTable(`${name}: a second extended partition (the first is ${extended.name})`, name);
      extended = { ...span, index: i };
    } else {
      spans.push(span);
    }
    return makeRecord(p.bootable ? STATUS_BOOTABLE : 0, p.type, p.firstLba, p.sectorCount, span.firstLba, span.lastLba);
  });
  if (extended) spans.push(extended);
  checkNoOverlap(spans);
  const regions: TableRegion[] = [
    { kind: 'mbr', offsetBytes: 0, bytes: encodeMbrSector(records, table.diskId, table.bootCode) },
  ];
  if (logical.length > 0 && !extended) {
    throw invalidTable(`${logical.length} logical partitions but no extended partition (type 0x05/0x0F) to hold them`, 'mbr');
  }
  if (extended) regions.push(...encodeEbrChain(extended, logical, s));
  return regions;
}

/** The EBRs for `logical` (sorted by start) inside the extended partition `ext`. */
function encodeEbrChain(ext: Span, logical: readonly MbrLogicalInput[], sectorSizeBytes: number): TableRegion[] {
  const gapSectors = EBR_GAP_BYTES / sectorSizeBytes;
  const sorted = [...logical].sort((a, b) => a.firstLba - b.firstLba);
  const placed: { p: MbrLogicalInput; span: Span; ebrLba: number }[] = [];
  let previousEnd = ext.firstLba - 1;
  sorted.forEach((p, i) => {
    const name = `partition ${i + 5}`;
    checkType(name, p.type);
    const span = checkRange(name, p.firstLba, p.sectorCount, Number.MAX_SAFE_INTEGER);
    if (span.firstLba < ext.firstLba || span.lastLba > ext.lastLba) {
      throw invalidTable(`${name}: LBA ${span.firstLba}..${span.lastLba} is outside the extended partition ${ext.firstLba}..${ext.lastLba}`, name);
    }
    if (span.firstLba <= previousEnd && i > 0) {
      throw new PartwrightError(ErrorCode.Overlap, `${name} (LBA ${span.firstLba}..${span.lastLba}) overlaps partition ${i + 4} (ends at LBA ${previousEnd})`, { where: name });
    }
    const ebrLba = p.ebrLba ?? (i === 0 ? ext.firstLba : Math.max(previousEnd + 1, span.firstLba - gapSectors));
    if (i === 0 && ebrLba !== ext.firstLba) {
      throw invalidTable(`${name}: the first EBR must be the extended partition's first sector ${ext.firstLba}, not ${ebrLba}`, name);
    }
    if (ebrLba <= previousEnd || ebrLba >= span.firstLba) {
      throw invalidTable(`${name}: its EBR at LBA ${ebrLba} must lie after LBA ${previousEnd} and before the partition's start ${span.firstLba}`, name);
    }
    placed.push({ p, span, ebrLba });
    previousEnd = span.lastLba;
  });
  if (placed.length === 0) {
    // An extended partition without logical ones: an empty EBR ends the chain at once.
    return [{ kind: 'ebr', offsetBytes: ext.firstLba * sectorSizeBytes, bytes: encodeMbrSector([]) }];
  }
  return placed.map(({ p, span, ebrLba }, i) => {
    const logicalRecord = makeRecord(
      p.bootable ? STATUS_BOOTABLE : 0,
      p.type,
      span.firstLba - ebrLba,
      p.sectorCount,
      span.firstLba,
      span.lastLba,
    );
    const next = placed[i + 1];
    const link = next
      ? makeRecord(0, TYPE_EBR_LINK, next.ebrLba - ext.firstLba, next.span.lastLba - next.ebrLba + 1, next.ebrLba, next.span.lastLba)
      : undefined;
    return { kind: 'ebr' as const, offsetBytes: ebrLba * sectorSizeBytes, bytes: encodeMbrSector([logicalRecord, link]) };
  });
}

export interface HybridMbrTable {
  diskId: number;
  sectorSizeBytes: number;
  diskSizeBytes: number;
  /** 1–3 GPT partitions mirrored into the MBR, in record order. */
  mirrored: readonly Omit<MbrPartitionInput, 'partitionNumber'>[];
  /**
   * Put the 0xEE record first (sgdisk --hybrid's default) instead of after the mirrored ones (sgdisk
   * `--hybrid …:EE`; what a Raspberry Pi needs: its FAT partition in the first record).
   */
  protectiveFirst?: boolean;
  bootCode?: Uint8Array;
}

/**
 * A hybrid MBR as GPT fdisk makes it (checked against sgdisk 1.0.9 `--hybrid`): the mirrored records,
 * and a 0xEE record (status 0) from LBA 1 to the sector before the first mirrored partition, its CHS
 * computed like any other record. Write it with `encodeGpt({ …, protectiveMbr: false })`.
 */
export function encodeHybridMbr(table: HybridMbrTable): TableRegion {
  checkSectorSize(table.sectorSizeBytes, 'mbr');
  checkBootCode(table.bootCode);
  const totalSectors = table.diskSizeBytes / table.sectorSizeBytes;
  if (table.mirrored.length < 1 || table.mirrored.length > 3) {
    throw invalidTable(`a hybrid MBR mirrors 1 to 3 partitions, not ${table.mirrored.length}`, 'mbr');
  }
  const spans: Span[] = [];
  const mirrored = table.mirrored.map((p, i) => {
    const name = `hybrid MBR partition ${i + 1}`;
    checkType(name, p.type);
    if (p.type === TYPE_GPT_PROTECTIVE || EXTENDED_TYPES.includes(p.type)) {
      throw invalidTable(`${name}: type 0x${p.type.toString(16)} cannot be mirrored`, name);
    }
    const span = checkRange(name, p.firstLba, p.sectorCount, totalSectors);
    spans.push(span);
    return makeRecord(p.bootable ? STATUS_BOOTABLE : 0, p.type, p.firstLba, p.sectorCount, span.firstLba, span.lastLba);
  });
  checkNoOverlap(spans);
  const protectiveEnd = Math.min(...spans.map((x) => x.firstLba)) - 1;
  if (protectiveEnd < 1) throw invalidTable('a mirrored partition starts at LBA 1, leaving no room for the 0xEE record', 'mbr');
  const protective = makeRecord(0, TYPE_GPT_PROTECTIVE, 1, protectiveEnd, 1, protectiveEnd);
  const records = table.protectiveFirst ? [protective, ...mirrored] : [...mirrored, protective];
  return { kind: 'mbr', offsetBytes: 0, bytes: encodeMbrSector(records, table.diskId, table.bootCode) };
}
