/**
 * What a user asks for: an image spec and its partition specs, with systemd-repart's keys in
 * TypeScript casing (repart.d's `SizeMinBytes=` is `sizeMinBytes`). Specs are plain JSON-safe data
 * (they are autosaved, shared in links and cross comlink); optional means "repart's default".
 * The planner never mutates a spec; it returns an `ImagePlan` (workers/plan/types.ts).
 */
import type { CloudInitSpec } from './cloud-init.ts';
import type { Architecture } from './partition-types.ts';

/** `iso`: the image is an ISO9660 file system (El Torito, optionally isohybrid), not a partitioned disk. */
export type TableType = 'gpt' | 'mbr' | 'hybrid' | 'iso';
/** Every power of two from 512 to 4096, as repart and libfdisk accept. */
export type SectorSize = 512 | 1024 | 2048 | 4096;
export type MinimizeMode = 'off' | 'best' | 'guess';
/**
 * Which systemd-repart to behave like where versions differ: `latest` (the newest, the default) or
 * `252` (Debian 12's, reproduced exactly). docs/repart-compat.md lists the differences.
 */
export type RepartVersion = '252' | 'latest';
/**
 * systemd-repart's `--empty=` (`Empty=`): what happens to a base image's partition table. `refuse`
 * (the default with a base image) needs a GPT, `allow` takes a GPT or an unlabelled image, `require`
 * only an unlabelled one, `force` starts over, `create` makes a new image (workers/build/empty-mode.ts).
 */
export const EMPTY_MODES = ['refuse', 'allow', 'require', 'force', 'create'] as const;
export type EmptyMode = (typeof EMPTY_MODES)[number];

/** One `MakeSymlinks=PATH:TARGET` entry (repart ≥ 257): a symlink at `path` pointing at `target`. */
export interface SymlinkEntry {
  path: string;
  target: string;
}

/** One `MountPoint=WHERE[:OPTIONS]` entry (repart ≥ 256): an fstab line for `--generate-fstab=`. */
export interface MountPointEntry {
  where: string;
  options?: string;
}

/** One `CopyFiles=SOURCE[:TARGET]` entry. `source` is resolved against the copy source root. */
export interface CopyFilesEntry {
  source: string;
  target: string;
  /** The newest repart's third field (`SOURCE:TARGET:OPTIONS`): comma-separated, e.g. `fsverity=off`. */
  options?: string;
}

