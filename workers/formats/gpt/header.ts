/**
 * The GPT header (UEFI 2.10 §5.3.2, table 5-5): 92 bytes at the start of LBA 1 (primary) and of the
 * last LBA (backup); the rest of its sector is zero.
 */
import { crc32 } from '../crc32.ts';
import { decodeGuid, encodeGuid } from '../guid.ts';
import { corruptTable, TableProblem } from '../table-region.ts';

/** Byte offsets inside the GPT header. The only place these offsets live. */
const HEADER = {
  signature: 0,
  revision: 8,
  headerSize: 12,
  headerCrc32: 16,
  reserved: 20,
  currentLba: 24,
  backupLba: 32,
  firstUsableLba: 40,
  lastUsableLba: 48,
  diskGuid: 56,
  entriesLba: 72,
  entryCount: 80,
  entrySize: 84,
  entriesCrc32: 88,
} as const;
const LE = true;

/** "EFI PART" as a little-endian 64-bit number, §5.3.2. */
export const GPT_SIGNATURE = Uint8Array.of(0x45, 0x46, 0x49, 0x20, 0x50, 0x41, 0x52, 0x54);
/** Revision 1.0 (0x00010000): the only one defined. */
export const GPT_REVISION = 0x00010000;
/** The header size every tool writes (the struct's size; the CRC covers exactly this many bytes). */
export const GPT_HEADER_SIZE_BYTES = 92;

export interface GptHeader {
  revision: number;
  headerSizeBytes: number;
  /** This header's LBA (1 for the primary, the last LBA for the backup). */
  currentLba: number;
  /** The other header's LBA. */
  backupLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySizeBytes: number;
  entriesCrc32: number;
}

/** The header in a zero-filled sector of `sectorSizeBytes`, its CRC computed. */
export function encodeGptHeader(h: GptHeader, sectorSizeBytes: number): Uint8Array {
  const bytes = new Uint8Array(sectorSizeBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(GPT_SIGNATURE, HEADER.signature);
  view.setUint32(HEADER.revision, h.revision, LE);
  view.setUint32(HEADER.headerSize, h.headerSizeBytes, LE);
  view.setUint32(HEADER.headerCrc32, 0, LE);
  view.setBigUint64(HEADER.currentLba, BigInt(h.currentLba), LE);
  view.setBigUint64(HEADER.backupLba, BigInt(h.backupLba), LE);
  view.setBigUint64(HEADER.firstUsableLba, BigInt(h.firstUsableLba), LE);
  view.setBigUint64(HEADER.lastUsableLba, BigInt(h.lastUsableLba), LE);
  bytes.set(encodeGuid(h.diskGuid), HEADER.diskGuid);
  view.setBigUint64(HEADER.entriesLba, BigInt(h.entriesLba), LE);
  view.setUint32(HEADER.entryCount, h.entryCount, LE);
  view.setUint32(HEADER.entrySize, h.entrySizeBytes, LE);
  view.setUint32(HEADER.entriesCrc32, h.entriesCrc32, LE);
  view.setUint32(HEADER.headerCrc32, crc32(bytes.subarray(0, h.headerSizeBytes)), LE);
  return bytes;
}

/**
 * Decode and check the header in `bytes` (one sector). Checks the signature, the header size
 * (92 ≤ size ≤ sector size) and the header CRC; `where` names it in messages ("primary GPT header").
 */
export function decodeGptHeader(bytes: Uint8Array, where: string): GptHeader {
  for (let i = 0; i < GPT_SIGNATURE.length; i++) {
    if (bytes[HEADER.signature + i] !== GPT_SIGNATURE[i]) {
      throw corruptTable(TableProblem.BadSignature, `${where}: no "EFI PART" signature`, where);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSizeBytes = view.getUint32(HEADER.headerSize, LE);
  if (headerSizeBytes < GPT_HEADER_SIZE_BYTES || headerSizeBytes > bytes.length) {
    throw corruptTable(
      TableProblem.BadHeaderSize,
      `${where}: header size ${headerSizeBytes} is outside ${GPT_HEADER_SIZE_BYTES}..${bytes.length}`,
      where,
    );
  }
  const storedCrc = view.getUint32(HEADER.headerCrc32, LE);
  const copy = bytes.slice(0, headerSizeBytes);
  new DataView(copy.buffer).setUint32(HEADER.headerCrc32, 0, LE);
  const actualCrc = crc32(copy);
  if (actualCrc !== storedCrc) {
    throw corruptTable(
      TableProblem.HeaderCrc,
      `${where}: header CRC32 is 0x${hex32(storedCrc)} but the header's bytes give 0x${hex32(actualCrc)}`,
      where,
    );
  }
  const lba = (field: number, name: string): number => {
    const v = view.getBigUint64(field, LE);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw corruptTable(TableProblem.BadRange, `${where}: ${name} ${v} is not a plausible LBA`, where);
    }
    return Number(v);
  };
  return {
    revision: view.getUint32(HEADER.revision, LE),
    headerSizeBytes,
    currentLba: lba(HEADER.currentLba, 'current LBA'),
    backupLba: lba(HEADER.backupLba, 'backup LBA'),
    firstUsableLba: lba(HEADER.firstUsableLba, 'first usable LBA'),
    lastUsableLba: lba(HEADER.lastUsableLba, 'last usable LBA'),
    diskGuid: decodeGuid(bytes, HEADER.diskGuid),
    entriesLba: lba(HEADER.entriesLba, 'partition entries LBA'),
    entryCount: view.getUint32(HEADER.entryCount, LE),
    entrySizeBytes: view.getUint32(HEADER.entrySize, LE),
    entriesCrc32: view.getUint32(HEADER.entriesCrc32, LE),
  };
}

export function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
