/**
 * The SD card preset (NixOS sdImage, nixos/modules/installer/sd-card/sd-image.nix; FACTS.md): MBR
 * with disk ID 0x2178694e; partition 1 FIRMWARE at 8 MiB, 30 MiB, type 0x0B, bootable, FAT16 with
 * volume ID 0x2178694e and label FIRMWARE, files dated 2000-01-01; partition 2 the root NIXOS_SD
 * (ext4, UUID 44444444-4444-4444-8888-888888888888) from 38 MiB to the end. Optional U-Boot blobs at
 * the offsets the boot ROMs read, and an optional hybrid (GPT + MBR) variant.
 */
import type { BlobSpec, ImageSpec, PartitionSpec } from '../spec.ts';
import { PRESET_INPUTS as IN, presetInput, type PresetInput } from './inputs.ts';
import type { Preset } from './preset.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** sd-image.nix: firmwarePartitionID = "0x2178694e" (also the FAT volume ID). */
export const SD_DISK_ID = 0x2178694e;
/** make-ext4-fs.nix's default rootfs UUID. */
export const SD_ROOT_FS_UUID = '44444444-4444-4444-8888-888888888888';
/** 2000-01-01T00:00:00Z: sd-image.nix dates the firmware files so. */
export const SD_EPOCH = 946684800;

/**
 * The root's format. Undefined until Partwright makes ext4 (the partition is written empty); then
 * 'ext4' — label NIXOS_SD and the UUID above are already set.
 */
export const SD_ROOT_FORMAT: string | undefined = 'ext4';

/** Where boot ROMs look for U-Boot: Allwinner's at 8 KiB; Rockchip's idbloader at sector 64 and U-Boot at sector 16384. */
export type UbootSlot = 'none' | 'allwinner' | 'rockchip';

export interface SdCardOptions {
  uboot?: UbootSlot;
  /** GPT with a hybrid MBR mirroring FIRMWARE as entry 1 (Raspberry Pi firmware reads the MBR). */
  hybrid?: boolean;
  /** Root partition minimum size (default 128 MiB; sdImage grows it on first boot). */
  rootSizeMinBytes?: number;
}

export function sdCardPreset(options: SdCardOptions = {}): Preset {
  const uboot = options.uboot ?? 'none';
  const hybrid = options.hybrid ?? false;
  const blobs: BlobSpec[] = [];
  const inputs: PresetInput[] = [presetInput('firmware'), presetInput('rootfs')];
  // Rockchip's U-Boot at 8 MiB takes FIRMWARE's usual place: move FIRMWARE to 16 MiB (as NixOS
  // Rockchip images do with sdImage.firmwarePartitionOffset).
  let firmwareOffsetBytes = 8 * MiB;
  if (uboot === 'allwinner') {
    blobs.push({ name: 'u-boot-sunxi-with-spl', offsetBytes: 8 * KiB, source: IN.ubootSunxi });
    inputs.push(presetInput('ubootSunxi'));
  } else if (uboot === 'rockchip') {
    blobs.push({ name: 'idbloader', offsetBytes: 64 * 512, source: IN.rockchipIdbloader });
    blobs.push({ name: 'u-boot-itb', offsetBytes: 16384 * 512, source: IN.rockchipUbootItb });
    inputs.push(presetInput('rockchipIdbloader'), presetInput('rockchipUbootItb'));
    firmwareOffsetBytes = 16 * MiB;
  }

  const firmware: PartitionSpec = {
    type: 'linux-generic', label: 'FIRMWARE', format: 'vfat', fatType: 16, volumeId: SD_DISK_ID,
    mbrType: 0x0b, mbrBootable: true,
    copyFiles: [{ source: IN.firmware, target: '/' }],
    sizeMinBytes: 30 * MiB, sizeMaxBytes: 30 * MiB,
    ...(hybrid ? { hybridMbr: true } : {}),
  };
  const root: PartitionSpec = {
    type: 'linux-generic', label: 'NIXOS_SD', mbrType: 0x83,
    fileSystemUuid: SD_ROOT_FS_UUID,
    sizeMinBytes: options.rootSizeMinBytes ?? 128 * MiB,
    ...(SD_ROOT_FORMAT !== undefined ? { format: SD_ROOT_FORMAT, copyFiles: [{ source: IN.rootfs, target: '/' }] } : {}),
    ...(hybrid ? { hybridMbr: true } : {}),
  };

  const spec: ImageSpec = {
    table: hybrid ? 'hybrid' : 'mbr',
    sourceDateEpoch: SD_EPOCH,
    firstPartitionOffsetBytes: firmwareOffsetBytes,
    mbr: { diskId: SD_DISK_ID },
    partitions: [firmware, root],
    ...(blobs.length ? { blobs } : {}),
    // The GPT entry array (LBA 2–33) would cover Allwinner's SPL at 8 KiB (LBA 16): move it to
    // just below FIRMWARE (7 MiB), clear of the SPL (under 1 MiB) and of FIRMWARE.
    ...(hybrid && uboot === 'allwinner' ? { gpt: { entriesLba: (7 * MiB) / 512 } } : {}),
  };
  const suffix = [hybrid ? 'hybrid' : '', uboot !== 'none' ? uboot : ''].filter(Boolean).join(', ');
  return {
    name: ['sd-card', hybrid ? 'hybrid' : '', uboot !== 'none' ? uboot : ''].filter(Boolean).join('-'),
    title: `SD card${suffix ? ` (${suffix})` : ''}`,
    description: 'MBR card like NixOS sdImage: a FAT16 FIRMWARE partition at 8 MiB for the board firmware and a root partition NIXOS_SD from 38 MiB.'
      + (uboot === 'allwinner' ? ' U-Boot with SPL is written at 8 KiB for Allwinner boards.' : '')
      + (uboot === 'rockchip' ? ' idbloader at 32 KiB and U-Boot at 8 MiB for Rockchip boards; FIRMWARE moves to 16 MiB.' : '')
      + (hybrid ? ' The table is GPT with a hybrid MBR whose first entry is FIRMWARE.' : ''),
    like: 'NixOS sdImage',
    spec,
    boot: undefined,
    inputs,
    bootsWith: [],
  };
}
