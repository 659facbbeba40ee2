/**
 * The isohybrid system area: an MBR whose boot code (syslinux's `isohdpfx.bin`) finds the El Torito
 * BIOS boot file when the ISO is a disk, plus a GPT for the EFI image, laid out as
 * `xorriso -as mkisofs -isohybrid-mbr isohdpfx.bin -isohybrid-gpt-basdat -e efi.img` writes them
 * (checked with xorriso 1.5.4 `-report_system_area plain`):
 *
 * - MBR bytes 432–439: the BIOS boot file's LBA in 512-byte sectors (isohybrid.c, libisofs
 *   `make_isolinux_mbr`), 64-bit little-endian; 440: the disk identifier.
 * - MBR record 1: active, type 0x00 (0x17 without a GPT), from LBA 0 over the whole image; CHS in the
 *   64 heads × 32 sectors geometry isohybrid uses. Record 2 (with an EFI image): type 0xEF over the
 *   EFI image, CHS `fe ff ff` — what UEFI firmware (EDK2) mounts when booting the image as a disk.
 * - GPT: 248 entries at LBA 2 (filling the array up to LBA 63), first usable LBA 64, the backup at the
 *   image's end inside the padding; partition 1 "ISOHybrid" from LBA 0 (which makes it out of range, so
 *   firmware skips it), partition 2 "ISOHybrid1" over the EFI image; both Basic Data with attributes
 *   0x1000000000000001; partition GUIDs are the disk GUID with byte 9 XOR the partition number.
 *
 * The table pieces are the GPT and MBR modules' encoders; only the isohybrid geometry is here, because
 * xorriso's partition 1 deliberately breaks the rules `encodeGpt` validates.
 */
import { crc32 } from '../crc32.ts';
import { decodeGuid, encodeGuid, normalizeGuidText } from '../guid.ts';
import { encodeGptEntries, type GptPartition } from '../gpt/entries.ts';
import { encodeGptHeader, GPT_HEADER_SIZE_BYTES, GPT_REVISION } from '../gpt/header.ts';
import { encodeMbrSector, STATUS_BOOTABLE, type MbrRecord } from '../mbr/sector.ts';
import type { TableRegion } from '../table-region.ts';

export const ISOHYBRID_SECTOR_BYTES = 512;
/** isohybrid's fake geometry (isohybrid.c defaults: 64 heads, 32 sectors per track). */
const HEADS = 64;
const SECTORS_PER_TRACK = 32;
/** Images are padded to whole cylinders: 64 × 32 × 512 bytes = 1 MiB (xorriso "cyl-align-on"). */
export const ISOHYBRID_ALIGN_BYTES = HEADS * SECTORS_PER_TRACK * ISOHYBRID_SECTOR_BYTES;
/** Boot code before the patched fields (isohdpfx.bin is exactly this long). */
export const ISOHYBRID_CODE_BYTES = 432;
/** Byte offsets in the MBR that isohybrid patches. */
const MBR_PATCH = { bootFileLba512: 432, diskId: 440 } as const;
/** xorriso's GPT: 248 entries of 128 bytes from LBA 2 fill LBA 2..63; first usable LBA 64. */
export const ISOHYBRID_GPT = { entriesLba: 2, entryCount: 248, entrySizeBytes: 128, firstUsableLba: 64 } as const;
const BASIC_DATA = 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7';
/** Bit 0 (required) and bit 60 (read-only), as xorriso sets them. */
const ATTRIBUTES = (1n << 60n) | 1n;
const TYPE_EMPTY = 0x00;
/** isohybrid's record type without a GPT: 0x17. */
const TYPE_ISOHYBRID = 0x17;
const TYPE_EFI = 0xef;
const CHS_BEYOND = Uint8Array.of(0xfe, 0xff, 0xff);

/** Sectors the backup GPT needs at the image's end (entries + header). */
export const ISOHYBRID_GPT_BACKUP_SECTORS = (ISOHYBRID_GPT.entryCount * ISOHYBRID_GPT.entrySizeBytes) / ISOHYBRID_SECTOR_BYTES + 1;

export interface IsohybridInput {
  /** Up to 432 bytes of MBR boot code (isohdpfx.bin). */
  bootCode: Uint8Array;
  /** The image's size in bytes (a multiple of 512). */
  imageSizeBytes: number;
  /** The El Torito BIOS boot file's first 2048-byte block. */
  biosBootLba: number;
  mbrDiskId: number;
  /** With an EFI image: the GPT and the 0xEF record. */
  efi?: { lba: number; sizeBytes: number; diskGuid: string };
}

