/**
 * cloud-init settings as files at the root of a vfat file system (a NoCloud seed): the trees a build
 * copies in beside CopyFiles= (BuildOptions.extraTrees, by partition index).
 */
import { makeCloudInitSeed, validateCloudInit, type CloudInitSpec } from '../model/cloud-init.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import type { TreeCopy } from './input-tree.ts';

/**
 * Which partition the seed goes into: a vfat one labelled CIDATA (what NoCloud looks for by label),
 * else the ESP or the FIRMWARE partition, else the first vfat one.
 */
export function seedPartitionIndex(spec: ImageSpec): number {
  const vfat = spec.partitions.flatMap((p, i) => (p.format === 'vfat' ? [{ p, i }] : []));
  const pick =
    vfat.find(({ p }) => p.label?.toUpperCase() === 'CIDATA') ??
    vfat.find(({ p }) => p.type === 'esp' || p.label?.toUpperCase() === 'FIRMWARE') ??
    vfat[0];
  if (!pick) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'The cloud-init seed needs a vfat partition: format the ESP/FIRMWARE partition as vfat, or add one labelled CIDATA.', { where: 'cloudInit' });
  }
  return pick.i;
}

/** `extraTrees` with the seed added to its partition. */
export function withCloudInitSeed(spec: ImageSpec, extraTrees: Record<number, TreeCopy[]>, settings: CloudInitSpec | undefined): Record<number, TreeCopy[]> {
  if (!settings) return extraTrees;
  const i = seedPartitionIndex(spec);
  return { ...extraTrees, [i]: [...(extraTrees[i] ?? []), ...cloudInitTrees(settings)] };
}

export function cloudInitTrees(settings: CloudInitSpec, where = 'cloudInit'): TreeCopy[] {
  const problem = validateCloudInit(settings)[0];
  if (problem) throw new PartwrightError(ErrorCode.InvalidSpec, problem.message, { where: `${where}.${problem.field}` });
  return Object.entries(makeCloudInitSeed(settings)).map(([name, text]) => {
    const bytes = new TextEncoder().encode(text);
    return {
      target: `/${name}`,
      entry: { kind: 'file', name, mode: 0o644, sizeBytes: bytes.length, read: (offset: number, target: Uint8Array) => target.set(bytes.subarray(offset, offset + target.length)) },
    };
  });
}
