/**
 * From a plan to the partition-table bytes: GPT (with protective MBR), classic MBR (with an extended
 * partition and EBRs beyond four), or GPT plus a hybrid MBR. Written last by the builder.
 */
import { encodeGpt } from '../formats/gpt/index.ts';
import { encodeHybridMbr, encodeMbr, type MbrLogicalInput, type MbrPartitionInput } from '../formats/mbr/index.ts';
import type { TableRegion } from '../formats/table-region.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import type { ByteRange, ImagePlan } from '../plan/types.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';

/** sfdisk's default type for the extended partition that holds logical partitions. */
const EXTENDED_TYPE = 0x05;

export function writeTables(image: SparseImage, plan: ImagePlan): void {
  // A base image whose table does not change is left as it is, as repart leaves it ("No changes.").
  if (plan.changed === false) return;
  for (const r of tableRegions(plan)) image.write(r.offsetBytes, r.bytes);
}

export function tableRegions(plan: ImagePlan): TableRegion[] {
  switch (plan.table) {
    case 'gpt':
      return gptRegions(plan, true);
    case 'hybrid':
      return [...gptRegions(plan, false), hybridRegion(plan)];
    case 'mbr':
      return mbrRegions(plan);
    case 'iso':
      throw new PartwrightError(ErrorCode.InvalidSpec, 'An ISO image has no partition table to write (internal error).');
  }
}

function lbas(plan: ImagePlan, p: ByteRange): { firstLba: number; sectorCount: number } {
  return { firstLba: p.offsetBytes / plan.sectorSizeBytes, sectorCount: p.sizeBytes / plan.sectorSizeBytes };
}

function gptRegions(plan: ImagePlan, protectiveMbr: boolean): TableRegion[] {
  const g = plan.gpt;
  if (!g || !plan.diskGuid) throw new PartwrightError(ErrorCode.InvalidSpec, 'A GPT plan without GPT geometry (internal error).');
  return encodeGpt({
    diskGuid: plan.diskGuid,
    sectorSizeBytes: plan.sectorSizeBytes,
    diskSizeBytes: plan.diskSizeBytes,
    entriesLba: g.entriesLba,
    entryCount: g.entryCount,
    entrySizeBytes: g.entrySizeBytes,
    firstUsableLba: g.firstUsableLba,
    lastUsableLba: g.lastUsableLba,
    protectiveMbr,
    // Base-image partitions no definition matched are kept exactly as they were.
    partitions: [...plan.partitions, ...plan.foreignPartitions].map((p) => {
      const { firstLba, sectorCount } = lbas(plan, p);
      return {
        partitionNumber: p.partitionNumber,
        typeGuid: p.typeGuid,
        uniqueGuid: p.uuid,
        firstLba,
        lastLba: firstLba + sectorCount - 1,
        attributes: p.attributes,
        name: p.label,
      };
    }),
  });
}

function hybridRegion(plan: ImagePlan): TableRegion {
  const mirrored = plan.partitions.filter((p) => p.inHybridMbr);
  return encodeHybridMbr({
    diskId: plan.mbrDiskId ?? 0,
    sectorSizeBytes: plan.sectorSizeBytes,
    diskSizeBytes: plan.diskSizeBytes,
    protectiveFirst: plan.mbrProtectiveFirst,
    mirrored: mirrored.map((p) => ({ type: p.mbrType, bootable: p.mbrBootable, ...lbas(plan, p) })),
  });
}

function mbrRegions(plan: ImagePlan): TableRegion[] {
  const primary: MbrPartitionInput[] = [];
  const logical: MbrLogicalInput[] = [];
  const ebrs = plan.reserved.filter((r) => r.kind === 'ebr').sort((a, b) => a.offsetBytes - b.offsetBytes);
  const logicalParts = plan.partitions.filter((p) => p.partitionNumber > 4).sort((a, b) => a.partitionNumber - b.partitionNumber);
  for (const p of plan.partitions) {
    if (p.partitionNumber <= 4) primary.push({ partitionNumber: p.partitionNumber, type: p.mbrType, bootable: p.mbrBootable, ...lbas(plan, p) });
  }
  logicalParts.forEach((p, i) => {
    const ebr = ebrs[i];
    logical.push({
      type: p.mbrType,
      bootable: p.mbrBootable,
      ...lbas(plan, p),
      ...(ebr ? { ebrLba: ebr.offsetBytes / plan.sectorSizeBytes } : {}),
    });
  });
  if (logical.length) {
    const ext = plan.mbrExtended;
    const slot = [1, 2, 3, 4].find((n) => !primary.some((p) => p.partitionNumber === n));
    if (!ext || slot === undefined) throw new PartwrightError(ErrorCode.InvalidSpec, 'Logical partitions without an extended partition in the plan (internal error).');
    primary.push({ partitionNumber: slot, type: EXTENDED_TYPE, ...lbas(plan, ext) });
  }
  return encodeMbr({
    diskId: plan.mbrDiskId ?? 0,
    sectorSizeBytes: plan.sectorSizeBytes,
    diskSizeBytes: plan.diskSizeBytes,
    primary,
    logical,
  });
}
