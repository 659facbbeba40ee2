/**
 * Phase 3: hand out each free area by weight (repart's context_grow_partitions). Per area, the
 * partitions allocated into it (and the existing partition before it) go through four passes:
 * foreign partitions keep their size; partitions whose minimum exceeds their weight share take the
 * minimum (overcharge); those whose maximum is below it take the maximum (undercharge); the rest
 * share what remains by weight, rounded down to the grain (distribute). Each charge is rounded up to
 * the grain. Leftovers go to the partition before the area, then to the first partition that can
 * still grow, then become that earlier partition's padding.
 */
import type { FreeArea, PlanContext, WorkPartition } from './context.ts';
import { partitionMaxPadding, partitionMaxSize, partitionMinPadding, partitionMinSize, partitionPaddingWeight, partitionWeight } from './sizes.ts';
import { lessBy, roundDown, roundUp } from './rounding.ts';

const UINT64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * value * weight / weightSum in unsigned 64-bit arithmetic, rescaling as repart does when the product
 * would overflow (weightSum rounded up, weight down), so results agree even for huge disks.
 */
export function scaleByWeight(value: number, weight: number, weightSum: number): number {
  let v = BigInt(value);
  let w = BigInt(weight);
  let sum = BigInt(weightSum);
  for (;;) {
    if (w === 0n) return 0;
    if (w === sum) return value;
    if (v <= UINT64_MAX / w) return Number((v * w) / sum);
    sum = (sum + 1n) / 2n;
    w /= 2n;
  }
}

type Phase = 'foreign' | 'overcharge' | 'undercharge' | 'distribute';
const PHASES: readonly Phase[] = ['foreign', 'overcharge', 'undercharge', 'distribute'];

interface Budget {
  spanBytes: number;
  weightSum: number;
}

function chargeSize(ctx: PlanContext, budget: Budget, amount: number): void {
  budget.spanBytes = lessBy(budget.spanBytes, roundUp(amount, ctx.grainBytes));
}

function inArea(p: WorkPartition, a: FreeArea): boolean {
  return p.allocatedTo === a || p.paddingArea === a;
}

/** One pass over the area; returns false when something was charged and the phase must run again. */
function growPhase(ctx: PlanContext, a: FreeArea, phase: Phase, budget: Budget): boolean {
  let again = false;
  for (const p of ctx.partitions) {
    if (!inArea(p, a)) continue;

    if (p.newSizeBytes === undefined) {
      const share = scaleByWeight(budget.spanBytes, partitionWeight(p), budget.weightSum);
      const min = partitionMinSize(ctx, p);
      const max = partitionMaxSize(ctx, p);
      let charged = true;
      if (phase === 'foreign' && p.foreign) p.newSizeBytes = p.current!.sizeBytes;
      else if (phase === 'overcharge' && min > share) { p.newSizeBytes = min; again = true; }
      else if (phase === 'undercharge' && max < share) { p.newSizeBytes = max; again = true; }
      else if (phase === 'distribute') {
        p.newSizeBytes = Math.min(Math.max(roundDown(share, ctx.grainBytes), min), max);
      } else charged = false;
      if (charged) {
        chargeSize(ctx, budget, p.newSizeBytes!);
        budget.weightSum -= partitionWeight(p);
      }
    }

    if (p.newPaddingBytes === undefined) {
      const share = scaleByWeight(budget.spanBytes, partitionPaddingWeight(p), budget.weightSum);
      const min = partitionMinPadding(p);
      const max = partitionMaxPadding(p);
      let charged = true;
      if (phase === 'overcharge' && min > share) { p.newPaddingBytes = min; again = true; }
      else if (phase === 'undercharge' && max < share) { p.newPaddingBytes = max; again = true; }
      else if (phase === 'distribute') {
        p.newPaddingBytes = Math.min(Math.max(roundDown(share, ctx.grainBytes), min), max);
      } else charged = false;
      if (charged) {
        chargeSize(ctx, budget, p.newPaddingBytes!);
        budget.weightSum -= partitionPaddingWeight(p);
      }
    }
  }
  return !again;
}

/** Give as much of the remaining span to `p` as its maximum allows (context_grow_partition_one). */
function growOne(ctx: PlanContext, a: FreeArea, p: WorkPartition, budget: Budget): void {
  if (budget.spanBytes === 0 || p.allocatedTo !== a || p.foreign) return;
  const current = p.newSizeBytes!;
  let bytes = roundDown(current + budget.spanBytes, ctx.grainBytes);
  bytes = Math.max(bytes, current);
  bytes = Math.min(bytes, partitionMaxSize(ctx, p));
  chargeSize(ctx, budget, bytes - current);
  p.newSizeBytes = bytes;
}

function growArea(ctx: PlanContext, a: FreeArea): void {
  let weightSum = 0;
  let logicalInArea = 0;
  for (const p of ctx.partitions) {
    if (!inArea(p, a)) continue;
    weightSum += partitionWeight(p) + partitionPaddingWeight(p);
    if (p.allocatedTo === a && p.logical) logicalInArea++;
  }
  // The area plus the existing partition before it; EBRs of logical partitions are not for sharing.
  let spanBytes = a.sizeBytes - logicalInArea * ctx.ebrBytes;
  if (a.after) {
    const cur = a.after.current!;
    spanBytes += roundUp(cur.offsetBytes + cur.sizeBytes, ctx.grainBytes) - cur.offsetBytes;
  }
  const budget: Budget = { spanBytes, weightSum };

  for (let i = 0; i < PHASES.length; ) {
    if (growPhase(ctx, a, PHASES[i]!, budget)) i++;
  }

  if (budget.spanBytes > 0 && a.after) growOne(ctx, a, a.after, budget);
  if (budget.spanBytes > 0) {
    for (const p of ctx.partitions) {
      growOne(ctx, a, p, budget);
      if (budget.spanBytes === 0) break;
    }
  }
  if (budget.spanBytes <= 0) return;
  // What nobody could take: v252 makes it padding of the existing partition before the area (so new
  // partitions move to the end of the gap) and otherwise leaves it unassigned; the newest repart makes
  // it padding of the area's last new partition (new partitions stay at the start of the gap, and
  // `raw_padding` shows the rest, as TEST-58-REPART's testcase_dropin expects).
  const last = ctx.version === 'latest' ? ctx.partitions.filter((p) => p.allocatedTo === a).pop() : undefined;
  if (last) last.newPaddingBytes! += roundDown(budget.spanBytes, ctx.grainBytes);
  else if (a.after) a.after.newPaddingBytes! += budget.spanBytes;
}

export function growPartitions(ctx: PlanContext): void {
  for (const p of ctx.partitions) {
    p.newSizeBytes = undefined;
    p.newPaddingBytes = undefined;
  }
  for (const a of ctx.freeAreas) growArea(ctx, a);
  // Existing partitions with no free space after them keep their size and padding.
  for (const p of ctx.partitions) {
    if (p.dropped || !p.current || p.paddingArea) continue;
    p.newSizeBytes = p.current.sizeBytes;
    p.newPaddingBytes = p.current.paddingBytes;
  }
}
