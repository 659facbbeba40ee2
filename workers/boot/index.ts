/** Bootloader installation: systemd-boot entries, GRUB for BIOS, and building a bootable image. */
export type { BootSpec, BootEntrySpec, SystemdBootSpec, GrubBiosSpec } from './boot-spec.ts';
export { buildBootableImage, planBootFiles, GENERATED_PREFIX, type BootBuildResult, type BootFiles } from './build-boot-image.ts';
export { encodeLoaderConf, encodeLoaderEntry, loaderEntryPath, SYSTEMD_BOOT_PATHS, type LoaderConf, type LoaderEntry } from './systemd-boot.ts';
export { encodeGrubConfig, type GrubMenuEntry } from './grub-config.ts';
export { BOOT_IMG, BLOCKLIST, encodeGrubMbr, encodeGrubCore, grubEmbeddingArea, installGrubBios, coreImgSectors, type GrubEmbeddingArea, type GrubBiosInstall } from './grub-bios.ts';
export { partitionIdentity, expandCmdline, deriveFileSystemUuid, findPartitionByLabel, type PartitionIdentity } from './root-identity.ts';
