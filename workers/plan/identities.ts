/**
 * Phase 5: labels and UUIDs (repart's context_acquire_partition_uuids_and_labels). Walks every
 * partition in list order — dropped ones included, as repart does, so they still count for `-2`
 * suffixes and for the per-type UUID counter.
 * - Foreign partitions keep their UUID and label.
 * - Existing partitions keep a non-null UUID and a non-empty label ("never change initialized ones").
 * - Otherwise an explicit UUID= / Label= wins; else the UUID is derived from the seed (k-th partition
 *   of its type, counting every earlier partition of that type) and the label is the type's name
 *   ("linux" for unknown GUIDs), suffixed `-2`, `-3`… while an earlier partition has it.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { partitionTypeByGuid } from '../model/partition-types.ts';
import type { PlanContext, WorkPartition } from './context.ts';
import { NULL_UUID, derivePartitionUuid, normalizeUuid } from './uuid.ts';

function explicitUuid(p: WorkPartition): string | undefined {
  const text = p.spec?.uuid;
  if (text === undefined || text === '') return undefined;
  return text === 'null' ? NULL_UUID : normalizeUuid(text);
}

function acquireUuid(ctx: PlanContext, seed: string, p: WorkPartition): string {
  const index = ctx.partitions.indexOf(p);
  const k = ctx.partitions.slice(0, index).filter((q) => q.typeGuid === p.typeGuid).length;
  const uuid = derivePartitionUuid(seed, p.typeGuid, k);
  const clash = ctx.partitions.find((q) => q !== p && (q.current?.uuid === uuid || q.uuid === uuid));
  if (clash) {
    // repart falls back to a random UUID here; a planner must stay deterministic, so refuse.
    throw new PartwrightError(
      ErrorCode.InvalidSpec,
      `Partition UUID ${uuid} calculated from seed for partition ${index + 1} is already used; set UUID= explicitly`,
      { where: p.specIndex !== undefined ? `partitions.${p.specIndex}.uuid` : undefined },
    );
  }
  return uuid;
}

function acquireLabel(ctx: PlanContext, p: WorkPartition): string {
  const prefix = partitionTypeByGuid(p.typeGuid)?.id ?? 'linux';
  const before = ctx.partitions.slice(0, ctx.partitions.indexOf(p));
  const taken = (label: string) => before.some((q) => q.current?.label === label || q.label === label);
  let label = prefix;
  for (let k = 2; taken(label); k++) label = `${prefix}-${k}`;
  return label;
}

export function assignIdentities(ctx: PlanContext, seed: string): void {
  // Explicit UUID= values are known from the start (repart sets them while parsing), so a derived
  // UUID that equals a later partition's explicit one is caught as a clash.
  for (const p of ctx.partitions) {
    p.uuid = p.foreign ? undefined : explicitUuid(p);
    p.label = undefined;
  }
  for (const p of ctx.partitions) {
    if (p.foreign) {
      p.uuid = p.current!.uuid;
      p.label = p.current!.label;
      continue;
    }
    if (p.current && p.current.uuid !== NULL_UUID) p.uuid = p.current.uuid;
    else if (p.uuid === undefined) p.uuid = acquireUuid(ctx, seed, p);

    if (p.current && p.current.label !== '') p.label = p.current.label;
    else if (p.spec?.label !== undefined) p.label = p.spec.label;
    else p.label = acquireLabel(ctx, p);
  }
}
