/**
 * What a layout asks a bootloader to do: which partition holds the kernels and loader files, which
 * partition is the root, the boot entries (kernel, initrd, command line) and which loaders to
 * install. Plain JSON-safe data like `ImageSpec`; the boot files themselves (systemd-boot's EFI
 * binary, GRUB's images, kernels) are inputs named by path, resolved by the host like `CopyFiles=`
 * sources.
 */

/** One boot menu entry. Paths are source paths (resolved like `CopyFiles=` sources). */
export interface BootEntrySpec {
  /** Short identifier: the loader entry's file name (`<id>.conf`) and the folder its kernel goes to. */
  id: string;
  title: string;
  kernel: string;
  initrd?: string;
  /**
   * Kernel command line. Planned values of the root partition can be named, so an entry always
   * matches the layout it was built with: `{root.partuuid}`, `{root.fsuuid}`, `{root.label}`
   * (file system label), `{root.partlabel}` (GPT partition name), `{root.device}` (the
   * `PARTUUID=…` form of `root=`).
   */
  cmdline: string;
}

/** systemd-boot on the ESP: `EFI/BOOT/BOOTX64.EFI`, `loader/loader.conf`, `loader/entries/*.conf`. */
export interface SystemdBootSpec {
  /** Source path of `systemd-bootx64.efi` (Debian: systemd-boot-efi; Nix: systemd's `lib/systemd/boot/efi`). */
  efi: string;
  /** `timeout` in loader.conf (seconds; 0 boots the default entry at once). Default 0. */
  timeoutSeconds?: number;
}

/** GRUB for BIOS: boot.img into the MBR, core.img into the BIOS boot partition or the post-MBR gap. */
export interface GrubBiosSpec {
  /** Source path of GRUB's `boot.img` (grub-pc-bin: /usr/lib/grub/i386-pc/boot.img). */
  bootImg: string;
  /**
   * Source path of a `core.img` made by `grub-mkimage -O i386-pc` whose embedded config finds and
   * reads `grub/grub.cfg` (see scripts/boot-assets.sh); Partwright writes grub.cfg from the entries.
   */
  coreImg: string;
}

export interface BootSpec {
  /**
   * Label of the partition (a FAT file system) that receives kernels, initrds and loader files:
   * the ESP, or the root itself for an MBR disk without one.
   */
  bootPartition: string;
  /** Folder inside the boot partition for loader files and kernels: `/` on an ESP, `/boot` on a root. Default `/`. */
  bootDirectory?: string;
  /** Label of the root partition the command line's `{root.*}` values come from. */
  rootPartition: string;
  entries: BootEntrySpec[];
  systemdBoot?: SystemdBootSpec;
  grubBios?: GrubBiosSpec;
}
