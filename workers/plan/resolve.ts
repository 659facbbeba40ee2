/**
 * Phase 1: turn partition specs into repart's parsed form (partition_read_definition and its
 * config parsers): resolved type GUIDs, sizes rounded like config_parse_size4096 (SizeMinBytes= and
 * PaddingMinBytes= down, SizeMaxBytes= and PaddingMaxBytes= up to 4096), default weights 1000 and 0.
 */
import type { Architecture } from '../model/partition-types.ts';
import { resolvePartitionType } from '../model/partition-types.ts';
import { impliedFormat } from '../model/implied-format.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec, RepartVersion } from '../model/spec.ts';
import type { WorkPartition } from './context.ts';
import { roundDown, roundUp, MiB } from './rounding.ts';

/** config_parse_size4096 rounds to 4096 regardless of the sector size. */
export const SIZE_ROUNDING_BYTES = 4096;
/** repart.c DEFAULT_MIN_SIZE: the minimum when SizeMinBytes= is not set. */
export const DEFAULT_MIN_SIZE_BYTES = 10 * MiB;
/** repart.c HARD_MIN_SIZE. */
export const HARD_MIN_SIZE_BYTES = 4096;
/** repart.c VERITY_SIG_SIZE. */
export const VERITY_SIG_SIZE_BYTES = HARD_MIN_SIZE_BYTES * 4;
/** repart.c LUKS2_METADATA_SIZE. */
export const LUKS2_METADATA_SIZE_BYTES = 16 * MiB;
export const DEFAULT_WEIGHT = 1000;
export const DEFAULT_PADDING_WEIGHT = 0;
/**
 * resize-fs.h minimal_size_by_fs_name(): the smallest file systems mkfs makes; other formats count as
 * one grain. v252 had ext4 1 MiB and xfs 14 MiB; the newest has ext4 32 MiB and xfs 300 MiB.
 */
const MINIMAL_FS_SIZE_BYTES: Record<RepartVersion, Record<string, number>> = {
  '252': { ext4: 1 * MiB, xfs: 14 * MiB, btrfs: 256 * MiB },
  latest: { ext4: 32 * MiB, xfs: 300 * MiB, btrfs: 256 * MiB },
};
/** repart.c ESP_MIN_SIZE / ESP_MIN_SIZE_4K (v254+): a vfat ESP or XBOOTLDR on ≥ 4 KiB file-system sectors needs 260 MiB. */
const ESP_MIN_SIZE_BYTES = 100 * MiB;
const ESP_MIN_SIZE_4K_BYTES = 260 * MiB;
/** repart.c DEFAULT_FILESYSTEM_SECTOR_SIZE (newest): file systems use 4 KiB sectors unless the disk's are larger. */
const DEFAULT_FILESYSTEM_SECTOR_SIZE = 4096;
const ESP_GUID = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const XBOOTLDR_GUID = 'bc13c2ff-59e6-4262-a352-b275fd6f7172';
/** fstype_is_ro(): file systems that cannot take possession of extra space (newest: no 10 MiB default minimum). */
const READ_ONLY_FORMATS = ['squashfs', 'erofs', 'iso9660'];

/**
 * `Flags=` as repart 252 parses it (safe_atou64, i.e. strtoull base 0): `0x…` hex, a leading `0`
 * octal, otherwise decimal. Returns undefined when it is not a valid unsigned 64-bit number.
 */
export function parseGptFlags(text: string): bigint | undefined {
  const s = text.trim();
  let value: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) value = BigInt(s);
  else if (/^0[0-7]*$/.test(s)) value = s === '0' ? 0n : BigInt(`0o${s.slice(1)}`);
  else if (/^[1-9][0-9]*$/.test(s)) value = BigInt(s);
  else return undefined;
  return value <= 0xffff_ffff_ffff_ffffn ? value : undefined;
}

export interface ResolveOptions {
  version: RepartVersion;
  sectorSizeBytes: number;
  architecture: Architecture;
  grainBytes: number;
  /** Sizes of `CopyBlocks=` sources, keyed by the path as written in the spec. */
  copyBlocksSizes: Record<string, number> | undefined;
}

/**
 * partition_fstype_min_size(): what Format= needs at least, or undefined when unknown (one grain).
 * The ESP minimum is for the FAT32 repart makes; Partwright's FATType=12/16 and Minimize= (sized from
 * the content) are left to their own limits.
 */
