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
  const live = ctx.partitions.filter((p) => !p.dropped);
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
    if (p.dropped || p.current) continue;
    const required = requiredBytes(ctx, p);
    const area = ctx.freeAreas.find((a) => freeAreaAvailableForNewPartitions(ctx, a) >= required);
    if (!area) return { fits: false, largestFreeAreaBytes };
    p.allocatedTo = area;
    area.allocatedBytes += required;
  }
  return { fits: true, largestFreeAreaBytes };
}
