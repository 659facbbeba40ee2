/**
 * El Torito 1.0 (Phoenix/IBM, 1995): the boot catalog (validation entry, initial/default entry,
 * section headers and entries) and the boot information table isolinux expects (mkisofs
 * `-boot-info-table`, documented in syslinux's isolinux.asm and genisoimage(1)).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { SECTOR_BYTES } from './volume-descriptor.ts';

export const CATALOG_ENTRY_BYTES = 32;
/** Platform IDs (El Torito §2.1; 0xEF added by UEFI 2.x §13.3.2.1). */
export const PLATFORM = { x86: 0x00, powerPc: 0x01, mac: 0x02, efi: 0xef } as const;
/** Byte offsets inside the validation entry (El Torito §2.1, figure 2). */
const VALIDATION = { headerId: 0, platformId: 1, idString: 4, checksum: 28, key55: 30, keyAA: 31 } as const;
/** Byte offsets inside the initial/default entry and section entries (§2.2, §2.4; figures 3 and 5). */
const ENTRY = { bootIndicator: 0, mediaType: 1, loadSegment: 2, systemType: 4, sectorCount: 6, loadRba: 8, selectionCriteria: 12 } as const;
/** Byte offsets inside a section header (§2.3, figure 4). */
const SECTION = { indicator: 0, platformId: 1, entryCount: 2, idString: 4 } as const;
const HEADER_ID = 0x01;
const BOOTABLE = 0x88;
const NOT_BOOTABLE = 0x00;
const SECTION_MORE = 0x90;
const SECTION_FINAL = 0x91;
/** Boot media type 0: no emulation (§2.2). */
export const MEDIA_NO_EMULATION = 0;
/** The 16-bit load size counts 512-byte virtual sectors. */
export const VIRTUAL_SECTOR_BYTES = 512;
const MAX_SECTOR_COUNT = 0xffff;

export interface BootCatalogEntry {
  platformId: number;
  /** Load RBA: the image's first 2048-byte block. */
  loadLba: number;
  /** 512-byte sectors the BIOS loads (isolinux: 4). */
  sectorCount: number;
  mediaType?: number;
  loadSegment?: number;
  systemType?: number;
  bootable?: boolean;
}

/**
 * The catalog: the first entry is the default one and the validation entry carries its platform;
 * each later entry gets its own section header (the last one 0x91), as xorriso writes it.
 */
export function encodeBootCatalog(entries: readonly BootCatalogEntry[]): Uint8Array {
  if (entries.length === 0) throw new PartwrightError(ErrorCode.InvalidSpec, 'An El Torito boot catalog needs at least one boot entry.');
  const maxEntries = SECTOR_BYTES / CATALOG_ENTRY_BYTES / 2;
  if (entries.length > maxEntries) throw new PartwrightError(ErrorCode.InvalidSpec, `At most ${maxEntries} El Torito boot entries fit one catalog sector.`);
  const bytes = new Uint8Array(SECTOR_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[VALIDATION.headerId] = HEADER_ID;
  bytes[VALIDATION.platformId] = entries[0]!.platformId;
  bytes[VALIDATION.key55] = 0x55;
  bytes[VALIDATION.keyAA] = 0xaa;
  // §2.1: the 16-bit little-endian words of the validation entry sum to zero.
  let sum = 0;
  for (let i = 0; i < CATALOG_ENTRY_BYTES; i += 2) sum = (sum + view.getUint16(i, true)) & 0xffff;
  view.setUint16(VALIDATION.checksum, (0x10000 - sum) & 0xffff, true);
  encodeEntry(bytes, CATALOG_ENTRY_BYTES, entries[0]!);
  let at = 2 * CATALOG_ENTRY_BYTES;
  entries.slice(1).forEach((e, i, rest) => {
    bytes[at + SECTION.indicator] = i === rest.length - 1 ? SECTION_FINAL : SECTION_MORE;
    bytes[at + SECTION.platformId] = e.platformId;
    view.setUint16(at + SECTION.entryCount, 1, true);
    encodeEntry(bytes, at + CATALOG_ENTRY_BYTES, e);
    at += 2 * CATALOG_ENTRY_BYTES;
  });
  return bytes;
}

function encodeEntry(bytes: Uint8Array, at: number, e: BootCatalogEntry): void {
  const view = new DataView(bytes.buffer);
  if (!Number.isInteger(e.sectorCount) || e.sectorCount < 0 || e.sectorCount > MAX_SECTOR_COUNT) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `El Torito load size ${e.sectorCount} does not fit 16 bits (0–65535 sectors of 512 bytes).`);
  }
  bytes[at + ENTRY.bootIndicator] = e.bootable === false ? NOT_BOOTABLE : BOOTABLE;
  bytes[at + ENTRY.mediaType] = e.mediaType ?? MEDIA_NO_EMULATION;
  view.setUint16(at + ENTRY.loadSegment, e.loadSegment ?? 0, true);
  bytes[at + ENTRY.systemType] = e.systemType ?? 0;
  view.setUint16(at + ENTRY.sectorCount, e.sectorCount, true);
  view.setUint32(at + ENTRY.loadRba, e.loadLba, true);
}

/**
 * Load size for an image of `sizeBytes`: its 512-byte sectors, or 0 when that exceeds 16 bits; UEFI
 * firmware (EDK2 ElTorito.c) then takes the image to run to the end of the medium.
 */
