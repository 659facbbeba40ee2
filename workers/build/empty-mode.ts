/**
 * systemd-repart's `--empty=` on an existing image, decided the way context_load_partition_table()
 * does: `refuse` needs a GPT, `allow` takes a GPT or an unlabelled disk, `require` only an unlabelled
 * one, `force` ignores whatever is there, `create` makes a new image. "From scratch" means a fresh
 * GPT on a disk of the existing image's size (unless a size is given), with none of its old bytes:
 * repart wipes the disk and, on a regular file, discards (punches out) all of it.
 */
import { detectGptSectorSize } from '../formats/gpt/index.ts';
import { decodeMbrSector } from '../formats/mbr/sector.ts';
import type { ReadBytes } from '../formats/table-region.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { EmptyMode, ImageSpec } from '../model/spec.ts';
import type { ReadSource } from '../disk/sparse-image.ts';

export { EMPTY_MODES, type EmptyMode } from '../model/spec.ts';

/** What a disk holds, as libfdisk's fdisk_has_label()/fdisk_is_labeltype(GPT) tell it apart. */
export type DiskLabel = 'gpt' | 'other' | 'none';

export function diskLabelOf(read: ReadBytes, diskSizeBytes: number): DiskLabel {
  if (diskSizeBytes >= 1024 && detectGptSectorSize(read, diskSizeBytes) !== undefined) return 'gpt';
  if (diskSizeBytes < 512) return 'none';
  const sector = decodeMbrSector(read(0, 512));
  return sector.signatureOk && sector.records.some((r) => r !== undefined) ? 'other' : 'none';
}

/** `keep`: base-image mode on the existing table; `scratch`: a fresh table (on the image's size when there is one). */
export type EmptyDecision = 'keep' | 'scratch';

/**
 * The decision for `mode` (undefined: repart's default for an image, `refuse`, or `create` when there
 * is no image). `base` is the existing image's label and name, when there is one.
 */
export function decideEmptyMode(mode: EmptyMode | undefined, base: { label: DiskLabel; name: string } | undefined): EmptyDecision {
  const refuse = (message: string): never => {
    throw new PartwrightError(ErrorCode.BaseImage, message, { where: 'base' });
  };
  if (!base) {
    if (mode === 'refuse') refuse('--empty=refuse needs an existing image with a GPT (--base IMG): repart never creates a partition table in this mode.');
    return 'scratch';
  }
  switch (mode ?? 'refuse') {
    case 'refuse':
      if (base.label !== 'gpt') {
        const holds = base.label === 'other' ? 'an MBR (or other) partition table' : 'no partition table';
        refuse(`Disk ${base.name} has no GPT disk label, not repartitioning (it holds ${holds}; --empty=force starts it over${base.label === 'other' ? ', sgdisk --mbrtogpt converts it' : ', --empty=allow or require lay a GPT on it'}).`);
      }
      return 'keep';
    case 'allow':
      if (base.label === 'other') refuse(`Disk ${base.name} has non-GPT disk label, not repartitioning.`);
      return base.label === 'gpt' ? 'keep' : 'scratch';
    case 'require':
      if (base.label !== 'none') refuse(`Disk ${base.name} already has a disk label, refusing.`);
      return 'scratch';
    case 'force':
      return 'scratch';
    case 'create':
      return refuse(`--empty=create makes a new image; ${base.name} exists (use --empty=force to start it over).`);
  }
  return 'scratch';
}

/**
 * `Empty=` (or the CLI's `--empty=`, which overrides it) with the base image, as every host applies
 * it: `keepBase` (base-image mode on its table) or a fresh table; on a fresh one the disk takes the
 * base image's size unless a size is given (`--size`, or the layout's `Size=`).
 */
export function decideBaseImage(
  spec: Pick<ImageSpec, 'empty' | 'sizeBytes'>,
  base: { source: ReadSource; name: string } | undefined,
  mode: EmptyMode | undefined = spec.empty,
): { keepBase: boolean; sizeBytes?: number } {
  const label = base
    ? diskLabelOf((o, n) => {
        const buf = new Uint8Array(Math.max(0, Math.min(n, base.source.sizeBytes - o)));
        base.source.read(o, buf);
        return buf;
      }, base.source.sizeBytes)
    : undefined;
  const decision = decideEmptyMode(mode, base && label ? { label, name: base.name } : undefined);
  if (decision === 'keep') return { keepBase: true };
  return base && spec.sizeBytes === undefined ? { keepBase: false, sizeBytes: base.source.sizeBytes } : { keepBase: false };
}
