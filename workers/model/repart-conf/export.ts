/**
 * ImageSpec → repart.d files. One file per partition (`[Partition]`, then `[X-Partwright]` only when
 * a Partwright key is set); image settings, first-boot settings and blobs go into the first file, so that a directory that
 * real systemd-repart reads (it skips `X-` sections) still holds everything Partwright needs.
 * Importing the result gives the same spec (file names become `sourceName`; empty lists are omitted).
 */
import { ErrorCode, PartwrightError } from '../errors.ts';
import {
  BLOB_FIELDS,
  CLOUD_INIT_FIELDS,
  DISK_FIELDS,
  PARTITION_FIELDS,
  type ConfSection,
  type FieldDef,
} from '../fields.ts';
import type { ImageSpec, PartitionSpec } from '../spec.ts';
import type { ConfFile } from './import.ts';

function lines<T>(
  fields: readonly FieldDef<T, unknown>[],
  target: T,
  section: ConfSection,
  where: string,
): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f.section !== section) continue;
    const v = f.get(target);
    if (v === undefined) continue;
    const problem = f.check(v);
    if (problem) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `${where}.${f.id}: ${problem}`, { where: `${where}.${f.id}` });
    }
    for (const text of f.format(v)) out.push(`${f.confKey}=${text}`);
  }
  return out;
}

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  return s.slice(0, 40) || 'partition';
}

/** Generated names, `NN-label-or-type.conf`, numbered by tens and padded so they sort in order. */
function generatedNames(partitions: readonly PartitionSpec[]): string[] {
  const width = Math.max(2, String(partitions.length * 10).length);
  return partitions.map((p, i) => `${String((i + 1) * 10).padStart(width, '0')}-${slug(p.label || p.type)}.conf`);
}

function strictlyIncreasing(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (!((names[i - 1] as string) < (names[i] as string))) return false;
  return true;
}

/**
 * File names: each partition's `sourceName` when all of them together keep the order, else generated.
 * The names a definition is known by (SupplementFor= names one without `.conf`) in the planner too.
 */
export function definitionFileNames(partitions: readonly PartitionSpec[]): string[] {
  const generated = generatedNames(partitions);
  const kept = partitions.map((p, i) =>
    p.sourceName && /^[^/\\\x00-\x1f]+\.conf$/.test(p.sourceName) ? p.sourceName : (generated[i] as string),
  );
  return strictlyIncreasing(kept) ? kept : generated;
}

/** Write a spec as a repart.d directory. Throws `invalid-spec` for values a .conf cannot carry. */
export function exportRepartDirectory(spec: ImageSpec): ConfFile[] {
  const partitionFields = PARTITION_FIELDS as readonly FieldDef<PartitionSpec, unknown>[];
  const names = definitionFileNames(spec.partitions);
  const files: ConfFile[] = spec.partitions.map((p, i) => {
    const where = `partitions.${i}`;
    if (p.type === undefined) throw new PartwrightError(ErrorCode.InvalidSpec, `${where}.type: Type= is required`, { where: `${where}.type` });
    const sections = ['[Partition]', ...lines(partitionFields, p, 'Partition', where)];
    const extra = lines(partitionFields, p, 'X-Partwright', where);
    if (extra.length) sections.push('', '[X-Partwright]', ...extra);
    return { name: names[i] as string, text: `${sections.join('\n')}\n` };
  });

  const image: string[] = [];
  const diskLines = lines(DISK_FIELDS as readonly FieldDef<ImageSpec, unknown>[], spec, 'X-Partwright-Disk', 'spec');
  const onlyDefaultTable = diskLines.length === 1 && diskLines[0] === 'Table=gpt';
  if (diskLines.length && !onlyDefaultTable) image.push('[X-Partwright-Disk]', ...diskLines);
  const cloudInitLines = lines(CLOUD_INIT_FIELDS as readonly FieldDef<ImageSpec, unknown>[], spec, 'X-Partwright-CloudInit', 'spec');
  if (cloudInitLines.length) {
    if (image.length) image.push('');
    image.push('[X-Partwright-CloudInit]', ...cloudInitLines);
  }
  (spec.blobs ?? []).forEach((b, i) => {
    for (const f of BLOB_FIELDS) {
      if (f.required && f.get(b) === undefined) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `blobs.${i}.${f.id}: ${f.confKey}= is required`, { where: `blobs.${i}.${f.id}` });
      }
    }
    const blobLines = lines(BLOB_FIELDS as readonly FieldDef<typeof b, unknown>[], b, 'X-Partwright-Blob', `blobs.${i}`);
    if (image.length) image.push('');
    image.push('[X-Partwright-Blob]', ...blobLines);
  });
  if (image.length) {
    const first = files[0];
    if (first) first.text = `${first.text}\n${image.join('\n')}\n`;
    else files.push({ name: '00-disk.conf', text: `${image.join('\n')}\n` });
  }
  return files;
}
