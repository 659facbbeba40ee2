/**
 * Phase 4: lay partitions out one after another in each free area (repart's context_place_partitions):
 * an area starts after the existing partition before it (its new size and padding) or at the start of
 * the usable space, rounded up to the grain; each new partition follows the previous one's padding.
 * New partitions get table slots after the highest existing one, in the order the areas are visited
 * (v252); the newest repart gives each the lowest slot no partition uses (find_first_unused_partno).
 * MBR logical partitions start one grain later: their EBR sits in that grain.
 */
import type { PlanContext } from './context.ts';
import { roundUp } from './rounding.ts';

export function placePartitions(ctx: PlanContext): void {
  let partno = 0;
  for (const p of ctx.partitions) {
    if (p.current && p.partno !== undefined && p.partno >= partno) partno = p.partno + 1;
  }
  const used = new Set<number>();
  for (const p of ctx.partitions) if (p.current && p.partno !== undefined) used.add(p.partno);
  const next = (): number => {
    if (ctx.version === '252') return partno++;
    let n = 0;
    while (used.has(n)) n++;
    used.add(n);
    return n;
  };
  for (const a of ctx.freeAreas) {
    let start = a.after
      ? a.after.current!.offsetBytes + a.after.newSizeBytes! + a.after.newPaddingBytes!
      : ctx.startBytes;
    start = roundUp(start, ctx.grainBytes);
    let left = a.sizeBytes;
    for (const p of ctx.partitions) {
      if (p.allocatedTo !== a) continue;
      if (p.logical) start += ctx.ebrBytes;
      p.offsetBytes = start;
      p.partno = next();
      start += p.newSizeBytes! + p.newPaddingBytes!;
      left -= p.newSizeBytes! + p.newPaddingBytes!;
      // Newest context_place_partitions(): re-align to the grain after each partition, so one that is
      // not a grain multiple (a 16 KiB verity signature under a 1 MiB --grain-size=) does not shift
      // the next off the grain — unless the area has no room left for the gap.
      if (ctx.version === 'latest') {
        const gap = roundUp(start, ctx.grainBytes) - start;
        if (gap <= left) {
          start += gap;
          left -= gap;
        }
      }
    }
  }
  for (const p of ctx.partitions) {
    if (p.current && !p.dropped) p.offsetBytes = p.current.offsetBytes;
  }
}
