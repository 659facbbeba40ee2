/**
 * Where presets expect their boot files, relative to the copy source root (the CLI's
 * --copy-source, the app's staged files). One place, so presets, docs and tests agree.
 */
export const PRESET_INPUTS = {
  kernel: '/boot/vmlinuz',
  initrd: '/boot/initrd',
  systemdBootEfi: '/boot/systemd-bootx64.efi',
  grubBootImg: '/boot/grub/i386-pc/boot.img',
  grubCoreImg: '/boot/grub/i386-pc/core.img',
  isolinuxBin: '/boot/isolinux/isolinux.bin',
  ldlinuxC32: '/boot/isolinux/ldlinux.c32',
  isohdpfxBin: '/boot/isolinux/isohdpfx.bin',
  /** The root file system's contents. */
  rootfs: '/rootfs',
  /** The read-only /usr (or Nix store) partition's contents (the appliance preset). */
  usr: '/usr',
  /** The installer ISO's store image contents: store path directories (and nix-path-registration) at its root. */
  nixStore: '/nix-store',
  /** The SD card's FIRMWARE partition contents (Raspberry Pi firmware, config.txt, U-Boot …). */
  firmware: '/firmware',
  /** U-Boot images written at fixed offsets on SD cards. */
  ubootSunxi: '/u-boot/u-boot-sunxi-with-spl.bin',
  rockchipIdbloader: '/u-boot/idbloader.img',
  rockchipUbootItb: '/u-boot/u-boot.itb',
} as const;

export interface PresetInput {
  /** Source path (relative to the copy source root). */
  path: string;
  /** What the file is, for a user choosing where it comes from. */
  description: string;
  /** Where Debian 12 has it, and where NixOS has it. */
  debian?: string;
  nix?: string;
  kind: 'file' | 'dir';
}

export const INPUT_HELP: Record<keyof typeof PRESET_INPUTS, Omit<PresetInput, 'path'>> = {
  kernel: { kind: 'file', description: 'Linux kernel (bzImage)', debian: 'linux-image-amd64: /boot/vmlinuz-*', nix: 'config.boot.kernelPackages.kernel + "/bzImage"' },
  initrd: { kind: 'file', description: 'initramfs that mounts the root named by root= on the command line', nix: 'config.system.build.initialRamdisk + "/initrd"' },
  systemdBootEfi: { kind: 'file', description: 'systemd-boot for x86-64 UEFI', debian: 'systemd-boot-efi: /usr/lib/systemd/boot/efi/systemd-bootx64.efi', nix: 'pkgs.systemd + "/lib/systemd/boot/efi/systemd-bootx64.efi"' },
  grubBootImg: { kind: 'file', description: "GRUB's MBR boot sector", debian: 'grub-pc-bin: /usr/lib/grub/i386-pc/boot.img', nix: 'pkgs.grub2 + "/lib/grub/i386-pc/boot.img"' },
  grubCoreImg: { kind: 'file', description: 'GRUB core.img (grub-mkimage -O i386-pc) whose embedded config reads grub/grub.cfg; see scripts/boot-assets.sh' },
  isolinuxBin: { kind: 'file', description: 'isolinux, the El Torito BIOS boot file of an ISO', debian: 'isolinux: /usr/lib/ISOLINUX/isolinux.bin', nix: 'pkgs.syslinux + "/share/syslinux/isolinux.bin"' },
  ldlinuxC32: { kind: 'file', description: "isolinux's core module, beside isolinux.bin", debian: 'syslinux-common: /usr/lib/syslinux/modules/bios/ldlinux.c32', nix: 'pkgs.syslinux + "/share/syslinux/ldlinux.c32"' },
  isohdpfxBin: { kind: 'file', description: 'isohybrid MBR boot code: the ISO also boots from a USB stick with BIOS', debian: 'isolinux: /usr/lib/ISOLINUX/isohdpfx.bin', nix: 'pkgs.syslinux + "/share/syslinux/isohdpfx.bin"' },
  rootfs: { kind: 'dir', description: 'contents of the root file system' },
  nixStore: { kind: 'dir', description: "contents of the ISO's /nix-store.squashfs: each /nix/store path's directory (and nix-path-registration) at its root, or use StorePaths= on that definition", nix: 'closureInfo { rootPaths = [ config.system.build.toplevel ]; } (isoImage.storeContents)' },
  usr: { kind: 'dir', description: 'contents of the read-only /usr (or Nix store) partition, protected by dm-verity', nix: 'the closure of config.system.build.toplevel (image.repart.verityStore)' },
  firmware: { kind: 'dir', description: 'contents of the FIRMWARE partition', nix: 'sdImage.populateFirmwareCommands' },
  ubootSunxi: { kind: 'file', description: 'U-Boot with SPL for Allwinner boards, written at 8 KiB', nix: 'pkgs.ubootXxx + "/u-boot-sunxi-with-spl.bin"' },
  rockchipIdbloader: { kind: 'file', description: 'Rockchip idbloader (TPL+SPL), written at 32 KiB (sector 64)', nix: 'pkgs.ubootXxx + "/idbloader.img"' },
  rockchipUbootItb: { kind: 'file', description: 'Rockchip U-Boot FIT image, written at 8 MiB (sector 16384)', nix: 'pkgs.ubootXxx + "/u-boot.itb"' },
};

export function presetInput(key: keyof typeof PRESET_INPUTS): PresetInput {
  return { path: PRESET_INPUTS[key], ...INPUT_HELP[key] };
}
