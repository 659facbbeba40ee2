/**
 * The layout's first-boot settings (`spec.cloudInit`, `[X-Partwright-CloudInit]`) as files at the root
 * of a vfat file system (a NoCloud seed): the trees a build copies in beside CopyFiles=
 * (BuildOptions.extraTrees, by partition index).
 */
import { cloudInitSpecProblems, hasCloudInitSettings, makeCloudInitSeed, seedPartitionIndex, validateCloudInit, type CloudInitSpec } from '../model/cloud-init.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import type { TreeCopy } from './input-tree.ts';

/** `extraTrees` with the layout's seed added to its partition (unchanged when the layout has none). */
export function withCloudInitSeed(spec: ImageSpec, extraTrees: Record<number, TreeCopy[]>): Record<number, TreeCopy[]> {
  const settings = spec.cloudInit;
  if (!settings) return extraTrees;
  // The engine's validation of the section (values, settings that need another, the seed's partition).
  const problem = cloudInitSpecProblems(spec)[0];
  if (problem) throw new PartwrightError(ErrorCode.InvalidSpec, `[X-Partwright-CloudInit] ${problem.message}`, { where: `cloudInit.${problem.field}` });
  if (!hasCloudInitSettings(settings)) return extraTrees;
  const i = seedPartitionIndex(spec, settings) as number;
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
