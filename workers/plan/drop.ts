/**
 * Phase 2b: when the partitions don't fit, give up the highest `Priority=` (repart's
 * context_drop_or_foreignize_one_priority): new partitions of that priority are dropped, existing ones
 * are kept as they are ("foreignized": no longer grown or changed). Priorities ≤ 0 are never dropped.
 */
import type { PlanContext, WorkPartition } from './context.ts';

function dropOrForeignize(p: WorkPartition): void {
  if (p.dropped || p.foreign) return;
  if (p.current) {
    p.droppedReason = `Can't grow existing partition of priority ${p.priority}, keeping it as it is`;
    // partition_foreignize() → partition_unlink_supplement(): no SupplementFor= link survives.
    if (p.supplementFor) {
      if (p.supplementFor.suppressing === p) p.supplementFor.suppressing = undefined;
      p.supplementFor = undefined;
    }
    if (p.suppressing) {
      p.suppressing.supplementFor = undefined;
      p.suppressing = undefined;
    }
    // partition_foreignize(): from now on it is treated like a partition no definition manages.
    p.foreign = true;
    p.priority = 0;
    p.weight = 1000;
    p.paddingWeight = 0;
    p.sizeMinBytes = p.sizeMaxBytes = p.paddingMinBytes = p.paddingMaxBytes = undefined;
  } else {
    p.dropped = true;
    p.droppedReason = `Can't fit partition of priority ${p.priority}, dropped`;
    p.allocatedTo = undefined;
    // A dropped supplement's settings are no longer merged into its target.
    if (p.supplementFor?.suppressing === p) p.supplementFor.suppressing = undefined;
  }
}

/** Returns false when nothing can be dropped any more. */
export function dropOnePriority(ctx: PlanContext): boolean {
  let priority = 0;
  for (const p of ctx.partitions) if (!p.dropped) priority = Math.max(priority, p.priority);
  if (priority <= 0) return false;
  // Verity siblings share a priority in repart, so dropping by priority drops them together.
  for (const p of ctx.partitions) if (p.priority >= priority) dropOrForeignize(p);
  return true;
}
