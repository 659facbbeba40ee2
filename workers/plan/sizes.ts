/**
 * How big each partition must and may be, and how much room each free area has: repart's
 * partition_min_size, partition_max_size, partition_{min,max}_padding,
 * partition_min_size_with_padding and the free_area_* helpers, on the working context.
 */
import type { FreeArea, PlanContext, WorkPartition } from './context.ts';
import { HARD_MIN_SIZE_BYTES, VERITY_SIG_SIZE_BYTES } from './resolve.ts';
import { lessBy, roundDown, roundUp } from './rounding.ts';

export function partitionMinSize(ctx: PlanContext, p: WorkPartition): number {
  if (p.foreign) return p.current!.sizeBytes;
  if (p.veritySignature) return VERITY_SIG_SIZE_BYTES;
  let bytes = p.current ? p.current.sizeBytes : HARD_MIN_SIZE_BYTES;
  if (!p.current && p.contentMinBytes > bytes) bytes = p.contentMinBytes;
  // SupplementFor= merge (partition_min_size()): the supplement's minimum replaces the target's when
  // the target has none or the supplement's is larger — repart compares the raw fields, so an unset
  // supplement minimum (UINT64_MAX) also wins and the target falls back to the default minimum.
  let min = p.sizeMinBytes;
  if (p.suppressing && (min === undefined || p.suppressing.sizeMinBytes === undefined || p.suppressing.sizeMinBytes > min)) {
    min = p.suppressing.sizeMinBytes;
  }
  // The implicit 10 MiB applies whenever SizeMinBytes= is unset, even if SizeMaxBytes= is smaller.
  return Math.max(roundUp(min ?? p.defaultMinBytes, ctx.grainBytes), bytes);
}

/** Infinity when unlimited. Never below the minimum, never below an existing size. */
export function partitionMaxSize(ctx: PlanContext, p: WorkPartition): number {
  if (p.foreign) return p.current!.sizeBytes;
  if (p.veritySignature) return VERITY_SIG_SIZE_BYTES;
  // partition_max_size(): a merged supplement's maximum caps the target's (the smaller wins).
  const max = Math.min(p.sizeMaxBytes ?? Infinity, p.suppressing ? (p.suppressing.sizeMaxBytes ?? Infinity) : Infinity);
  if (max === Infinity) return Infinity;
  let bytes = roundDown(max, ctx.grainBytes);
  if (p.current) bytes = Math.max(p.current.sizeBytes, bytes);
  return Math.max(partitionMinSize(ctx, p), bytes);
}

export function partitionMinPadding(p: WorkPartition): number {
  // partition_min_padding(): MAX() of the raw fields with a merged supplement, so an unset one
  // (UINT64_MAX) on either side leaves the merged minimum unset, i.e. 0.
  if (p.suppressing) {
    const a = p.paddingMinBytes;
    const b = p.suppressing.paddingMinBytes;
    return a === undefined || b === undefined ? 0 : Math.max(a, b);
  }
  return p.paddingMinBytes ?? 0;
}

/** Infinity when unlimited. */
export function partitionMaxPadding(p: WorkPartition): number {
  const own = p.paddingMaxBytes ?? Infinity;
  return p.suppressing ? Math.min(own, p.suppressing.paddingMaxBytes ?? Infinity) : own;
}

/** partition_weight(): a merged supplement's Weight= replaces the target's. */
export function partitionWeight(p: WorkPartition): number {
  return p.suppressing ? p.suppressing.weight : p.weight;
}

/** partition_padding_weight(): likewise for PaddingWeight=. */
export function partitionPaddingWeight(p: WorkPartition): number {
  return p.suppressing ? p.suppressing.paddingWeight : p.paddingWeight;
}

/** PARTITION_SUPPRESSED(): a supplement currently merged into its target (not allocated, not written). */
export function isSuppressed(p: WorkPartition): boolean {
  return p.supplementFor !== undefined && p.supplementFor.suppressing === p;
}

/** The room a partition needs including its padding, so the next partition stays grain-aligned. */
export function partitionMinSizeWithPadding(ctx: PlanContext, p: WorkPartition): number {
  const bytes = partitionMinSize(ctx, p) + partitionMinPadding(p);
  if (p.current) return roundUp(p.current.offsetBytes + bytes, ctx.grainBytes) - p.current.offsetBytes;
  return roundUp(bytes, ctx.grainBytes);
}

export function freeAreaAvailable(a: FreeArea): number {
  return a.sizeBytes - a.allocatedBytes;
}

/** Where the area ends, counted from the start of the partition before it (repart's free_area_current_end). */
export function freeAreaCurrentEnd(ctx: PlanContext, a: FreeArea): number {
  if (!a.after) return freeAreaAvailable(a);
  const cur = a.after.current!;
  return roundUp(cur.offsetBytes + cur.sizeBytes, ctx.grainBytes) + freeAreaAvailable(a);
}

export function freeAreaMinEnd(ctx: PlanContext, a: FreeArea): number {
  if (!a.after) return 0;
  const cur = a.after.current!;
  return roundUp(cur.offsetBytes + partitionMinSizeWithPadding(ctx, a.after), ctx.grainBytes);
}

export function freeAreaAvailableForNewPartitions(ctx: PlanContext, a: FreeArea): number {
  return lessBy(freeAreaCurrentEnd(ctx, a), freeAreaMinEnd(ctx, a));
}
