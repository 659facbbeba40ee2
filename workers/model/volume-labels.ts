/**
 * What a partition's Label= becomes inside its file system, and the rules a label must follow for
 * its table type and format: one place for the FAT writer, the validator and the app's fields, so a
 * label that is cut or changed is said at the field, in the table type's words.
 */
import type { PartitionSpec, TableType } from './spec.ts';

/** Characters mkfs.fat refuses in a label (src/mkfs.fat.c validate_volume_label). */
export const FAT_LABEL_ILLEGALS = '*?.,;:/\\|+=<>[]"';
/** A FAT volume label is 11 bytes in the boot sector. */
export const FAT_LABEL_MAX = 11;
/** An ext4 volume name is 16 bytes (s_volume_name). */
export const EXT4_LABEL_MAX = 16;
/** GPT partition names hold 36 UTF-16 code units; systemd-repart refuses longer labels on any table. */
export const LABEL_MAX_UNITS = 36;

/**
 * The label as systemd-repart hands it to mkfs.vfat (mkfs-util.c mangle_fat_label): non-ASCII
 * becomes `_`, cut to 11 characters, upper-cased, characters mkfs.vfat refuses become `_`.
 */
export function mangleFatLabel(label: string): string {
  let ascii = '';
  for (const ch of label) ascii += ch.codePointAt(0)! < 0x80 ? ch : '_';
  ascii = ascii.slice(0, FAT_LABEL_MAX).toUpperCase();
  let out = '';
  for (const ch of ascii) out += FAT_LABEL_ILLEGALS.includes(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? '_' : ch;
  return out;
}

/** The volume label a format writes for `label` (undefined when the format has none). */
export function volumeLabel(format: string | undefined, label: string): string | undefined {
  if (format === 'vfat') return mangleFatLabel(label);
  if (format === 'ext4' || format === 'ext2' || format === 'ext3') {
    // mke2fs -L keeps the first 16 bytes of the UTF-8 text; cut on a character boundary.
    let out = '';
    for (const ch of label) {
      if (new TextEncoder().encode(out + ch).length > EXT4_LABEL_MAX) break;
      out += ch;
    }
    return out;
  }
  return undefined;
}

/** "Label= is too long": said for the table at hand (an MBR stores no names at all). */
export function labelTooLongMessage(length: number, table: TableType): string {
  if (table === 'gpt' || table === 'hybrid') return `Partition label too long for GPT table (${length} UTF-16 units, at most ${LABEL_MAX_UNITS})`;
  return `Label= is at most ${LABEL_MAX_UNITS} characters (${length} given); an ${table === 'iso' ? 'ISO' : 'MBR'} table stores no partition names, the label only names the file system`;
}

/** Warnings about a label that the file system will not keep as written (cut, changed characters). */
export function labelWarnings(p: Pick<PartitionSpec, 'format' | 'label'>): string[] {
  const label = p.label;
  if (label === undefined || label === '') return [];
  const volume = volumeLabel(p.format, label);
  if (volume === undefined) return [];
  const out: string[] = [];
  if (p.format === 'vfat') {
    if (label.length > FAT_LABEL_MAX) out.push(`A FAT volume label holds ${FAT_LABEL_MAX} characters: the volume will be labelled “${volume}” while the partition name stays “${label}” (root=LABEL= and /dev/disk/by-label/ see the volume label).`);
    if ([...label].some((ch) => ch.codePointAt(0)! >= 0x80)) out.push(`A FAT volume label is ASCII only: non-ASCII characters become “_” (“${volume}”).`);
    else if ([...label.slice(0, FAT_LABEL_MAX)].some((ch) => FAT_LABEL_ILLEGALS.includes(ch))) out.push(`FAT labels cannot hold ${FAT_LABEL_ILLEGALS}: they become “_” (“${volume}”).`);
  } else if (volume !== label) {
    out.push(`An ${p.format} volume label holds ${EXT4_LABEL_MAX} bytes: the volume will be labelled “${volume}” while the partition name stays “${label}”.`);
  }
  return out;
}
