/**
 * A plan in the shape `systemd-repart --json=pretty` prints (repart.c context_dump_partitions), so
 * that scripts written against repart's output read Partwright's unchanged. In `252` mode the
 * fields are exactly v252's; `latest` adds `partno`, `size` and `padding` (the human-readable
 * columns, v254 and later) in the order the newest repart prints them. Entries follow repart's
 * partition list: the definitions in order, then existing partitions no definition matches
 * ("file": "-"); dropped partitions are left out.
 */
import { partitionTypeName } from '../model/partition-types.ts';
import type { RepartVersion } from '../model/spec.ts';
import type { ImagePlan } from './types.ts';

export interface RepartJsonEntry {
  type: string;
  label: string;
  uuid: string;
  partno?: number;
  file: string;
  node: string;
  offset: number;
  old_size: number;
  raw_size: number;
  size?: string;
  old_padding: number;
  raw_padding: number;
  padding?: string;
  activity: 'create' | 'resize' | 'unchanged';
  'drop-in_files'?: string[];
}

export interface RepartJsonOptions {
  version: RepartVersion;
  /** The image path as given; partition nodes are named after it (fdisk_partname()). */
  imagePath: string;
  /** Per spec partition: the definition file and its drop-ins (repart.d layouts). */
  sources?: readonly { file: string; dropIns: readonly string[] }[];
}

/** fdisk_partname(): `img` + `1`, or `loop0` + `p1` when the name ends in a digit. */
export function partitionNode(imagePath: string, partitionNumber: number): string {
  return `${imagePath}${/[0-9]$/.test(imagePath) ? 'p' : ''}${partitionNumber}`;
}

/**
 * format_bytes() as systemd prints sizes: the largest IEC unit, one decimal; `latest` drops a `.0`
 * (v256 and later print "32M" where v252 printed "32.0M").
 */
export function formatRepartBytes(bytes: number, version: RepartVersion): string {
  const units: [string, number][] = [['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]];
  for (let i = 0; i < units.length; i++) {
    const [suffix, factor] = units[i]!;
    if (bytes < factor) continue;
    const next = units[i + 1];
    const tenth = next ? Math.floor((Math.floor(bytes / next[1]) * 10) / 1024) % 10 : Math.floor((bytes * 10) / factor) % 10;
    const whole = Math.floor(bytes / factor);
    return version === 'latest' && tenth === 0 ? `${whole}${suffix}` : `${whole}.${tenth}${suffix}`;
  }
  return `${bytes}B`;
}

function change(oldBytes: number, newBytes: number, version: RepartVersion): string {
  const to = formatRepartBytes(newBytes, version);
  return oldBytes === newBytes ? to : oldBytes === 0 ? `-> ${to}` : `${formatRepartBytes(oldBytes, version)} -> ${to}`;
}

export function repartJson(plan: ImagePlan, options: RepartJsonOptions): RepartJsonEntry[] {
  const entries: RepartJsonEntry[] = [];
  const add = (e: {
    typeGuid: string; label: string; uuid: string; partitionNumber: number; offsetBytes: number; sizeBytes: number;
    paddingBytes: number; file: string; dropIns: readonly string[]; existing: boolean;
    previous?: { sizeBytes: number; paddingBytes: number };
  }): void => {
    const cur = e.existing ? e.previous : undefined;
    const oldSize = cur?.sizeBytes ?? 0;
    const oldPadding = cur?.paddingBytes ?? 0;
    const type = partitionTypeName(e.typeGuid);
    const entry: RepartJsonEntry = {
      type,
      // repart reports the label it would give an unnamed partition even where it leaves the table alone.
      label: e.label !== '' || !e.existing ? e.label : type,
      uuid: e.uuid,
      ...(options.version === 'latest' ? { partno: e.partitionNumber - 1 } : {}),
      file: e.file,
      node: partitionNode(options.imagePath, e.partitionNumber),
      offset: e.offsetBytes,
      old_size: oldSize,
      raw_size: e.sizeBytes,
      ...(options.version === 'latest' ? { size: change(oldSize, e.sizeBytes, 'latest') } : {}),
      old_padding: oldPadding,
      raw_padding: e.paddingBytes,
      ...(options.version === 'latest' ? { padding: change(oldPadding, e.paddingBytes, 'latest') } : {}),
      activity: !e.existing ? 'create' : oldSize !== e.sizeBytes ? 'resize' : 'unchanged',
    };
    if (e.dropIns.length) entry['drop-in_files'] = [...e.dropIns];
    entries.push(entry);
  };
  for (const p of [...plan.partitions].sort((a, b) => a.specIndex - b.specIndex)) {
    const src = options.sources?.[p.specIndex];
    add({ ...p, file: src?.file ?? p.spec.sourceName ?? '-', dropIns: src?.dropIns ?? [] });
  }
  for (const p of plan.foreignPartitions) {
    add({
      ...p, paddingBytes: p.paddingBytes ?? 0, file: '-', dropIns: [], existing: true,
      previous: { sizeBytes: p.sizeBytes, paddingBytes: p.previousPaddingBytes ?? 0 },
    });
  }
  return entries;
}
