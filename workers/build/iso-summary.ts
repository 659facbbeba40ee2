/**
 * What a Table=iso layout is made of, from the layout alone: the engine's `plan` answer for an ISO
 * (the ISO builder, build-iso.ts, lays it out from its contents and checks the rest at build time).
 */
import { ErrorCode } from '../model/errors.ts';
import { resolvePartitionType } from '../model/partition-types.ts';
import { DEFAULT_ARCHITECTURE, DEFAULT_SEED, type ImageSpec } from '../model/spec.ts';
import type { ImagePlan } from '../plan/types.ts';

/**
 * Table=iso is laid out by the ISO builder from its contents, so planning says what the ISO will be
 * made of (from the layout alone); the exact layout comes with the build (BuiltImage.iso).
 */
export interface IsoSummary {
  volumeId: string;
  /** Index of the Format=iso9660 definition. */
  isoIndex: number;
  /** El Torito BIOS boot file inside the ISO, if any. */
  biosBoot: string | undefined;
  /** The EFI El Torito image: its path in the ISO and the ESP definition it is made from. */
  efi: { path: string; espIndex: number; label: string } | undefined;
  isohybrid: boolean;
}

export type IsoPlanResult = { ok: true; plan: ImagePlan; iso: IsoSummary } | { ok: false; error: { code: ErrorCode; message: string; where?: string } };

/** What an ISO layout is made of, from the layout alone (the ISO builder checks the rest). */
export function planIsoSummary(spec: ImageSpec): IsoPlanResult {
  const fail = (message: string, where = 'partitions'): IsoPlanResult => ({ ok: false, error: { code: ErrorCode.InvalidSpec, message, where } });
  const isoIndexes = spec.partitions.flatMap((p, i) => (p.format === 'iso9660' ? [i] : []));
  if (isoIndexes.length !== 1) return fail(`Table=iso needs exactly one definition with Format=iso9660 (its CopyFiles= are the ISO's contents); found ${isoIndexes.length}.`);
  const isoIndex = isoIndexes[0]!;
  const isoDef = spec.partitions[isoIndex]!;
  const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
  const espIndexes = spec.partitions.flatMap((p, i) => (i !== isoIndex && resolvePartitionType(p.type, arch)?.known?.role === 'esp' ? [i] : []));
  // Images inside the ISO (ISOPath=, Format=squashfs) are files of the ISO, not partitions.
  const imageIndexes = spec.partitions.flatMap((p, i) => (i !== isoIndex && !espIndexes.includes(i) && p.isoPath !== undefined ? [i] : []));
  if (espIndexes.length > 1 || spec.partitions.length - 1 - espIndexes.length - imageIndexes.length > 0) {
    return fail('Table=iso takes one Format=iso9660 definition, at most one ESP (the EFI boot image) and Format=squashfs definitions with ISOPath= (images inside the ISO); remove the other definitions.');
  }
  for (const i of imageIndexes) {
    const format = spec.partitions[i]!.format;
    if (format !== 'squashfs') return fail(`ISOPath= makes a squashfs image inside the ISO: set Format=squashfs on that definition (it has ${format ?? 'no Format='}).`, `partitions.${i}.format`);
  }
  const espIndex = espIndexes[0];
  const seed = spec.seed ?? DEFAULT_SEED;
  return {
    ok: true,
    plan: {
      table: 'iso', sectorSizeBytes: 512, grainBytes: 2048, diskSizeBytes: 0, seed, architecture: arch, diskGuid: undefined, mbrDiskId: undefined,
      gpt: undefined, partitions: [], dropped: [], blobs: [], reserved: [], minimumSizeBytes: 0, foreignPartitions: [], mbrExtended: undefined, mbrProtectiveFirst: false,
    },
    iso: {
      volumeId: isoDef.label ?? 'PARTWRIGHT',
      isoIndex,
      biosBoot: isoDef.isoBiosBoot,
      efi: espIndex === undefined ? undefined : { path: isoDef.isoEfiImage ?? '/boot/efi.img', espIndex, label: spec.partitions[espIndex]!.label ?? 'EFIBOOT' },
      isohybrid: isoDef.isoHybridMbr !== undefined,
    },
  };
}

