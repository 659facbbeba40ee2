/**
 * Phase 2: first-fit allocation of each new partition's minimum (with padding) into the free areas,
 * smallest area first (repart's context_allocate_partitions). Returns whether everything fits, and
 * the largest free area for the error message.
 */
import type { PlanContext } from './context.ts';
import {
  freeAreaAvailableForNewPartitions,
  freeAreaCurrentEnd,
  freeAreaMinEnd,
  isSuppressed,
  partitionMinSizeWithPadding,
} from './sizes.ts';

export interface AllocationResult {
  fits: boolean;
  largestFreeAreaBytes: number;
}

/**
 * MBR: with more than four partitions, the fourth and later become logical partitions inside an
 * extended partition, and each needs one grain before it for its EBR.
 */
export function markLogicalPartitions(ctx: PlanContext): void {
  const live = ctx.partitions.filter((p) => !p.dropped && !isSuppressed(p));
  const extended = ctx.table === 'mbr' && live.length > 4;
  for (const p of ctx.partitions) p.logical = false;
  if (extended) live.slice(3).forEach((p) => (p.logical = true));
}

/** What a new partition needs in its free area: minimum size and padding, plus its EBR if logical. */
export function requiredBytes(ctx: PlanContext, p: PlanContext['partitions'][number]): number {
  return partitionMinSizeWithPadding(ctx, p) + (p.logical ? ctx.ebrBytes : 0);
}

export function allocatePartitions(ctx: PlanContext): AllocationResult {
  for (const a of ctx.freeAreas) a.allocatedBytes = 0;
  for (const p of ctx.partitions) p.allocatedTo = undefined;
  markLogicalPartitions(ctx);

  // Smallest first (stable, where repart's qsort leaves ties in an unspecified order).
  ctx.freeAreas.sort(
    (x, y) => freeAreaAvailableForNewPartitions(ctx, x) - freeAreaAvailableForNewPartitions(ctx, y),
  );
  const last = ctx.freeAreas[ctx.freeAreas.length - 1];
  const largestFreeAreaBytes = last ? freeAreaAvailableForNewPartitions(ctx, last) : 0;

  // Every existing partition must still fit its minimum (with padding) before the next one.
  for (const a of ctx.freeAreas) {
    if (freeAreaCurrentEnd(ctx, a) < freeAreaMinEnd(ctx, a)) return { fits: false, largestFreeAreaBytes };
  }

  for (const p of ctx.partitions) {
    if (p.dropped || isSuppressed(p)) continue;
    const required = requiredBytes(ctx, p);
    // An existing partition must be able to grow to its minimum within itself and its padding.
    if (p.current) {
      if (p.current.sizeBytes + p.current.paddingBytes < required) return { fits: false, largestFreeAreaBytes };
      continue;
    }
    const area = ctx.freeAreas.find((a) => freeAreaAvailableForNewPartitions(ctx, a) >= required);
    if (!area) return { fits: false, largestFreeAreaBytes };
    p.allocatedTo = area;
    area.allocatedBytes += required;
  }
  return { fits: true, largestFreeAreaBytes };
}

/**
 * context_unmerge_and_allocate_partitions() (newest repart, after a plain allocation failed): try
 * un-merging SupplementFor= supplements — first each one alone, in definition order, then (recursively)
 * combinations — until the partitions fit. Leaves the first combination that fits in place.
 */
export function unmergeAndAllocatePartitions(ctx: PlanContext): boolean {
  for (const p of ctx.partitions) {
    if (!p.suppressing) continue;
    const unsuppressed = p.suppressing;
    p.suppressing = undefined;
    if (allocatePartitions(ctx).fits) return true;
    p.suppressing = unsuppressed;
  }
  for (const p of ctx.partitions) {
    if (!p.suppressing) continue;
    const unsuppressed = p.suppressing;
    p.suppressing = undefined;
    if (unmergeAndAllocatePartitions(ctx)) return true;
    p.suppressing = unsuppressed;
  }
  return false;
}
