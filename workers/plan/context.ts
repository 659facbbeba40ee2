/**
 * The planner's working state, shaped like repart's `Context`/`Partition`/`FreeArea` (repart.c).
 * `planImage` builds one per call from the (never mutated) spec; the phases fill in its results in
 * repart's order. Nothing here escapes: the phases' outcome is turned into an `ImagePlan`.
 * "Unlimited" (repart's UINT64_MAX for a size) is `Infinity`; "not set" is `undefined`.
 */
import type { PartitionSpec, RepartVersion, SectorSize, TableType } from '../model/spec.ts';
import type { ExistingPartition } from './types.ts';

/** An existing partition matched to a definition (or kept as foreign), with its free space after it. */
export interface CurrentPartition extends ExistingPartition {
  /** Grain-aligned free space between this partition's end and the next one (determine_current_padding). */
  paddingBytes: number;
}

export interface WorkPartition {
  /** Index into ImageSpec.partitions; undefined for a base-image partition no definition matches. */
  specIndex: number | undefined;
  spec: PartitionSpec | undefined;
  typeGuid: string;
  priority: number;
  weight: number;
  paddingWeight: number;
  /** Already rounded as repart's config parser rounds them (Min down, Max up to 4096). */
  sizeMinBytes: number | undefined;
  sizeMaxBytes: number | undefined;
  paddingMinBytes: number | undefined;
  paddingMaxBytes: number | undefined;
  /** Bytes the content needs at least (Format=, Encrypt=, CopyBlocks=), grain-rounded; 0 if none. */
  contentMinBytes: number;
  /** The minimum when SizeMinBytes= is unset: 10 MiB (newest: 1 byte for read-only formats and verity). */
  defaultMinBytes: number;
  /** Verity=signature: fixed 16 KiB (repart's VERITY_SIG_SIZE). */
  veritySignature: boolean;
  /** Set when the partition exists in the base image. */
  current: CurrentPartition | undefined;
  /** PARTITION_IS_FOREIGN: exists and is managed by no definition (or was foreignized by a priority drop). */
  foreign: boolean;
  dropped: boolean;
  droppedReason: string | undefined;
  /** SupplementFor= (newest repart): the partition this one supplements (repart's supplement_for). */
  supplementFor: WorkPartition | undefined;
  /**
   * On a SupplementFor= target: the supplement currently merged into it (repart's `suppressing`).
   * While set, the supplement is not allocated and the target plans with the merged constraints.
   */
  suppressing: WorkPartition | undefined;

  // Results of the phases.
  allocatedTo: FreeArea | undefined;
  /** The free area right after this (existing) partition. */
  paddingArea: FreeArea | undefined;
  newSizeBytes: number | undefined;
  newPaddingBytes: number | undefined;
  offsetBytes: number | undefined;
  /** 0-based slot in the table (repart's partno). */
  partno: number | undefined;
  /** For MBR: whether this partition is a logical one inside the extended partition. */
  logical: boolean;
  label: string | undefined;
  uuid: string | undefined;
}

export interface FreeArea {
  /** The existing partition this area follows, or undefined for the area at the start. */
  after: WorkPartition | undefined;
  sizeBytes: number;
  allocatedBytes: number;
}

export interface PlanContext {
  /** Whose rules to follow where systemd-repart versions differ (docs/repart-compat.md). */
  version: RepartVersion;
  table: TableType;
  sectorSizeBytes: SectorSize;
  grainBytes: number;
  /** First byte partitions may use (grain-aligned). */
  startBytes: number;
  /** End of the usable area (grain-aligned down). */
  endBytes: number;
  diskSizeBytes: number;
  /** repart's partition list: definitions in order, then base-image partitions no definition matches. */
  partitions: WorkPartition[];
  freeAreas: FreeArea[];
  /** MBR only: bytes reserved before each logical partition for its EBR (one grain). */
  ebrBytes: number;
}
