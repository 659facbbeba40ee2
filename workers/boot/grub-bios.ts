/**
 * GRUB for BIOS, installed without grub-install, a VM or a loop device: what `grub-bios-setup`
 * does (GRUB 2.06 util/setup.c, setup() with embedding, `--no-rs-codes`):
 * - core.img goes into the embedding area: the GPT BIOS boot partition (partmap/gpt.c
 *   gpt_partition_map_embed) or, on an MBR disk, the sectors after the MBR up to the first partition
 *   (partmap/msdos.c pc_partition_map_embed);
 * - the first sector of core.img (diskboot.img) gets a block list saying where the rest of core.img
 *   is (save_blocklists): one run starting at the sector after the first, loaded at segment 0x820;
 * - boot.img becomes sector 0, keeping the disk's BPB area and its disk signature + partition table
 *   (bytes 0x1b8–0x1fd), with the first sector of core.img and boot drive 0xff patched in
 *   (write_rootdev) and the boot-drive check replaced by two NOPs (hard disk, not --allow-floppy).
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { EXTRA_TYPE_GUIDS } from '../model/partition-types.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import type { ImagePlan } from '../plan/types.ts';

/** GRUB's BIOS code addresses 512-byte sectors (GRUB_DISK_SECTOR_SIZE), whatever the table's sector size. */
const SECTOR_BYTES = 512;
const LE = true;

/** Byte offsets in boot.img (GRUB 2.06 include/grub/i386/pc/boot.h). */
export const BOOT_IMG = {
  /** A possible DOS BIOS parameter block, kept from the disk (GRUB_BOOT_MACHINE_BPB_START/END). */
  bpbStart: 0x03,
  bpbEnd: 0x5a,
  /** u64 LE: LBA of core.img's first sector (GRUB_BOOT_MACHINE_KERNEL_SECTOR). */
  kernelSector: 0x5c,
  /** u8: 0xff = use the drive the BIOS passed in DL (GRUB_BOOT_MACHINE_BOOT_DRIVE). */
  bootDrive: 0x64,
  /** 2 bytes: a short jmp that skips forcing DL=0x80; NOPed for hard disks (GRUB_BOOT_MACHINE_DRIVE_CHECK). */
  driveCheck: 0x66,
  /** From here to partEnd the disk's own bytes stay: disk signature, reserved word, four partition entries. */
  windowsNtMagic: 0x1b8,
  partEnd: 0x1fe,
  /** 0x55 0xaa (GRUB_BOOT_MACHINE_SIGNATURE, little-endian 0xaa55). */
  signature: 0x1fe,
} as const;

/**
 * diskboot.img's block lists (include/grub/offsets.h struct grub_pc_bios_boot_blocklist, packed):
 * they sit at the end of core.img's first sector and grow downwards; a zero `len` ends the list.
 */
export const BLOCKLIST = {
  entryBytes: 12,
  /** The first entry: the sector's last 12 bytes. */
  firstEntry: SECTOR_BYTES - 12,
  /** u64 LE: first sector of the run. */
  start: 0,
  /** u16 LE: number of sectors. */
  len: 8,
  /** u16 LE: real-mode segment to load the run to. */
  segment: 10,
} as const;

/** core.img loads at 0x8000 (GRUB_BOOT_I386_PC_KERNEL_SEG 0x800); the part after diskboot at 0x8200. */
const KERNEL_SEGMENT = 0x800;
/** GRUB_KERNEL_I386_PC_LINK_ADDR: setup() limits core.img to what fits between it and 0x78000. */
const LINK_ADDRESS = 0x9000;
const MAX_CORE_SECTORS = (0x78000 - LINK_ADDRESS) / SECTOR_BYTES;

/** boot.img is exactly one sector ending in the 0x55AA boot signature. */
function assertBootImg(bootImg: Uint8Array): void {
  if (bootImg.length !== SECTOR_BYTES) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `GRUB boot.img must be ${SECTOR_BYTES} bytes, not ${bootImg.length}.`, { where: 'boot.grubBios.bootImg' });
  }
  if (bootImg[BOOT_IMG.signature] !== 0x55 || bootImg[BOOT_IMG.signature + 1] !== 0xaa) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'GRUB boot.img lacks the 0x55AA boot signature; is it really boot.img?', { where: 'boot.grubBios.bootImg' });
  }
}

export function coreImgSectors(coreImg: Uint8Array): number {
  if (coreImg.length < SECTOR_BYTES) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `GRUB core.img is ${coreImg.length} bytes, smaller than one sector.`, { where: 'boot.grubBios.coreImg' });
  }
  const sectors = Math.ceil(coreImg.length / SECTOR_BYTES);
  if (sectors > MAX_CORE_SECTORS) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `GRUB core.img is ${sectors} sectors; BIOS GRUB loads at most ${MAX_CORE_SECTORS}: make it with fewer modules.`, { where: 'boot.grubBios.coreImg' });
  }
  return sectors;
}

/**
 * Sector 0 with GRUB's boot code: boot.img's code around the disk's BPB area and partition table,
 * pointing at core.img's first sector.
 */