export interface PartitionSpec {
  /** `Type=`: a repart identifier (`esp`, `root-arm64`, `root`…) or a raw type GUID. Required. */
  type: string;
  /** `Label=`; default: the type's identifier, with `-2`, `-3`… for repeats. */
  label?: string;
  /** `UUID=`; default derived from the seed. `'null'` is repart's all-zero UUID. */
  uuid?: string;
  /** `Priority=`: when space is short the highest priorities are dropped first (≤ 0 never). */
  priority?: number;
  /** `Weight=` (0…1000000, default 1000). */
  weight?: number;
  /** `PaddingWeight=` (0…1000000, default 0). */
  paddingWeight?: number;
  sizeMinBytes?: number;
  sizeMaxBytes?: number;
  paddingMinBytes?: number;
  paddingMaxBytes?: number;
  factoryReset?: boolean;
  /** `CopyBlocks=`: a path (resolved against the copy source) or `auto`. */
  copyBlocks?: string;
  /** `Format=`: vfat, ext4, swap, … */
  format?: string;
  copyFiles?: CopyFilesEntry[];
  makeDirectories?: string[];
  /** `ExcludeFiles=` (repart ≥ 254): source paths (under the copy source) not copied; a trailing `/` keeps the directory itself. */
  excludeFiles?: string[];
  /** `ExcludeFilesTarget=` (repart ≥ 254): paths in the new file system nothing is copied into; trailing `/` as above. */
  excludeFilesTarget?: string[];
  /** `MakeSymlinks=` (repart ≥ 257): symlinks created in the new file system after CopyFiles= and MakeDirectories=. */
  makeSymlinks?: SymlinkEntry[];
  /**
   * `SupplementFor=` (repart ≥ 257): the definition (file name without `.conf`) this one supplements:
   * it is merged into that one and only created when the merged partition cannot be placed.
   */
  supplementFor?: string;
  /** `VolumeLabel=` (repart ≥ 256): the LUKS superblock's label (only with `Encrypt=`). */
  volumeLabel?: string;
  /** `MountPoint=` (repart ≥ 256): where `--generate-fstab=` mounts this partition. */
  mountPoints?: MountPointEntry[];
  /** `Discard=` (repart ≥ 258): allow discards through the LUKS volume (only with `Encrypt=`). */
  discard?: boolean;
  /** `Minimize=` (repart ≥ 253). */
  minimize?: MinimizeMode;
  /** `Compression=` (repart ≥ 257): the compressor of a squashfs or erofs file system (gzip, zstd, lz4, lz4hc, …). */
  compression?: string;
  /** `CompressionLevel=` (repart ≥ 257): the compressor's level. */
  compressionLevel?: number;
  /** `Flags=`: the 64-bit GPT attribute field, as written (decimal or 0x-hex). */
  flags?: string;
  readOnly?: boolean;
  noAuto?: boolean;
  growFileSystem?: boolean;
  /** `Encrypt=`: carried, not acted on yet. */
  encrypt?: string;
  /** `Verity=`: off, data, hash or signature. */
  verity?: string;
  verityMatchKey?: string;
  /** `VerityDataBlockSizeBytes=` (repart 255; on the hash partition): 512…4096, default the explicit sector size or 4096. */
  verityDataBlockSizeBytes?: number;
  /** `VerityHashBlockSizeBytes=` (repart 255; on the hash partition). */
  verityHashBlockSizeBytes?: number;
  splitName?: string;

  // ---- Partwright's additions ([X-Partwright] section in repart.d files) ----
  /** MBR partition type byte for `mbr`/`hybrid` tables (default from the GPT type: ESP 0xEF, swap 0x82, else 0x83). */
  mbrType?: number;
  /** MBR bootable flag (status 0x80). */
  mbrBootable?: boolean;
  /** For `hybrid` tables: mirror this partition into the MBR (at most 3). */
  hybridMbr?: boolean;
  /** FAT type for `Format=vfat` (default 32, as systemd-repart forces; NixOS's sdImage uses 16). */
  fatType?: 12 | 16 | 32;
  /** FAT volume ID (serial number); default derived from the partition UUID as repart does. */
  volumeId?: number;
  /** File system UUID (ext4 and others); default derived from the partition UUID as repart does. */
  fileSystemUuid?: string;
  // ---- Table=iso: on the Format=iso9660 definition (its Label= is the volume ID) ----
  /** Path inside the ISO of the BIOS El Torito boot file (isolinux.bin; boot-info table patched). */
  isoBiosBoot?: string;
  /** isohybrid MBR boot code file (syslinux's isohdpfx.bin): the ISO then also boots as a disk. */
  isoHybridMbr?: string;
  /** Path inside the ISO of the EFI El Torito image made from the layout's ESP (default /boot/efi.img). */
  isoEfiImage?: string;
  isoPublisher?: string;
  isoApplication?: string;
  /** Paths placed first in the ISO, in this order (after the boot files). */
  isoFileOrder?: string[];
  /**
   * Table=iso, on a Format=squashfs definition: the file inside the ISO its image becomes (NixOS:
   * `/nix-store.squashfs`). Its StorePaths= closures are laid out as NixOS's store image: each store
   * path's directory and `nix-path-registration` at the image's root.
   */
  isoPath?: string;
  /** Nix store paths whose closures go into this partition. */
  storePaths?: string[];
  /** The `*.conf` file this definition came from (for messages and export); not a repart key. */
  sourceName?: string;
}