export function loadSectorsFor(sizeBytes: number): number {
  const n = Math.ceil(sizeBytes / VIRTUAL_SECTOR_BYTES);
  return n > MAX_SECTOR_COUNT ? 0 : n;
}

export interface DecodedBootEntry extends Required<BootCatalogEntry> {}

/** Decode a catalog sector; throws coded `corrupt-table` errors for a bad validation entry. */
export function decodeBootCatalog(bytes: Uint8Array): DecodedBootEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const where = 'el-torito catalog';
  if (bytes[VALIDATION.headerId] !== HEADER_ID || bytes[VALIDATION.key55] !== 0x55 || bytes[VALIDATION.keyAA] !== 0xaa) {
    throw new PartwrightError(ErrorCode.CorruptTable, 'The El Torito catalog has no validation entry (header ID 1 and key 55 AA).', { where, problem: 'catalog-validation' });
  }
  let sum = 0;
  for (let i = 0; i < CATALOG_ENTRY_BYTES; i += 2) sum = (sum + view.getUint16(i, true)) & 0xffff;
  if (sum !== 0) {
    throw new PartwrightError(ErrorCode.CorruptTable, `The El Torito validation entry's checksum is wrong (words sum to 0x${sum.toString(16)}, not 0).`, { where, problem: 'catalog-checksum' });
  }
  const out: DecodedBootEntry[] = [decodeEntry(bytes, CATALOG_ENTRY_BYTES, bytes[VALIDATION.platformId]!)];
  let at = 2 * CATALOG_ENTRY_BYTES;
  while (at + CATALOG_ENTRY_BYTES <= bytes.length) {
    const indicator = bytes[at + SECTION.indicator]!;
    if (indicator !== SECTION_MORE && indicator !== SECTION_FINAL) break;
    const platformId = bytes[at + SECTION.platformId]!;
    const count = view.getUint16(at + SECTION.entryCount, true);
    at += CATALOG_ENTRY_BYTES;
    for (let i = 0; i < count && at + CATALOG_ENTRY_BYTES <= bytes.length; i++, at += CATALOG_ENTRY_BYTES) {
      out.push(decodeEntry(bytes, at, platformId));
    }
    if (indicator === SECTION_FINAL) break;
  }
  return out;
}

function decodeEntry(bytes: Uint8Array, at: number, platformId: number): DecodedBootEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    platformId,
    bootable: bytes[at + ENTRY.bootIndicator] === BOOTABLE,
    mediaType: bytes[at + ENTRY.mediaType]!,
    loadSegment: view.getUint16(at + ENTRY.loadSegment, true),
    systemType: bytes[at + ENTRY.systemType]!,
    sectorCount: view.getUint16(at + ENTRY.sectorCount, true),
    loadLba: view.getUint32(at + ENTRY.loadRba, true),
  };
}

/** Byte offsets of the boot information table inside the boot file (isolinux.asm `bi_*`). */
export const BOOT_INFO_TABLE = { pvdLba: 8, fileLba: 12, fileLength: 16, checksum: 20, reserved: 24, end: 64 } as const;

/**
 * Running checksum of a boot file for the table: the 32-bit sum of its little-endian 32-bit words from
 * byte 64 on (the file padded with zeros to a multiple of 4). Feed chunks in order.
 */
export class BootInfoChecksum {
  private sum = 0;
  private position = 0;
  private readonly carry = new Uint8Array(4);
  private carryLength = 0;

  update(chunk: Uint8Array): void {
    let i = 0;
    if (this.position < BOOT_INFO_TABLE.end) i = Math.min(chunk.length, BOOT_INFO_TABLE.end - this.position);
    this.position += chunk.length;
    for (; i < chunk.length; i++) {
      this.carry[this.carryLength++] = chunk[i]!;
      if (this.carryLength === 4) {
        this.sum = (this.sum + (this.carry[0]! | (this.carry[1]! << 8) | (this.carry[2]! << 16) | (this.carry[3]! << 24))) >>> 0;
        this.carryLength = 0;
      }
    }
  }

  digest(): number {
    let last = 0;
    for (let i = 0; i < this.carryLength; i++) last |= this.carry[i]! << (8 * i);
    return (this.sum + (last >>> 0)) >>> 0;
  }
}

/** Patch the table into the boot file's first chunk (which must hold at least 64 bytes). */
export function patchBootInfoTable(firstChunk: Uint8Array, pvdLba: number, fileLba: number, fileLengthBytes: number, checksum: number): void {
  if (firstChunk.length < BOOT_INFO_TABLE.end) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `A boot file with a boot information table must be at least ${BOOT_INFO_TABLE.end} bytes; this one has ${firstChunk.length}.`);
  }
  const view = new DataView(firstChunk.buffer, firstChunk.byteOffset, firstChunk.byteLength);
  view.setUint32(BOOT_INFO_TABLE.pvdLba, pvdLba, true);
  view.setUint32(BOOT_INFO_TABLE.fileLba, fileLba, true);
  view.setUint32(BOOT_INFO_TABLE.fileLength, fileLengthBytes, true);
  view.setUint32(BOOT_INFO_TABLE.checksum, checksum, true);
  firstChunk.fill(0, BOOT_INFO_TABLE.reserved, BOOT_INFO_TABLE.end);
}
