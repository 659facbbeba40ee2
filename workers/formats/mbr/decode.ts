/** Read an MBR back: primary records, the EBR chain's logical partitions, and which kind of MBR it is. */
import { corruptTable, readExactly, TableProblem, type ReadBytes } from '../table-region.ts';
import {
  decodeMbrSector,
  EXTENDED_TYPES,
  MBR_SIZE_BYTES,
  STATUS_BOOTABLE,
  TYPE_GPT_PROTECTIVE,
} from './sector.ts';

/** Stop following a chain after this many EBRs (Linux's msdos.c stops far earlier). */
const MAX_LOGICAL = 4096;

export interface MbrPartition {
  /** 1–4 for primary records (their slot), 5, 6, … for logical partitions in chain order. */
  partitionNumber: number;
  bootable: boolean;
  type: number;
  /** Absolute. */
  firstLba: number;
  sectorCount: number;
  chsFirst: Uint8Array;
  chsLast: Uint8Array;
}

export interface MbrLogicalPartition extends MbrPartition {
  /** The EBR that describes this partition. */
  ebrLba: number;
}

/** `protective`: one 0xEE record (a GPT follows); `hybrid`: 0xEE plus records mirroring GPT partitions. */
export type MbrKind = 'mbr' | 'protective' | 'hybrid';

export interface DecodedMbr {
  kind: MbrKind;
  diskId: number;
  /** Used primary records, in slot order (the 0xEE record included for protective/hybrid). */
  primary: MbrPartition[];
  logical: MbrLogicalPartition[];
}

/** Tell protective from hybrid from classic by the records alone. */
export function mbrKind(primary: readonly { type: number }[]): MbrKind {
  if (!primary.some((p) => p.type === TYPE_GPT_PROTECTIVE)) return 'mbr';
  return primary.length === 1 ? 'protective' : 'hybrid';
}

interface Span {
  name: string;
  firstLba: number;
  lastLba: number;
}

function span(name: string, p: { firstLba: number; sectorCount: number }): Span {
  return { name, firstLba: p.firstLba, lastLba: p.firstLba + p.sectorCount - 1 };
}

function checkOverlap(spans: readonly Span[]): void {
  const sorted = [...spans].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.firstLba <= a.lastLba) {
      throw corruptTable(
        TableProblem.Overlap,
        `MBR ${a.name} (LBA ${a.firstLba}..${a.lastLba}) overlaps ${b.name} (LBA ${b.firstLba}..${b.lastLba})`,
        `MBR ${b.name}`,
      );
    }
  }
}

/**
 * Decode the MBR of a disk of `diskSizeBytes`. Throws `corrupt-table` (with `detail.problem`) for a
 * missing 0x55AA signature (MBR or EBR), overlapping partitions, partitions past the disk's end, a
 * logical partition outside its extended partition and EBR chains that loop.
 */
export function decodeMbr(read: ReadBytes, diskSizeBytes: number, sectorSizeBytes: number): DecodedMbr {
  const totalSectors = Math.floor(diskSizeBytes / sectorSizeBytes);
  const sector = decodeMbrSector(readExactly(read, 0, MBR_SIZE_BYTES, 'MBR'));
  if (!sector.signatureOk) {
    throw corruptTable(TableProblem.BadSignature, 'MBR: no 0x55AA boot signature at bytes 510–511', 'MBR');
  }
  const primary: MbrPartition[] = [];
  sector.records.forEach((r, i) => {
    if (!r) return;
    primary.push({
      partitionNumber: i + 1,
      bootable: r.status === STATUS_BOOTABLE,
      type: r.type,
      firstLba: r.firstLba,
      sectorCount: r.sectorCount,
      chsFirst: r.chsFirst,
      chsLast: r.chsLast,
    });
  });
  const kind = mbrKind(primary);
  const spans: Span[] = [];
  let extended: MbrPartition | undefined;
  for (const p of primary) {
    // The 0xEE record may cover more than the disk (a GPT disk copied to a smaller one still has a
    // valid GPT to report on; its own checks say what is wrong), so it is not range-checked.
    if (p.type === TYPE_GPT_PROTECTIVE) continue;
    const s = span(`partition ${p.partitionNumber}`, p);
    if (p.sectorCount === 0 || s.lastLba >= totalSectors) {
      throw corruptTable(
        TableProblem.PastEnd,
        `MBR partition ${p.partitionNumber}: LBA ${p.firstLba} + ${p.sectorCount} sectors is empty or past the disk's end (${totalSectors} sectors)`,
        `MBR partition ${p.partitionNumber}`,
      );
    }
    spans.push(s);
    if (EXTENDED_TYPES.includes(p.type) && !extended) extended = p;
  }
  checkOverlap(spans);
  const logical = extended ? readChain(read, extended, sectorSizeBytes) : [];
  checkOverlap(logical.map((l) => span(`partition ${l.partitionNumber}`, l)));
  return { kind, diskId: sector.diskId, primary, logical };
}

function readChain(read: ReadBytes, ext: MbrPartition, sectorSizeBytes: number): MbrLogicalPartition[] {
  const extLast = ext.firstLba + ext.sectorCount - 1;
  const seen = new Set<number>();
  const logical: MbrLogicalPartition[] = [];
  let ebrLba: number | undefined = ext.firstLba;
  while (ebrLba !== undefined) {
    const number = 5 + logical.length;
    const where = `EBR at LBA ${ebrLba}`;
    if (seen.has(ebrLba) || logical.length >= MAX_LOGICAL) {
      throw corruptTable(TableProblem.EbrLoop, `${where}: the EBR chain comes back to an EBR it already visited`, where);
    }
    seen.add(ebrLba);
    const ebr = decodeMbrSector(readExactly(read, ebrLba * sectorSizeBytes, MBR_SIZE_BYTES, where));
    if (!ebr.signatureOk) {
      throw corruptTable(TableProblem.BadSignature, `${where}: no 0x55AA signature`, where);
    }
    const [entry, link] = ebr.records;
    if (entry) {
      const firstLba = ebrLba + entry.firstLba;
      const lastLba = firstLba + entry.sectorCount - 1;
      if (entry.sectorCount === 0 || firstLba <= ebrLba || lastLba > extLast) {
        throw corruptTable(
          TableProblem.OutsideExtended,
          `${where}: logical partition ${number} (LBA ${firstLba}..${lastLba}) is outside the extended partition ${ext.firstLba}..${extLast}`,
          where,
        );
      }
      logical.push({
        partitionNumber: number,
        bootable: entry.status === STATUS_BOOTABLE,
        type: entry.type,
        firstLba,
        sectorCount: entry.sectorCount,
        chsFirst: entry.chsFirst,
        chsLast: entry.chsLast,
        ebrLba,
      });
    }
    if (link && EXTENDED_TYPES.includes(link.type)) {
      const next = ext.firstLba + link.firstLba;
      if (next > extLast) {
        throw corruptTable(
          TableProblem.OutsideExtended,
          `${where}: next EBR at LBA ${next} is outside the extended partition ${ext.firstLba}..${extLast}`,
          where,
        );
      }
      ebrLba = next;
    } else {
      ebrLba = undefined;
    }
  }
  return logical;
}
