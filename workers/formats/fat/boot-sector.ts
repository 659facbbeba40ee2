/**
 * The FAT boot sector (BPB, Microsoft fatgen103 §3.1–3.3) and the FAT32 FSInfo sector (§5), written
 * as dosfstools 4.2 mkfs.fat writes them: its "not a bootable disk" boot code and message, drive
 * number 0x80 for media 0xF8, extended boot signature 0x29.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { FatGeometry, FatType } from './geometry.ts';

/** Byte offsets of the fields every FAT shares (fatgen103 §3.1). */
const BPB = {
  jump: 0,
  oemName: 3,
  bytesPerSector: 11,
  sectorsPerCluster: 13,
  reservedSectors: 14,
  fatCount: 16,
  rootEntryCount: 17,
  totalSectors16: 19,
  media: 21,
  sectorsPerFat16: 22,
  sectorsPerTrack: 24,
  heads: 26,
  hiddenSectors: 28,
  totalSectors32: 32,
  bootSignature: 510,
} as const;

/** FAT12/16 extended BPB (fatgen103 §3.2), from byte 36. */
const EBPB16 = { driveNumber: 36, flags: 37, extSignature: 38, volumeId: 39, label: 43, fsType: 54, bootCode: 62 } as const;

/** FAT32 extended BPB (fatgen103 §3.3), from byte 36. */
const EBPB32 = {
  sectorsPerFat32: 36,
  extFlags: 40,
  version: 42,
  rootCluster: 44,
  fsInfoSector: 48,
  backupBootSector: 50,
  reserved: 52,
  driveNumber: 64,
  flags: 65,
  extSignature: 66,
  volumeId: 67,
  label: 71,
  fsType: 82,
  bootCode: 90,
} as const;

/** FSInfo sector fields (fatgen103 §5). */
const FSINFO = { leadSignature: 0, structSignature: 0x1e4, freeCount: 0x1e8, nextFree: 0x1ec, trailSignature: 0x1fe } as const;

const LE = true;
/** The boot sector structure mkfs.fat writes is 512 bytes whatever the sector size. */
export const BOOT_SECTOR_BYTES = 512;
const BOOT_SIGNATURE = 0xaa55;
const EXT_BOOT_SIGNATURE = 0x29;
const FSINFO_LEAD = 0x41615252; // "RRaA"
const FSINFO_STRUCT = 0x61417272; // "rrAa"
/** 11 bytes: the label field when no label is given. */
export const NO_NAME_LABEL = 'NO NAME    ';
const BOOTCODE_BYTES = 448;
const BOOTCODE_FAT32_BYTES = 420;
/** Where the message pointer sits inside the boot code (`mov si, offset message_txt`). */
const MSG_POINTER_OFFSET = 3;
/** Where the message starts inside the boot code. */
const MESSAGE_OFFSET = 29;
/** BIOS loads the boot sector at 0000:7C00. */
const BOOT_LOAD_ADDRESS = 0x7c00;

/**
 * mkfs.fat's public-domain dummy boot code: prints the message, waits for a key, reboots
 * (dosfstools src/mkfs.fat.c dummy_boot_code; the pointer is patched per FAT type).
 */
const DUMMY_BOOT_CODE: readonly number[] = [
  0x0e, 0x1f, 0xbe, 0x5b, 0x7c, 0xac, 0x22, 0xc0, 0x74, 0x0b, 0x56, 0xb4, 0x0e, 0xbb, 0x07, 0x00,
  0xcd, 0x10, 0x5e, 0xeb, 0xf0, 0x32, 0xe4, 0xcd, 0x16, 0xcd, 0x19, 0xeb, 0xfe,
];
const BOOT_MESSAGE = 'This is not a bootable disk.  Please insert a bootable floppy and\r\npress any key to try again ... \r\n';

export interface FatBootSector {
  oemName: string;
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatCount: number;
  rootEntryCount: number;
  totalSectors: number;
  mediaByte: number;
  sectorsPerFat: number;
  sectorsPerTrack: number;
  heads: number;
  hiddenSectors: number;
  fatType: FatType;
  rootCluster: number;
  fsInfoSector: number;
  backupBootSector: number;
  driveNumber: number;
  volumeId: number;
  /** 11 characters, space-padded (`NO NAME    ` when none). */
  label: string;
}

