/**
 * SupplementFor= (systemd-repart 257) in the build: a supplement the planner merged into its target
 * (ImagePlan.dropped[].mergedInto) is not created; the target's file system gets its contents too —
 * repart's partition_populate() walks the target's and then the suppressed supplement's CopyFiles=,
 * ExcludeFiles=, ExcludeFilesTarget=, MakeDirectories= and MakeSymlinks= (repart.d(5): "concatenated").
 */
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import type { ImagePlan } from '../plan/types.ts';

const LIST_KEYS = ['copyFiles', 'excludeFiles', 'excludeFilesTarget', 'makeDirectories', 'makeSymlinks'] as const;

/** The spec with each merged supplement's contents appended to its target's; `spec` itself when none is merged. */
export function mergeSupplementContents(spec: ImageSpec, plan: Pick<ImagePlan, 'dropped'>): ImageSpec {
  const merges = plan.dropped.filter((d) => d.mergedInto !== undefined);
  if (merges.length === 0) return spec;
  const partitions = spec.partitions.map((p) => ({ ...p }));
  for (const m of merges) {
    const target = partitions[m.mergedInto!]!;
    const supplement = spec.partitions[m.specIndex]!;
    for (const key of LIST_KEYS) {
      const extra = supplement[key];
      if (!extra?.length) continue;
      (target as Record<string, unknown>)[key] = [...((target[key] as readonly unknown[] | undefined) ?? []), ...extra];
    }
  }
  return { ...spec, partitions: partitions as PartitionSpec[] };
}