function fstypeMinBytes(spec: PartitionSpec, format: string, typeGuid: string, options: ResolveOptions): number | undefined {
  // A minimized file system is made first and its image copied in: the newest context_minimize()
  // sets copy_blocks_size, so partition_min_size() takes that branch and no Format= minimum applies.
  if ((spec.minimize ?? 'off') !== 'off') return undefined;
  const fat32 = (spec.fatType ?? 32) === 32;
  if (options.version === 'latest' && format === 'vfat' && fat32 && (typeGuid === ESP_GUID || typeGuid === XBOOTLDR_GUID)) {
    return Math.max(DEFAULT_FILESYSTEM_SECTOR_SIZE, options.sectorSizeBytes) >= 4096 ? ESP_MIN_SIZE_4K_BYTES : ESP_MIN_SIZE_BYTES;
  }
  return MINIMAL_FS_SIZE_BYTES[options.version][format];
}

function contentMinBytes(spec: PartitionSpec, typeGuid: string, options: ResolveOptions): number {
  // partition_min_size(): what Format=/Encrypt=/CopyBlocks= need, for a new partition.
  let bytes = 0;
  const encrypted = spec.encrypt !== undefined && spec.encrypt !== 'off' && spec.encrypt !== 'no';
  if (encrypted) bytes += roundUp(LUKS2_METADATA_SIZE_BYTES, options.grainBytes);
  const copyBlocksSize = spec.copyBlocks !== undefined ? options.copyBlocksSizes?.[spec.copyBlocks] : undefined;
  // The file system repart picks when Format= is not set (impliedFormat(): ext4, vfat on esp/xbootldr
  // in the newest, swap for swap partitions in the newest).
  const format = impliedFormat(spec, options.version, options.architecture);
  if (copyBlocksSize !== undefined) bytes += roundUp(copyBlocksSize, options.grainBytes);
  else if (format !== undefined || encrypted) {
    const fs = format !== undefined ? fstypeMinBytes(spec, format, typeGuid, options) : undefined;
    bytes += fs !== undefined ? roundUp(fs, options.grainBytes) : options.grainBytes;
  }
  return bytes;
}

export function resolvePartition(spec: PartitionSpec, specIndex: number, options: ResolveOptions): WorkPartition {
  const type = resolvePartitionType(spec.type, options.architecture);
  if (!type) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Unknown partition type: ${spec.type}`, {
      where: `partitions.${specIndex}.type`,
    });
  }
  return {
    specIndex,
    spec,
    typeGuid: type.guid,
    priority: spec.priority ?? 0,
    weight: spec.weight ?? DEFAULT_WEIGHT,
    paddingWeight: spec.paddingWeight ?? DEFAULT_PADDING_WEIGHT,
    sizeMinBytes: spec.sizeMinBytes !== undefined ? roundDown(spec.sizeMinBytes, SIZE_ROUNDING_BYTES) : undefined,
    sizeMaxBytes: spec.sizeMaxBytes !== undefined ? roundUp(spec.sizeMaxBytes, SIZE_ROUNDING_BYTES) : undefined,
    paddingMinBytes:
      spec.paddingMinBytes !== undefined ? roundDown(spec.paddingMinBytes, SIZE_ROUNDING_BYTES) : undefined,
    paddingMaxBytes:
      spec.paddingMaxBytes !== undefined ? roundUp(spec.paddingMaxBytes, SIZE_ROUNDING_BYTES) : undefined,
    contentMinBytes: contentMinBytes(spec, type.guid, options),
    // Newest partition_min_size(): no 10 MiB default for read-only file systems and verity partitions,
    // whose size comes from their content — in Partwright, when Minimize= sizes them from it.
    defaultMinBytes:
      options.version === 'latest' && (spec.minimize ?? 'off') !== 'off' &&
      ((spec.format !== undefined && READ_ONLY_FORMATS.includes(spec.format)) || (spec.verity ?? 'off') !== 'off')
        ? 1
        : DEFAULT_MIN_SIZE_BYTES,
    veritySignature: spec.verity === 'signature',
    current: undefined,
    foreign: false,
    dropped: false,
    droppedReason: undefined,
    supplementFor: undefined,
    suppressing: undefined,
    allocatedTo: undefined,
    paddingArea: undefined,
    newSizeBytes: undefined,
    newPaddingBytes: undefined,
    offsetBytes: undefined,
    partno: undefined,
    logical: false,
    label: undefined,
    uuid: undefined,
  };
}

/** Resolve every definition, in order (repart reads them sorted by file name; the spec's order is that order). */
export function resolvePartitions(spec: ImageSpec, options: ResolveOptions): WorkPartition[] {
  return spec.partitions.map((p, i) => resolvePartition(p, i, options));
}