export function bootSectorFromGeometry(g: FatGeometry, volumeId: number, label11: string): FatBootSector {
  return {
    oemName: 'mkfs.fat',
    bytesPerSector: g.sectorBytes,
    sectorsPerCluster: g.sectorsPerCluster,
    reservedSectors: g.reservedSectors,
    fatCount: g.fatCount,
    rootEntryCount: g.rootEntryCount,
    totalSectors: g.totalSectors,
    mediaByte: g.mediaByte,
    sectorsPerFat: g.sectorsPerFat,
    sectorsPerTrack: g.sectorsPerTrack,
    heads: g.heads,
    hiddenSectors: g.hiddenSectors,
    fatType: g.fatType,
    rootCluster: g.rootCluster,
    fsInfoSector: g.fsInfoSector,
    backupBootSector: g.backupBootSector,
    // mkfs.fat: 0x80 (first hard disk) for media 0xF8, else 0.
    driveNumber: g.mediaByte === 0xf8 ? 0x80 : 0,
    volumeId,
    label: label11,
  };
}

function putAscii(bytes: Uint8Array, offset: number, text: string, length: number): void {
  for (let i = 0; i < length; i++) bytes[offset + i] = i < text.length ? text.charCodeAt(i) & 0xff : 0x20;
}

function getAscii(bytes: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[offset + i]!);
  return s;
}

/** The 512-byte boot sector mkfs.fat writes. */
export function encodeFatBootSector(b: FatBootSector): Uint8Array {
  const bytes = new Uint8Array(BOOT_SECTOR_BYTES);
  const view = new DataView(bytes.buffer);
  const is32 = b.fatType === 32;
  const E = is32 ? EBPB32 : EBPB16;
  bytes[BPB.jump] = 0xeb; // jmp short boot_code; nop
  bytes[BPB.jump + 1] = E.bootCode - 2;
  bytes[BPB.jump + 2] = 0x90;
  putAscii(bytes, BPB.oemName, b.oemName, 8);
  view.setUint16(BPB.bytesPerSector, b.bytesPerSector, LE);
  bytes[BPB.sectorsPerCluster] = b.sectorsPerCluster;
  view.setUint16(BPB.reservedSectors, b.reservedSectors, LE);
  bytes[BPB.fatCount] = b.fatCount;
  view.setUint16(BPB.rootEntryCount, b.rootEntryCount, LE);
  if (b.totalSectors < 65536) view.setUint16(BPB.totalSectors16, b.totalSectors, LE);
  else view.setUint32(BPB.totalSectors32, b.totalSectors, LE);
  bytes[BPB.media] = b.mediaByte;
  view.setUint16(BPB.sectorsPerFat16, is32 ? 0 : b.sectorsPerFat, LE);
  view.setUint16(BPB.sectorsPerTrack, b.sectorsPerTrack, LE);
  view.setUint16(BPB.heads, b.heads, LE);
  view.setUint32(BPB.hiddenSectors, b.hiddenSectors, LE);
  if (is32) {
    view.setUint32(EBPB32.sectorsPerFat32, b.sectorsPerFat, LE);
    view.setUint32(EBPB32.rootCluster, b.rootCluster, LE);
    view.setUint16(EBPB32.fsInfoSector, b.fsInfoSector, LE);
    view.setUint16(EBPB32.backupBootSector, b.backupBootSector, LE);
  }
  bytes[E.driveNumber] = b.driveNumber;
  bytes[E.extSignature] = EXT_BOOT_SIGNATURE;
  view.setUint32(E.volumeId, b.volumeId >>> 0, LE);
  putAscii(bytes, E.label, b.label, 11);
  putAscii(bytes, E.fsType, `FAT${b.fatType}`, 8);
  const codeBytes = is32 ? BOOTCODE_FAT32_BYTES : BOOTCODE_BYTES;
  const code = new Uint8Array(codeBytes);
  code.set(DUMMY_BOOT_CODE);
  for (let i = 0; i < BOOT_MESSAGE.length && MESSAGE_OFFSET + i < codeBytes - 1; i++) {
    code[MESSAGE_OFFSET + i] = BOOT_MESSAGE.charCodeAt(i);
  }
  const messageAddress = E.bootCode + MESSAGE_OFFSET + BOOT_LOAD_ADDRESS;
  code[MSG_POINTER_OFFSET] = messageAddress & 0xff;
  code[MSG_POINTER_OFFSET + 1] = messageAddress >> 8;
  bytes.set(code, E.bootCode);
  view.setUint16(BPB.bootSignature, BOOT_SIGNATURE, LE);
  return bytes;
}

function corrupt(message: string): PartwrightError {
  return new PartwrightError(ErrorCode.CorruptTable, message, { problem: 'fat-boot-sector' });
}