/** Bytes written at a fixed offset outside any partition (U-Boot SPL, idbloader, …). */
export interface BlobSpec {
  /** A short name shown in plans and messages ("u-boot-spl"). */
  name: string;
  offsetBytes: number;
  /** Path of the file with the bytes (resolved against the copy source in the CLI). */
  source?: string;
  /** Size when no source is read yet (the app, before the file is staged); otherwise the file's size. */
  sizeBytes?: number;
}

export interface GptSettings {
  /** LBA of the primary entry array (default 2); move it to make room for blobs. */
  entriesLba?: number;
  /** Number of entries (default 128). */
  entryCount?: number;
}

export interface MbrSettings {
  /** The 32-bit disk identifier at byte 440 (default derived from the seed). */
  diskId?: number;
  /** For hybrid tables: put the 0xEE protective entry first instead of last. */
  protectiveFirst?: boolean;
}

export interface BaseImageSpec {
  /** Path (CLI) or name (app) of the existing image whose partitions are kept. */
  source: string;
  /** Write into the base image itself instead of a copy. */
  inPlace?: boolean;
}

export interface ImageSpec {
  table: TableType;
  /** 512 (default), 1024, 2048 or 4096. */
  sectorSizeBytes?: SectorSize;
  /** Disk size in bytes, or `'auto'` (default): the smallest that holds every partition's minimum. */
  sizeBytes?: number | 'auto';
  /** `--repart-version=`: whose placement rules to follow (default `latest`). */
  repartVersion?: RepartVersion;
  /** `--seed=`: the UUID from which disk and partition UUIDs are derived. */
  seed?: string;
  /**
   * Root that absolute `CopyFiles=`/`CopyBlocks=` sources resolve against (systemd-repart's
   * --copy-source=); relative to the layout's folder. The CLI's --copy-source overrides it.
   */
  copySource?: string;
  /** SOURCE_DATE_EPOCH: the time stamped on every file system entry (default 0 = 1970-01-01; FAT clamps to 1980). */
  sourceDateEpoch?: number;
  /** What `Type=root` and friends mean (default x86-64). */
  architecture?: Architecture;
  /** Byte offset of the first partition (default 1 MiB, as repart's first usable LBA 2048). */
  firstPartitionOffsetBytes?: number;
  gpt?: GptSettings;
  mbr?: MbrSettings;
  base?: BaseImageSpec;
  /**
   * `GrainSize=` (repart ≥ 261's `--grain-size=`): placement granularity in bytes, a power of two
   * ≥ 512; the grain is max(it or 4096, sector size). The CLI's --grain-size= overrides it.
   */
  grainSizeBytes?: number;
  /**
   * `DeferPartitions=` (repart ≥ 255's `--defer-partitions=`): new partitions of these types
   * (identifiers or GUIDs) are planned but not written. The CLI's --defer-partitions= overrides it.
   */
  deferPartitions?: string[];
  /** `Empty=` (repart's `--empty=`): what is done with the base image's table (default `refuse` with a base image). */
  empty?: EmptyMode;
  /**
   * `CopyFrom=` (repart ≥ 255's `--copy-from=`): images whose partitions are copied in before the
   * layout's own; paths resolved as BaseImage= is. The CLI's --copy-from= flags override them.
   */
  copyFrom?: string[];
  partitions: PartitionSpec[];
  blobs?: BlobSpec[];
  /**
   * First boot (`[X-Partwright-CloudInit]`): hostname, user, SSH keys, Wi-Fi, locale written as a
   * cloud-init NoCloud seed into a vfat partition (workers/model/cloud-init.ts).
   */
  cloudInit?: CloudInitSpec;
  /** `Preset=`: the preset (workers/model/presets) whose boot installation and own files a build adds. */
  preset?: string;
}

/** nixpkgs' image.repart default seed: Partwright's default so that the same layout gives the same bytes. */
export const DEFAULT_SEED = '0867da16-f251-457d-a9e8-c31f9a3c220b';
export const DEFAULT_ARCHITECTURE: Architecture = 'x86-64';