export function encodeGrubMbr(bootImg: Uint8Array, diskSector0: Uint8Array, coreFirstSector: number): Uint8Array {
  assertBootImg(bootImg);
  if (diskSector0.length < SECTOR_BYTES) throw new RangeError('diskSector0 must be a whole sector');
  const out = bootImg.slice();
  out.set(diskSector0.subarray(BOOT_IMG.bpbStart, BOOT_IMG.bpbEnd), BOOT_IMG.bpbStart);
  out[BOOT_IMG.driveCheck] = 0x90;
  out[BOOT_IMG.driveCheck + 1] = 0x90;
  out.set(diskSector0.subarray(BOOT_IMG.windowsNtMagic, BOOT_IMG.partEnd), BOOT_IMG.windowsNtMagic);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(BOOT_IMG.bootDrive, 0xff);
  view.setBigUint64(BOOT_IMG.kernelSector, BigInt(coreFirstSector), LE);
  return out;
}

/**
 * core.img padded to whole sectors with its block list saying that sectors
 * `coreFirstSector + 1 …` hold the rest, contiguously (setup(): clean out, save_blocklists, terminator).
 */
export function encodeGrubCore(coreImg: Uint8Array, coreFirstSector: number): Uint8Array {
  const sectors = coreImgSectors(coreImg);
  const out = new Uint8Array(sectors * SECTOR_BYTES);
  out.set(coreImg);
  const view = new DataView(out.buffer);
  // Clear the old lists, from the first entry downwards, until a zero length (setup(): "Clean out the blocklists").
  let entry: number = BLOCKLIST.firstEntry;
  while (view.getUint16(entry + BLOCKLIST.len, LE) !== 0) {
    out.fill(0, entry, entry + BLOCKLIST.entryBytes);
    entry -= BLOCKLIST.entryBytes;
    if (entry <= 0) throw new PartwrightError(ErrorCode.InvalidSpec, 'GRUB core.img has no block list terminator; is it an i386-pc core.img?', { where: 'boot.grubBios.coreImg' });
  }
  const first = BLOCKLIST.firstEntry;
  if (sectors > 1) {
    view.setBigUint64(first + BLOCKLIST.start, BigInt(coreFirstSector + 1), LE);
    view.setUint16(first + BLOCKLIST.len, sectors - 1, LE);
    view.setUint16(first + BLOCKLIST.segment, KERNEL_SEGMENT + (SECTOR_BYTES >> 4), LE);
    out.fill(0, first - BLOCKLIST.entryBytes, first); // terminator
  } else {
    out.fill(0, first, first + BLOCKLIST.entryBytes);
  }
  return out;
}

export interface GrubEmbeddingArea {
  /** Where core.img goes, in 512-byte sectors. */
  firstSector: number;
  /** How many sectors are free there. */
  sectors: number;
  /** 'bios-boot-partition' (GPT) or 'post-mbr-gap' (MBR). */
  kind: 'bios-boot-partition' | 'post-mbr-gap';
}

/** Where grub-install would embed core.img in this layout. */
export function grubEmbeddingArea(plan: ImagePlan): GrubEmbeddingArea {
  if (plan.table === 'gpt' || plan.table === 'hybrid') {
    const biosBoot = plan.partitions.find((p) => p.typeGuid === EXTRA_TYPE_GUIDS.biosBoot);
    if (!biosBoot) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `GRUB for BIOS on a GPT disk needs a BIOS boot partition (Type=${EXTRA_TYPE_GUIDS.biosBoot}, 1 MiB).`, { where: 'boot.grubBios' });
    }
    return { kind: 'bios-boot-partition', firstSector: biosBoot.offsetBytes / SECTOR_BYTES, sectors: Math.floor(biosBoot.sizeBytes / SECTOR_BYTES) };
  }
  // MBR: from sector 1 up to the first partition, blob or EBR (msdos.c: "end" is the lowest start).
  const starts = [
    ...plan.partitions.map((p) => p.offsetBytes),
    ...plan.blobs.map((b) => b.offsetBytes),
    ...plan.reserved.filter((r) => r.kind !== 'mbr').map((r) => r.offsetBytes),
    ...(plan.mbrExtended ? [plan.mbrExtended.offsetBytes] : []),
  ];
  const end = Math.min(plan.diskSizeBytes, ...starts);
  return { kind: 'post-mbr-gap', firstSector: 1, sectors: Math.max(0, Math.floor(end / SECTOR_BYTES) - 1) };
}

export interface GrubBiosInstall {
  area: GrubEmbeddingArea;
  coreSectors: number;
}

/** Embed core.img and write boot.img into sector 0 of a built image (after its tables are written). */
export function installGrubBios(image: SparseImage, plan: ImagePlan, bootImg: Uint8Array, coreImg: Uint8Array): GrubBiosInstall {
  assertBootImg(bootImg);
  const area = grubEmbeddingArea(plan);
  const coreSectors = coreImgSectors(coreImg);
  if (coreSectors > area.sectors) {
    const where = area.kind === 'bios-boot-partition' ? 'the BIOS boot partition' : 'the gap between the MBR and the first partition';
    throw new PartwrightError(ErrorCode.DoesNotFit, `GRUB core.img needs ${coreSectors} sectors but ${where} has ${area.sectors}; make it larger (1 MiB is usual).`, { where: 'boot.grubBios' });
  }
  image.write(area.firstSector * SECTOR_BYTES, encodeGrubCore(coreImg, area.firstSector));
  const sector0 = image.read(0, SECTOR_BYTES);
  image.write(0, encodeGrubMbr(bootImg, sector0, area.firstSector));
  return { area, coreSectors };
}