/** Read a boot sector; the FAT type is found by cluster count (fatgen103 §3.5), as Linux does. */
export function decodeFatBootSector(bytes: Uint8Array): FatBootSector {
  if (bytes.length < BOOT_SECTOR_BYTES) throw corrupt(`A FAT boot sector needs ${BOOT_SECTOR_BYTES} bytes, got ${bytes.length}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(BPB.bootSignature, LE) !== BOOT_SIGNATURE) throw corrupt('No 0x55AA signature at the end of the FAT boot sector.');
  const bytesPerSector = view.getUint16(BPB.bytesPerSector, LE);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) throw corrupt(`FAT boot sector: ${bytesPerSector} bytes per sector is not valid.`);
  const sectorsPerCluster = bytes[BPB.sectorsPerCluster]!;
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) {
    throw corrupt(`FAT boot sector: ${sectorsPerCluster} sectors per cluster is not a power of two.`);
  }
  const reservedSectors = view.getUint16(BPB.reservedSectors, LE);
  const fatCount = bytes[BPB.fatCount]!;
  if (reservedSectors === 0 || fatCount === 0) throw corrupt('FAT boot sector: no reserved sectors or no FATs.');
  const rootEntryCount = view.getUint16(BPB.rootEntryCount, LE);
  const total16 = view.getUint16(BPB.totalSectors16, LE);
  const totalSectors = total16 !== 0 ? total16 : view.getUint32(BPB.totalSectors32, LE);
  const fat16Length = view.getUint16(BPB.sectorsPerFat16, LE);
  const sectorsPerFat = fat16Length !== 0 ? fat16Length : view.getUint32(EBPB32.sectorsPerFat32, LE);
  if (sectorsPerFat === 0) throw corrupt('FAT boot sector: the FAT has no sectors.');
  const rootDirSectors = Math.ceil((rootEntryCount * 32) / bytesPerSector);
  const dataSectors = totalSectors - reservedSectors - fatCount * sectorsPerFat - rootDirSectors;
  if (dataSectors <= 0) throw corrupt('FAT boot sector: the volume has no data area.');
  const clusters = Math.floor(dataSectors / sectorsPerCluster);
  const fatType: FatType = fat16Length === 0 ? 32 : clusters < 4085 ? 12 : 16;
  const E = fatType === 32 ? EBPB32 : EBPB16;
  return {
    oemName: getAscii(bytes, BPB.oemName, 8),
    bytesPerSector,
    sectorsPerCluster,
    reservedSectors,
    fatCount,
    rootEntryCount,
    totalSectors,
    mediaByte: bytes[BPB.media]!,
    sectorsPerFat,
    sectorsPerTrack: view.getUint16(BPB.sectorsPerTrack, LE),
    heads: view.getUint16(BPB.heads, LE),
    hiddenSectors: view.getUint32(BPB.hiddenSectors, LE),
    fatType,
    rootCluster: fatType === 32 ? view.getUint32(EBPB32.rootCluster, LE) : 0,
    fsInfoSector: fatType === 32 ? view.getUint16(EBPB32.fsInfoSector, LE) : 0,
    backupBootSector: fatType === 32 ? view.getUint16(EBPB32.backupBootSector, LE) : 0,
    driveNumber: bytes[E.driveNumber]!,
    volumeId: bytes[E.extSignature] === EXT_BOOT_SIGNATURE ? view.getUint32(E.volumeId, LE) : 0,
    label: bytes[E.extSignature] === EXT_BOOT_SIGNATURE ? getAscii(bytes, E.label, 11) : NO_NAME_LABEL,
  };
}

export interface FatFsInfo {
  freeClusters: number;
  nextFreeCluster: number;
}

/** The 512-byte FSInfo sector (mkfs.fat writes 512 bytes even with larger sectors). */
export function encodeFatFsInfo(info: FatFsInfo): Uint8Array {
  const bytes = new Uint8Array(BOOT_SECTOR_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(FSINFO.leadSignature, FSINFO_LEAD, LE);
  view.setUint32(FSINFO.structSignature, FSINFO_STRUCT, LE);
  view.setUint32(FSINFO.freeCount, info.freeClusters >>> 0, LE);
  view.setUint32(FSINFO.nextFree, info.nextFreeCluster >>> 0, LE);
  view.setUint16(FSINFO.trailSignature, BOOT_SIGNATURE, LE);
  return bytes;
}

export function decodeFatFsInfo(bytes: Uint8Array): FatFsInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < BOOT_SECTOR_BYTES || view.getUint32(FSINFO.leadSignature, LE) !== FSINFO_LEAD ||
      view.getUint32(FSINFO.structSignature, LE) !== FSINFO_STRUCT) {
    throw new PartwrightError(ErrorCode.CorruptTable, 'The FAT32 FSInfo sector has no valid signatures.', { problem: 'fat-fsinfo' });
  }
  return { freeClusters: view.getUint32(FSINFO.freeCount, LE), nextFreeCluster: view.getUint32(FSINFO.nextFree, LE) };
}