/** CHS bytes for `lba` in isohybrid's 64/32 geometry, clamped at cylinder 1023. */
export function isohybridChs(lba: number): Uint8Array {
  const perCylinder = HEADS * SECTORS_PER_TRACK;
  let c = Math.floor(lba / perCylinder);
  let h = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  let s = (lba % SECTORS_PER_TRACK) + 1;
  if (c > 1023) { c = 1023; h = HEADS - 1; s = SECTORS_PER_TRACK; }
  return Uint8Array.of(h, s | ((c >> 2) & 0xc0), c & 0xff);
}

function partitionGuid(diskGuid: string, partitionNumber: number): string {
  const b = encodeGuid(diskGuid);
  b[9] = b[9]! ^ partitionNumber;
  return decodeGuid(b);
}

/** The MBR (offset 0) and, with an EFI image, the primary and backup GPT. */
export function encodeIsohybrid(h: IsohybridInput): TableRegion[] {
  const s = ISOHYBRID_SECTOR_BYTES;
  const totalSectors = h.imageSizeBytes / s;
  const code = new Uint8Array(MBR_PATCH.diskId);
  code.set(h.bootCode.subarray(0, ISOHYBRID_CODE_BYTES));
  new DataView(code.buffer).setBigUint64(MBR_PATCH.bootFileLba512, BigInt(h.biosBootLba * (2048 / s)), true);
  const records: MbrRecord[] = [{
    status: STATUS_BOOTABLE, type: h.efi ? TYPE_EMPTY : TYPE_ISOHYBRID, firstLba: 0, sectorCount: totalSectors,
    chsFirst: isohybridChs(0), chsLast: isohybridChs(totalSectors - 1),
  }];
  const regions: TableRegion[] = [];
  if (h.efi) {
    const efiFirst = h.efi.lba * (2048 / s);
    const efiSectors = Math.ceil(h.efi.sizeBytes / s);
    records.push({ status: 0, type: TYPE_EFI, firstLba: efiFirst, sectorCount: efiSectors, chsFirst: CHS_BEYOND, chsLast: CHS_BEYOND });
    const g = ISOHYBRID_GPT;
    const arraySectors = (g.entryCount * g.entrySizeBytes) / s;
    const backupHeaderLba = totalSectors - 1;
    const backupEntriesLba = backupHeaderLba - arraySectors;
    const lastUsableLba = backupEntriesLba - 1;
    const diskGuid = normalizeGuidText(h.efi.diskGuid);
    const partitions: GptPartition[] = [
      { partitionNumber: 1, typeGuid: BASIC_DATA, uniqueGuid: partitionGuid(diskGuid, 1), firstLba: 0, lastLba: lastUsableLba - 1, attributes: ATTRIBUTES, name: 'ISOHybrid' },
      { partitionNumber: 2, typeGuid: BASIC_DATA, uniqueGuid: partitionGuid(diskGuid, 2), firstLba: efiFirst, lastLba: efiFirst + efiSectors - 1, attributes: ATTRIBUTES, name: 'ISOHybrid1' },
    ];
    const entries = encodeGptEntries(partitions, g.entryCount, g.entrySizeBytes);
    const header = {
      revision: GPT_REVISION, headerSizeBytes: GPT_HEADER_SIZE_BYTES, firstUsableLba: g.firstUsableLba, lastUsableLba,
      diskGuid, entryCount: g.entryCount, entrySizeBytes: g.entrySizeBytes, entriesCrc32: crc32(entries),
    };
    regions.push(
      { kind: 'gpt-header', offsetBytes: s, bytes: encodeGptHeader({ ...header, currentLba: 1, backupLba: backupHeaderLba, entriesLba: g.entriesLba }, s) },
      { kind: 'gpt-entries', offsetBytes: g.entriesLba * s, bytes: entries },
      { kind: 'gpt-backup-entries', offsetBytes: backupEntriesLba * s, bytes: entries },
      { kind: 'gpt-backup-header', offsetBytes: backupHeaderLba * s, bytes: encodeGptHeader({ ...header, currentLba: backupHeaderLba, backupLba: 1, entriesLba: backupEntriesLba }, s) },
    );
  }
  regions.unshift({ kind: 'mbr', offsetBytes: 0, bytes: encodeMbrSector(records, h.mbrDiskId >>> 0, code) });
  return regions;
}
