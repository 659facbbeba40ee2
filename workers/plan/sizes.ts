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
  // The implicit 10 MiB applies whenever SizeMinBytes= is unset, even if SizeMaxBytes= is smaller.
  return Math.max(roundUp(p.sizeMinBytes ?? p.defaultMinBytes, ctx.grainBytes), bytes);
}

/** Infinity when unlimited. Never below the minimum, never below an existing size. */
export function partitionMaxSize(ctx: PlanContext, p: WorkPartition): number {
  if (p.foreign) return p.current!.sizeBytes;
  if (p.veritySignature) return VERITY_SIG_SIZE_BYTES;
  if (p.sizeMaxBytes === undefined) return Infinity;
  let bytes = roundDown(p.sizeMaxBytes, ctx.grainBytes);
  if (p.current) bytes = Math.max(p.current.sizeBytes, bytes);
  return Math.max(partitionMinSize(ctx, p), bytes);
}

export function partitionMinPadding(p: WorkPartition): number {
  return p.paddingMinBytes ?? 0;
}

/** Infinity when unlimited. */
export function partitionMaxPadding(p: WorkPartition): number {
  return p.paddingMaxBytes ?? Infinity;
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
