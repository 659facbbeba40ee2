/**
 * What the planner returns: every number resolved, nothing optional. A plan is what `partwright plan`
 * prints, what the writers lay out, and what the web app draws. Byte offsets are absolute from the
 * start of the disk.
 */
import type { Architecture } from '../model/partition-types.ts';
import type { GptGeometry } from '../formats/gpt/geometry.ts';
import type { PartitionSpec, RepartVersion, SectorSize, TableType } from '../model/spec.ts';

export interface ByteRange {
  offsetBytes: number;
  sizeBytes: number;
}

/** An area of the disk the table itself needs (MBR, GPT headers and entry arrays, EBRs). */
export interface ReservedArea extends ByteRange {
  kind: 'mbr' | 'gpt-header' | 'gpt-entries' | 'gpt-backup-entries' | 'gpt-backup-header' | 'ebr';
}

export interface PlannedPartition extends ByteRange {
  /** Index into `ImageSpec.partitions`. */
  specIndex: number;
  /** 1-based number in the partition table (GPT entry index + 1; MBR: 1–4 primary, 5+ logical). */
  partitionNumber: number;
  typeGuid: string;
  /** repart's identifier for the type when it has one. */
  typeName: string;
  label: string;
  uuid: string;
  /** Padding after the partition (PaddingMinBytes=, PaddingWeight=). */
  paddingBytes: number;
  /** The GPT attribute bits (bit 59 grow-fs, 60 read-only, 63 no-auto, …). */
  attributes: bigint;
  /** MBR type byte used in `mbr`, and in `hybrid` when mirrored. */
  mbrType: number;
  mbrBootable: boolean;
  /** For hybrid tables: mirrored into the MBR. */
  inHybridMbr: boolean;
  /** Kept from a base image rather than created. */
  existing: boolean;
  /** Base-image partitions: their size and the free space after them before this run (repart's old_size/old_padding). */
  previous?: { sizeBytes: number; paddingBytes: number };
  spec: PartitionSpec;
}

export interface DroppedPartition {
  specIndex: number;
  priority: number;
  reason: string;
  /**
   * SupplementFor= (newest repart): the definition this supplement was merged into instead of being
   * created; that partition's file system also gets its CopyFiles=, ExcludeFiles=, ExcludeFilesTarget=,
   * MakeDirectories= and MakeSymlinks=.
   */
  mergedInto?: number;
}

export interface PlannedBlob extends ByteRange {
  name: string;
  source: string | undefined;
}

/** Where the GPT's pieces sit (the formats module's type: one definition for writer and planner). */
export type { GptGeometry } from '../formats/gpt/geometry.ts';

export interface ImagePlan {
  table: TableType;
  sectorSizeBytes: SectorSize;
  /** Placement granularity: max(4096, sector size), as repart. */
  grainBytes: number;
  diskSizeBytes: number;
  seed: string;
  architecture: Architecture;
  /** GPT disk GUID (gpt and hybrid). */
  diskGuid: string | undefined;
  /** MBR disk identifier (mbr and hybrid). */
  mbrDiskId: number | undefined;
  gpt: GptGeometry | undefined;
  partitions: PlannedPartition[];
  dropped: DroppedPartition[];
  blobs: PlannedBlob[];
  reserved: ReservedArea[];
  /** The smallest disk the layout fits in (what `--size=auto` gives). */
  minimumSizeBytes: number;
  /**
   * Whether the table changes (repart's context_changed(): a new partition, a resized one, or a new
   * disk size). False only in base-image mode; then nothing is written ("No changes.").
   */
  changed?: boolean;
  /**
   * Base-image partitions that no definition matches: kept exactly as they are (repart's "foreign"
   * partitions). Empty without a base image.
   */
  foreignPartitions: (ExistingPartition & {
    /** Free space kept after it once new partitions are placed. */
    paddingBytes?: number;
    /** The free space after it before this run. */
    previousPaddingBytes?: number;
  })[];
  /** Hybrid only: the 0xEE record goes first in the MBR (default last, as a Raspberry Pi needs). */
  mbrProtectiveFirst: boolean;
  /** MBR only: the extended partition (table slot 4) holding the logical partitions, when there are any. */
  mbrExtended: ByteRange | undefined;
}

/** A partition found in a base image (decoded from its GPT). */
export interface ExistingPartition extends ByteRange {
  partitionNumber: number;
  typeGuid: string;
  uuid: string;
  label: string;
  attributes: bigint;
}

/** The table of a base image: what the planner keeps and builds around (repart's "existing" partitions). */
export interface ExistingDisk {
  sectorSizeBytes: SectorSize;
  diskSizeBytes: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  /** The existing header's first usable LBA (default: where a fresh table would start partitions). */
  firstUsableLba?: number;
  partitions: ExistingPartition[];
}

export interface PlanOptions {
  /** Overrides `spec.repartVersion` (the CLI's `--repart-version`). */
  repartVersion?: RepartVersion;
  /**
   * `--include-partitions=` / `--exclude-partitions=` (v255): definitions of other (or these) types are
   * left out as if their files did not exist, so base-image partitions of those types are foreign.
   * Type identifiers or GUIDs.
   */
  includePartitions?: readonly string[];
  excludePartitions?: readonly string[];
  /**
   * `--defer-partitions=` (v255): definitions of these types are planned (they keep their space, slot
   * and identities) but not written, so a later run can add them in place.
   */
  deferPartitions?: readonly string[];
  /**
   * `--grain-size=` (newest repart): placement granularity; the grain is max(this or 4096, sector
   * size) (determine_grain_size()). Not in 252.
   */
  grainSizeBytes?: number;
  /** Overrides `spec.sizeBytes` (the CLI's `--size`). */
  sizeBytes?: number | 'auto';
  /** Overrides `spec.seed` (the CLI's `--seed`). */
  seed?: string;
  /** Base-image mode: the existing table whose partitions are matched and kept. */
  existing?: ExistingDisk;
  /** Sizes of blobs whose spec gives only a source (the CLI stats the files). */
  blobSizes?: Record<string, number>;
  /**
   * `--copy-from=` partitions (spec index → bits): their GPT attributes are written as the source image
   * has them, with none of the type defaults (context_copy_from_one() sets gpt_flags directly).
   */
  exactAttributes?: Readonly<Record<number, bigint>>;
  /** Sizes of `CopyBlocks=` sources keyed by the path as written in the spec (they raise the minimum, as in repart). */
  copyBlocksSizes?: Record<string, number>;
}
