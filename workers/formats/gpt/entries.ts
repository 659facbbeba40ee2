/**
 * The GPT partition entry array (UEFI 2.10 §5.3.3, table 5-6): `entryCount` entries of `entrySizeBytes`
 * (128 × 2^n); an entry whose type GUID is all zero is unused.
 */
import { decodeGuid, encodeGuid, ZERO_GUID } from '../guid.ts';
import { invalidTable } from '../table-region.ts';

/** Byte offsets inside one partition entry. */
const ENTRY = { typeGuid: 0, uniqueGuid: 16, firstLba: 32, lastLba: 40, attributes: 48, name: 56 } as const;
const LE = true;

/** The entry size UEFI defines and every tool writes; larger entries must be 128 × 2^n (§5.3.2). */
export const GPT_ENTRY_SIZE_BYTES = 128;
/** Room for the name: 72 bytes of UTF-16LE = 36 code units (§5.3.3). */
export const GPT_NAME_UNITS = 36;
/** The entry count fresh tables get (sfdisk, sgdisk, repart): a 16 KiB array. */
export const GPT_DEFAULT_ENTRY_COUNT = 128;

export interface GptPartition {
  /** 1-based: the entry's index in the array + 1. */
  partitionNumber: number;
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
  /** The 64-bit attribute field (bit 0 required, 2 legacy-BIOS-bootable, 48–63 type-specific). */
  attributes: bigint;
  /** Up to 36 UTF-16 code units. */
  name: string;
}

/** True when `n` is 128 × 2^k. */
export function isValidEntrySize(n: number): boolean {
  return n >= GPT_ENTRY_SIZE_BYTES && Number.isInteger(n) && (n & (n - 1)) === 0;
}

/** The entry array (entryCount × entrySizeBytes bytes) holding `partitions` at their numbers' slots. */
export function encodeGptEntries(
  partitions: readonly GptPartition[],
  entryCount: number,
  entrySizeBytes: number,
): Uint8Array {
  const bytes = new Uint8Array(entryCount * entrySizeBytes);
  const view = new DataView(bytes.buffer);
  for (const p of partitions) {
    const where = `partition ${p.partitionNumber}`;
    if (!Number.isInteger(p.partitionNumber) || p.partitionNumber < 1 || p.partitionNumber > entryCount) {
      throw invalidTable(`${where}: number is outside 1..${entryCount} (the entry count)`, where);
    }
    if (p.name.length > GPT_NAME_UNITS) {
      throw invalidTable(`${where}: name "${p.name}" is ${p.name.length} UTF-16 code units, at most ${GPT_NAME_UNITS} fit`, where);
    }
    if (p.attributes < 0n || p.attributes > 0xffff_ffff_ffff_ffffn) {
      throw invalidTable(`${where}: attributes 0x${p.attributes.toString(16)} do not fit in 64 bits`, where);
    }
    const at = (p.partitionNumber - 1) * entrySizeBytes;
    bytes.set(encodeGuid(p.typeGuid), at + ENTRY.typeGuid);
    bytes.set(encodeGuid(p.uniqueGuid), at + ENTRY.uniqueGuid);
    view.setBigUint64(at + ENTRY.firstLba, BigInt(p.firstLba), LE);
    view.setBigUint64(at + ENTRY.lastLba, BigInt(p.lastLba), LE);
    view.setBigUint64(at + ENTRY.attributes, p.attributes, LE);
    for (let i = 0; i < p.name.length; i++) view.setUint16(at + ENTRY.name + 2 * i, p.name.charCodeAt(i), LE);
  }
  return bytes;
}

/** The used entries of an array, in array order. Range checks are the caller's (see index.ts). */
export function decodeGptEntries(bytes: Uint8Array, entryCount: number, entrySizeBytes: number): GptPartition[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const partitions: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const at = i * entrySizeBytes;
    const typeGuid = decodeGuid(bytes, at + ENTRY.typeGuid);
    if (typeGuid === ZERO_GUID) continue;
    let name = '';
    for (let u = 0; u < GPT_NAME_UNITS; u++) {
      const unit = view.getUint16(at + ENTRY.name + 2 * u, LE);
      if (unit === 0) break;
      name += String.fromCharCode(unit);
    }
    partitions.push({
      partitionNumber: i + 1,
      typeGuid,
      uniqueGuid: decodeGuid(bytes, at + ENTRY.uniqueGuid),
      // LBAs past 2^53 are absurd for a disk; clamp through Number and let the range checks reject them.
      firstLba: Number(view.getBigUint64(at + ENTRY.firstLba, LE)),
      lastLba: Number(view.getBigUint64(at + ENTRY.lastLba, LE)),
      attributes: view.getBigUint64(at + ENTRY.attributes, LE),
      name,
    });
  }
  return partitions;
}
