/**
 * Every file a layout names (not CopyFiles= folders): blob sources, CopyBlocks= images, the base
 * image, CopyFrom= images and the isohybrid MBR. One list, so the app gives each a place (and keeps Build disabled
 * while one is missing) and a host knows what it must be able to open.
 */
import type { ImageSpec } from './spec.ts';

export interface LayoutInput {
  /** The path as the layout writes it (the key the app stages the file under). */
  path: string;
  /** What it is for, in a sentence fragment a user reads ("the image whose partitions are kept"). */
  what: string;
  /** The setting that names it. */
  setting: 'Source=' | 'CopyBlocks=' | 'BaseImage=' | 'CopyFrom=' | 'ISOHybridMBR=';
  /** Where in the spec (for messages). */
  where: string;
}

export function layoutInputs(spec: ImageSpec): LayoutInput[] {
  const out: LayoutInput[] = [];
  const add = (input: LayoutInput) => {
    if (!out.some((i) => i.path === input.path)) out.push(input);
  };
  if (spec.base) add({ path: spec.base.source, what: 'the base image whose partitions are kept', setting: 'BaseImage=', where: 'base' });
  // RepartVersion=252 ignores CopyFrom= (repart 255), so its images are not needed then.
  if (spec.repartVersion !== '252') {
    for (const source of spec.copyFrom ?? []) add({ path: source, what: 'an image whose partitions are copied in first', setting: 'CopyFrom=', where: 'copyFrom' });
  }
  spec.partitions.forEach((p, i) => {
    const name = p.label ?? p.type;
    if (p.copyBlocks !== undefined && p.copyBlocks !== 'auto') add({ path: p.copyBlocks, what: `the bytes of partition '${name}'`, setting: 'CopyBlocks=', where: `partitions.${i}.copyBlocks` });
    if (p.isoHybridMbr !== undefined) add({ path: p.isoHybridMbr, what: 'the isohybrid MBR boot code (isohdpfx.bin), so the ISO boots from a USB stick', setting: 'ISOHybridMBR=', where: `partitions.${i}.isoHybridMbr` });
  });
  (spec.blobs ?? []).forEach((b, i) => {
    if (b.source !== undefined) add({ path: b.source, what: `blob '${b.name}' written at its offset`, setting: 'Source=', where: `blobs.${i}.source` });
  });
  return out;
}
