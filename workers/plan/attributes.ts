/**
 * GPT attribute bits as repart 252 writes them for a new partition (partition_read_definition's
 * defaults + partition_merge_flags + set_gpt_flags through libfdisk).
 */
import {
  partitionTypeByGuid,
  typeKnowsGrowFs,
  typeKnowsNoAuto,
  typeKnowsReadOnly,
} from '../model/partition-types.ts';
import type { PartitionSpec } from '../model/spec.ts';
import { parseGptFlags } from './resolve.ts';

export const GPT_FLAG_NO_AUTO = 1n << 63n;
export const GPT_FLAG_READ_ONLY = 1n << 60n;
export const GPT_FLAG_GROWFS = 1n << 59n;
/** libfdisk accepts only bits 48–63 as bare numbers; a lower bit makes it reject the whole list. */
const LOWEST_NUMBERED_BIT = 48n;

function setFlag(flags: bigint, bit: bigint, on: boolean): bigint {
  return on ? flags | bit : flags & ~bit;
}

/**
 * - `*-verity` types default to ReadOnly=yes.
 * - Types that know growfs get GrowFileSystem=yes unless read-only — in v252 this overrides an
 *   explicit `GrowFileSystem=no` too (checked with v252).
 * - NoAuto=/ReadOnly=/GrowFileSystem= are ignored on types that don't know them.
 * - Any bit below 48 makes libfdisk drop every attribute (checked: Flags=1 on root gives no bits at all).
 */
export function partitionAttributes(spec: PartitionSpec, typeGuid: string): bigint {
  const role = partitionTypeByGuid(typeGuid)?.role;
  let readOnly = spec.readOnly;
  if ((role === 'root-verity' || role === 'usr-verity') && readOnly === undefined) readOnly = true;
  let growFs = spec.growFileSystem;
  if (typeKnowsGrowFs(typeGuid) && readOnly !== true) growFs = true;

  let flags = spec.flags !== undefined ? (parseGptFlags(spec.flags) ?? 0n) : 0n;
  if (spec.noAuto !== undefined && typeKnowsNoAuto(typeGuid)) flags = setFlag(flags, GPT_FLAG_NO_AUTO, spec.noAuto);
  if (readOnly !== undefined && typeKnowsReadOnly(typeGuid)) flags = setFlag(flags, GPT_FLAG_READ_ONLY, readOnly);
  if (growFs !== undefined && typeKnowsGrowFs(typeGuid)) flags = setFlag(flags, GPT_FLAG_GROWFS, growFs);

  if ((flags & ((1n << LOWEST_NUMBERED_BIT) - 1n)) !== 0n) return 0n;
  return flags;
}
