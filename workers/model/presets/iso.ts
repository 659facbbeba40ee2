/**
 * The installer ISO (like NixOS's isoImage): an ISO9660 file system (Rock Ridge, Joliet) holding the
 * kernel and initrd, booted by isolinux through a BIOS El Torito entry and by systemd-boot through an
 * EFI El Torito entry (a FAT image made from the ESP definition, which holds its own copy of the
 * kernel and initrd: systemd-boot loads only from the volume it started from), and an isohybrid MBR +
 * GPT so the same file boots from a USB stick. The kernel finds its root, the ISO itself, by the
 * volume ID (`root=LABEL=`), on a CD-ROM or on a disk.
 *
 * The Nix store goes into `/nix-store.squashfs` (zstd, level 19, as NixOS's isoImage), made from
 * the store definition's CopyFiles= or its StorePaths= closures; the initrd mounts it (NixOS: at
 * /nix/.ro-store under an overlay).
 *
 * An ISO has no partitions for the boot installer (workers/boot) to write loader files into, so the
 * preset brings them: `files` (isolinux.cfg, loader.conf, the loader entry), written from the same
 * command line and paths as the layout.
 */
import { DEFAULT_SEED, type PartitionSpec } from '../spec.ts';
import { PRESET_INPUTS as IN, presetInput } from './inputs.ts';
import type { Preset } from './preset.ts';

/** SOURCE_DATE_EPOCH of the ISO and its EFI image: 1980-01-01, the earliest time FAT can store. */
const EPOCH = 315532800;

/** The ISO's volume ID (its `Label=`): what `root=LABEL=` names. d-characters only, ≤ 32. */
export const ISO_VOLUME_ID = 'PARTWRIGHT_ISO';

/** Where the kernel and initrd are, inside the ISO and inside its EFI image alike. */
export const ISO_KERNEL = '/boot/bzImage';
export const ISO_INITRD = '/boot/initrd';

/** The command line of both loaders: the root is the ISO, found by its volume ID. */
export const ISO_CMDLINE = `root=LABEL=${ISO_VOLUME_ID} rootfstype=iso9660 console=ttyS0,115200 panic=-1`;

/** Where the store image goes inside the ISO (NixOS's path). */
export const ISO_STORE_IMAGE = '/nix-store.squashfs';

/** Copy-source paths of the files the preset brings (its `files`). */
export const ISO_PRESET_FILES = {
  isolinuxCfg: '/iso/isolinux.cfg',
  /** Copied onto the EFI image's root: `loader/loader.conf`, `loader/entries/installer.conf`. */
  efiTree: '/iso/efi',
} as const;

const ISOLINUX_CFG = [
  'SERIAL 0 115200',
  'PROMPT 0',
  'TIMEOUT 1',
  'DEFAULT installer',
  'LABEL installer',
  '  MENU LABEL Installer',
  `  LINUX ${ISO_KERNEL}`,
  `  INITRD ${ISO_INITRD}`,
  `  APPEND ${ISO_CMDLINE}`,
  '',
].join('\n');

const LOADER_CONF = ['timeout 0', 'default installer.conf', 'console-mode keep', ''].join('\n');

const LOADER_ENTRY = ['title Installer', `linux ${ISO_KERNEL}`, `initrd ${ISO_INITRD}`, `options ${ISO_CMDLINE}`, ''].join('\n');

/** The ISO's contents: the user's files, the kernel and initrd, isolinux and its config. */
const iso: PartitionSpec = {
  type: 'linux-generic',
  label: ISO_VOLUME_ID,
  format: 'iso9660',
  copyFiles: [
    { source: IN.rootfs, target: '/' },
    { source: IN.kernel, target: ISO_KERNEL },
    { source: IN.initrd, target: ISO_INITRD },
    { source: IN.isolinuxBin, target: '/isolinux/isolinux.bin' },
    { source: IN.ldlinuxC32, target: '/isolinux/ldlinux.c32' },
    { source: ISO_PRESET_FILES.isolinuxCfg, target: '/isolinux/isolinux.cfg' },
  ],
  isoBiosBoot: '/isolinux/isolinux.bin',
  isoHybridMbr: IN.isohdpfxBin,
  isoEfiImage: '/boot/efi.img',
  isoApplication: 'Partwright',
  // Boot files first (after the El Torito images), as NixOS's isoImage sorts them.
  isoFileOrder: ['/isolinux/ldlinux.c32', '/isolinux/isolinux.cfg', ISO_KERNEL, ISO_INITRD],
};

/** The store image: a squashfs file inside the ISO (ISOPath=), not a partition. */
const store: PartitionSpec = {
  type: 'linux-generic',
  label: 'nix-store',
  format: 'squashfs',
  compression: 'zstd',
  compressionLevel: 19,
  isoPath: ISO_STORE_IMAGE,
  copyFiles: [{ source: IN.nixStore, target: '/' }],
};

/** The EFI El Torito image (and the isohybrid GPT's ESP): systemd-boot, its entry, kernel and initrd. */
const efiImage: PartitionSpec = {
  type: 'esp',
  label: 'EFIBOOT',
  format: 'vfat',
  copyFiles: [
    { source: IN.systemdBootEfi, target: '/EFI/BOOT/BOOTX64.EFI' },
    { source: ISO_PRESET_FILES.efiTree, target: '/' },
    { source: IN.kernel, target: ISO_KERNEL },
    { source: IN.initrd, target: ISO_INITRD },
  ],
};

export const installerIso: Preset = {
  name: 'installer-iso',
  title: 'Installer ISO (BIOS and UEFI, CD-ROM and USB stick)',
  description: 'ISO9660 image with the kernel and initrd, the Nix store in /nix-store.squashfs, isolinux for BIOS and systemd-boot for UEFI, and an isohybrid MBR + GPT, so one file boots from a CD-ROM or a USB stick on either firmware. The kernel finds the ISO by its volume ID.',
  like: 'NixOS isoImage',
  spec: { table: 'iso', seed: DEFAULT_SEED, sourceDateEpoch: EPOCH, partitions: [iso, efiImage, store] },
  boot: undefined,
  files: {
    [ISO_PRESET_FILES.isolinuxCfg]: ISOLINUX_CFG,
    [`${ISO_PRESET_FILES.efiTree}/loader/loader.conf`]: LOADER_CONF,
    [`${ISO_PRESET_FILES.efiTree}/loader/entries/installer.conf`]: LOADER_ENTRY,
  },
  inputs: [
    presetInput('kernel'),
    { ...presetInput('initrd'), description: `initramfs that finds the ISO by its volume ID (root=LABEL=${ISO_VOLUME_ID}), mounts it and the store image ${ISO_STORE_IMAGE} in it` },
    presetInput('systemdBootEfi'),
    presetInput('isolinuxBin'),
    presetInput('ldlinuxC32'),
    presetInput('isohdpfxBin'),
    { ...presetInput('rootfs'), description: "files at the ISO's root (the live system, …)" },
    presetInput('nixStore'),
  ],
  bootsWith: ['ovmf', 'seabios'],
};
