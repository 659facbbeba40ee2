/**
 * The 512-byte MBR / EBR sector: boot code, the 32-bit disk identifier, four 16-byte partition
 * records and the 0x55AA signature (UEFI 2.10 §5.2.1, table 5-1). An EBR has the same layout with only
 * the first two records used.
 */
import { encodeChs } from './chs.ts';

/** Byte offsets inside the MBR sector. */
export const MBR = { bootCode: 0, diskId: 440, reserved: 444, records: 446, signature: 510 } as const;
/** Byte offsets inside one 16-byte partition record. */
export const RECORD = { status: 0, chsFirst: 1, type: 4, chsLast: 5, firstLba: 8, sectorCount: 12 } as const;

export const MBR_SIZE_BYTES = 512;
export const RECORD_SIZE_BYTES = 16;
export const RECORD_COUNT = 4;
export const BOOT_CODE_SIZE_BYTES = MBR.diskId;
/** 0x55 at 510, 0xAA at 511: "boot signature" (read as little-endian 0xAA55). */
export const MBR_SIGNATURE = 0xaa55;
/** Status byte of a bootable ("active") record. */
export const STATUS_BOOTABLE = 0x80;
/** The GPT protective record's type (UEFI §5.2.3). */
export const TYPE_GPT_PROTECTIVE = 0xee;
/** Extended partition types: CHS (0x05, sfdisk's default), LBA (0x0F), Linux (0x85). */
export const EXTENDED_TYPES: readonly number[] = [0x05, 0x0f, 0x85];
/** The type libfdisk gives the link record of an EBR whatever the extended partition's type. */
export const TYPE_EBR_LINK = 0x05;
const LE = true;

/** One partition record as stored. LBAs are absolute for the MBR, relative in an EBR (see ebr.ts). */
export interface MbrRecord {
  status: number;
  type: number;
  firstLba: number;
  sectorCount: number;
  /** The 3 CHS bytes as stored (decode) or to store (encode; `makeRecord` computes them). */
  chsFirst: Uint8Array;
  chsLast: Uint8Array;
}

/** A record whose CHS fields address the absolute sectors `absFirstLba`..`absLastLba`. */
export function makeRecord(
  status: number,
  type: number,
  firstLba: number,
  sectorCount: number,
  absFirstLba: number,
  absLastLba: number,
): MbrRecord {
  return { status, type, firstLba, sectorCount, chsFirst: encodeChs(absFirstLba), chsLast: encodeChs(absLastLba) };
}

/** Encode a 512-byte MBR/EBR sector. `records` may hold fewer than four (the rest stay zero). */
export function encodeMbrSector(
  records: readonly (MbrRecord | undefined)[],
  diskId = 0,
  bootCode?: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(MBR_SIZE_BYTES);
  const view = new DataView(bytes.buffer);
  if (bootCode) bytes.set(bootCode.subarray(0, BOOT_CODE_SIZE_BYTES), MBR.bootCode);
  view.setUint32(MBR.diskId, diskId >>> 0, LE);
  records.forEach((r, i) => {
    if (!r) return;
    const at = MBR.records + i * RECORD_SIZE_BYTES;
    bytes[at + RECORD.status] = r.status;
    bytes.set(r.chsFirst, at + RECORD.chsFirst);
    bytes[at + RECORD.type] = r.type;
    bytes.set(r.chsLast, at + RECORD.chsLast);
    view.setUint32(at + RECORD.firstLba, r.firstLba, LE);
    view.setUint32(at + RECORD.sectorCount, r.sectorCount, LE);
  });
  view.setUint16(MBR.signature, MBR_SIGNATURE, LE);
  return bytes;
}

export interface DecodedMbrSector {
  signatureOk: boolean;
  diskId: number;
  /** Four records, `undefined` where the type byte is 0 (unused). */
  records: (MbrRecord | undefined)[];
}

export function decodeMbrSector(bytes: Uint8Array): DecodedMbrSector {
  const view = new DataView(bytes.buffer, bytes.byteOffset, MBR_SIZE_BYTES);
  const records: (MbrRecord | undefined)[] = [];
  for (let i = 0; i < RECORD_COUNT; i++) {
    const at = MBR.records + i * RECORD_SIZE_BYTES;
    const type = bytes[at + RECORD.type]!;
    records.push(
      type === 0
        ? undefined
        : {
            status: bytes[at + RECORD.status]!,
            type,
            firstLba: view.getUint32(at + RECORD.firstLba, LE),
            sectorCount: view.getUint32(at + RECORD.sectorCount, LE),
            chsFirst: bytes.slice(at + RECORD.chsFirst, at + RECORD.chsFirst + 3),
            chsLast: bytes.slice(at + RECORD.chsLast, at + RECORD.chsLast + 3),
          },
    );
  }
  return {
    signatureOk: view.getUint16(MBR.signature, LE) === MBR_SIGNATURE,
    diskId: view.getUint32(MBR.diskId, LE),
    records,
  };
}
