/**
 * Base-image mode (repart's context_load_partition_table on a disk that has a GPT): each existing
 * partition, in table order, is matched to the first definition of the same type that has none yet;
 * matched ones keep their offset and at least their size; unmatched ones become "foreign" partitions
 * that nobody changes. Free areas are the gap before the first partition and the gap after each
 * partition (up to the next one or to the end of the usable space), both rounded to the grain.
 */
import type { FreeArea, PlanContext, WorkPartition } from './context.ts';
import type { ExistingDisk, ExistingPartition } from './types.ts';
import { lessBy, roundDown, roundUp } from './rounding.ts';
import { normalizeUuid } from './uuid.ts';

function foreignPartition(e: ExistingPartition, typeGuid: string): WorkPartition {
  return {
    specIndex: undefined, spec: undefined, typeGuid, priority: 0, weight: 1000, paddingWeight: 0,
    sizeMinBytes: undefined, sizeMaxBytes: undefined, paddingMinBytes: undefined, paddingMaxBytes: undefined,
    contentMinBytes: 0, defaultMinBytes: 0, veritySignature: false, current: undefined, foreign: true, dropped: false,
    droppedReason: undefined, supplementFor: undefined, suppressing: undefined, allocatedTo: undefined, paddingArea: undefined, newSizeBytes: undefined,
    newPaddingBytes: undefined, offsetBytes: undefined, partno: undefined, logical: false,
    label: undefined, uuid: undefined,
  };
}

/** determine_current_padding(): free bytes after `e`, grain-aligned at both ends. */
function currentPadding(e: ExistingPartition, all: readonly ExistingPartition[], usableEndBytes: number, grain: number): number {
  const end = e.offsetBytes + e.sizeBytes;
  let next: number | undefined;
  for (const q of all) if (q.offsetBytes >= end && (next === undefined || q.offsetBytes < next)) next = q.offsetBytes;
  return lessBy(roundDown(next ?? usableEndBytes, grain), roundUp(end, grain));
}

/**
 * Match `existing` into `ctx` (whose partitions are the resolved definitions) and create its free
 * areas. `usableEndBytes` is the byte after the last usable LBA of the (possibly grown) disk.
 */
export function loadExisting(ctx: PlanContext, existing: ExistingDisk, usableEndBytes: number): void {
  const parts = [...existing.partitions].sort((a, b) => a.partitionNumber - b.partitionNumber);
  let leftBoundary: number | undefined;
  for (const raw of parts) {
    const e: ExistingPartition = { ...raw, typeGuid: normalizeUuid(raw.typeGuid), uuid: normalizeUuid(raw.uuid) };
    if (leftBoundary === undefined || e.offsetBytes < leftBoundary) leftBoundary = e.offsetBytes;
    let p = ctx.partitions.find((d) => d.typeGuid === e.typeGuid && !d.current && !d.foreign);
    if (!p) {
      p = foreignPartition(e, e.typeGuid);
      ctx.partitions.push(p);
    }
    const paddingBytes = currentPadding(e, parts, usableEndBytes, ctx.grainBytes);
    p.current = { ...e, paddingBytes };
    p.partno = e.partitionNumber - 1;
    if (paddingBytes > 0) {
      const area: FreeArea = { after: p, sizeBytes: paddingBytes, allocatedBytes: 0 };
      p.paddingArea = area;
      ctx.freeAreas.push(area);
    }
  }
  // A supplement that already exists on disk cannot stay merged into its target
  // (context_load_partition_table: PARTITION_SUPPRESSED && PARTITION_EXISTS → un-suppress).
  for (const p of ctx.partitions) {
    if (p.current && p.supplementFor?.suppressing === p) p.supplementFor.suppressing = undefined;
  }
  const end = roundDown(usableEndBytes, ctx.grainBytes);
  const first = roundUp(ctx.startBytes, ctx.grainBytes);
  const left = leftBoundary === undefined ? end : roundDown(leftBoundary, ctx.grainBytes);
  if (left > first) ctx.freeAreas.push({ after: undefined, sizeBytes: left - first, allocatedBytes: 0 });
}
