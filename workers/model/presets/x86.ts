/**
 * x86-64 disk presets: the repart disk (UEFI, systemd-boot), the VM disk (BIOS and UEFI, like
 * make-disk-image's `hybrid`) and its MBR-only `legacy` variant.
 */
import { EXTRA_TYPE_GUIDS } from '../partition-types.ts';
import type { PartitionSpec } from '../spec.ts';
import { DEFAULT_SEED } from '../spec.ts';
import type { BootEntrySpec } from '../../boot/boot-spec.ts';
import { PRESET_INPUTS as IN, presetInput } from './inputs.ts';
import { DEFAULT_CMDLINE, ROOT_FORMAT, type Preset } from './preset.ts';

const MiB = 1024 * 1024;
/** SOURCE_DATE_EPOCH of preset builds: 1980-01-01, the earliest time FAT can store. */
const EPOCH = 315532800;

const entry: BootEntrySpec = { id: 'linux', title: 'Linux', kernel: IN.kernel, initrd: IN.initrd, cmdline: DEFAULT_CMDLINE };

/**
 * 512 MiB ESP and root: FAT32 below 260 MB gets 512-byte clusters (mkfs.fat and Microsoft's table),
 * which makes BIOS GRUB read a kernel one sector a call (three times slower to boot here).
 */
const esp: PartitionSpec = { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 512 * MiB, sizeMaxBytes: 512 * MiB };

const root: PartitionSpec = {
  type: 'root', label: 'root', format: ROOT_FORMAT,
  copyFiles: [{ source: IN.rootfs, target: '/' }],
  sizeMinBytes: 512 * MiB,
};

const biosBoot: PartitionSpec = { type: EXTRA_TYPE_GUIDS.biosBoot, label: 'BIOS', sizeMinBytes: 1 * MiB, sizeMaxBytes: 1 * MiB };

export const repartDisk: Preset = {
  name: 'repart-disk',
  title: 'UEFI disk (systemd-repart style)',
  description: 'GPT disk with an ESP holding systemd-boot, a loader entry and the kernel, and a root partition. Boots on UEFI machines and VMs.',
  like: 'NixOS image.repart',
  spec: { table: 'gpt', seed: DEFAULT_SEED, sourceDateEpoch: EPOCH, partitions: [esp, root] },
  boot: { bootPartition: 'ESP', rootPartition: 'root', entries: [entry], systemdBoot: { efi: IN.systemdBootEfi } },
  inputs: [presetInput('kernel'), presetInput('initrd'), presetInput('systemdBootEfi'), presetInput('rootfs')],
  bootsWith: ['ovmf'],
};

export const vmDisk: Preset = {
  name: 'vm-disk',
  title: 'VM disk, BIOS and UEFI',
  description: "GPT disk with a 1 MiB BIOS boot partition holding GRUB's core.img, an ESP with systemd-boot and the kernel, and a root partition. Boots with legacy BIOS and with UEFI.",
  like: "NixOS make-disk-image, partitionTableType = \"hybrid\"",
  spec: { table: 'gpt', seed: DEFAULT_SEED, sourceDateEpoch: EPOCH, partitions: [biosBoot, esp, root] },
  boot: {
    bootPartition: 'ESP', rootPartition: 'root', entries: [entry],
    systemdBoot: { efi: IN.systemdBootEfi },
    grubBios: { bootImg: IN.grubBootImg, coreImg: IN.grubCoreImg },
  },
  inputs: [presetInput('kernel'), presetInput('initrd'), presetInput('systemdBootEfi'), presetInput('grubBootImg'), presetInput('grubCoreImg'), presetInput('rootfs')],
  bootsWith: ['seabios', 'ovmf'],
};

export const vmDiskLegacy: Preset = {
  name: 'vm-disk-legacy',
  title: 'VM disk, BIOS only (MBR)',
  description: "MBR disk with one bootable root partition; GRUB's core.img sits in the gap after the MBR and the kernel in /boot. Boots with legacy BIOS.",
  like: "NixOS make-disk-image, partitionTableType = \"legacy\"",
  spec: { table: 'mbr', seed: DEFAULT_SEED, sourceDateEpoch: EPOCH, partitions: [{ ...root, mbrBootable: true }] },
  boot: {
    bootPartition: 'root', bootDirectory: '/boot', rootPartition: 'root', entries: [entry],
    grubBios: { bootImg: IN.grubBootImg, coreImg: IN.grubCoreImg },
  },
  inputs: [presetInput('kernel'), presetInput('initrd'), presetInput('grubBootImg'), presetInput('grubCoreImg'), presetInput('rootfs')],
  bootsWith: ['seabios'],
};
