/**
 * Phase 4: lay partitions out one after another in each free area (repart's context_place_partitions):
 * an area starts after the existing partition before it (its new size and padding) or at the start of
 * the usable space, rounded up to the grain; each new partition follows the previous one's padding.
 * New partitions get table slots after the highest existing one, in the order the areas are visited.
 * MBR logical partitions start one grain later: their EBR sits in that grain.
 */
import type { PlanContext } from './context.ts';
import { roundUp } from './rounding.ts';

export function placePartitions(ctx: PlanContext): void {
  let partno = 0;
  for (const p of ctx.partitions) {
    if (p.current && p.partno !== undefined && p.partno >= partno) partno = p.partno + 1;
  }
  for (const a of ctx.freeAreas) {
    let start = a.after
      ? a.after.current!.offsetBytes + a.after.newSizeBytes! + a.after.newPaddingBytes!
      : ctx.startBytes;
    start = roundUp(start, ctx.grainBytes);
    for (const p of ctx.partitions) {
      if (p.allocatedTo !== a) continue;
      if (p.logical) start += ctx.ebrBytes;
      p.offsetBytes = start;
      p.partno = partno++;
      start += p.newSizeBytes! + p.newPaddingBytes!;
    }
  }
  for (const p of ctx.partitions) {
    if (p.current && !p.dropped) p.offsetBytes = p.current.offsetBytes;
  }
}
