/**
 * The disk map's regions, from the engine's plan: table areas, partitions, their padding, blobs and
 * the free space between them, in disk order. Display data only; every number comes from the plan.
 * Widths are "to scale with a floor": each region gets `minPx`, the rest of the width is shared in
 * proportion to size, so a 1 MiB blob beside a 60 GiB root is still visible and clickable.
 */
import type { ImagePlan, PlannedPartition, ReservedArea } from '../../workers/engine.ts';

export type RegionKind = 'table' | 'partition' | 'padding' | 'free' | 'blob';

export interface MapRegion {
  kind: RegionKind;
  /** Short text drawn inside the region. */
  label: string;
  offsetBytes: number;
  sizeBytes: number;
  /** For partitions and their padding: the index in the spec's partition list. */
  partitionIndex?: number;
  /** For blobs: the index in the spec's blob list. */
  blobIndex?: number;
  /** Starts before the region in front of it ends. */
  overlap: boolean;
}

const TABLE_LABELS: Record<ReservedArea['kind'], string> = {
  mbr: 'MBR',
  'gpt-header': 'GPT',
  'gpt-entries': 'GPT',
  'gpt-backup-entries': 'GPT backup',
  'gpt-backup-header': 'GPT backup',
  ebr: 'EBR',
};

/**
 * Regions sorted by offset, free space filled in, adjacent table areas of one kind merged. `copied`:
 * partitions copied from CopyFrom= images (no definition of the layout, so nothing to select).
 */
export function diskRegions(plan: ImagePlan, copied: readonly PlannedPartition[] = []): MapRegion[] {
  const items: MapRegion[] = [];
  const tableLabel = (kind: ReservedArea['kind']): string =>
    kind === 'mbr' ? (plan.table === 'gpt' ? 'PMBR' : plan.table === 'hybrid' ? 'hybrid MBR' : 'MBR') : TABLE_LABELS[kind];
  for (const area of plan.reserved) {
    items.push({ kind: 'table', label: tableLabel(area.kind), offsetBytes: area.offsetBytes, sizeBytes: area.sizeBytes, overlap: false });
  }
  for (const p of plan.partitions) {
    items.push({ kind: 'partition', label: p.label || p.typeName, offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes, partitionIndex: p.specIndex, overlap: false });
    if (p.paddingBytes > 0) {
      items.push({ kind: 'padding', label: 'padding', offsetBytes: p.offsetBytes + p.sizeBytes, sizeBytes: p.paddingBytes, partitionIndex: p.specIndex, overlap: false });
    }
  }
  for (const p of copied) {
    items.push({ kind: 'partition', label: p.label || p.typeName, offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes, overlap: false });
    if (p.paddingBytes > 0) items.push({ kind: 'padding', label: 'padding', offsetBytes: p.offsetBytes + p.sizeBytes, sizeBytes: p.paddingBytes, overlap: false });
  }
  plan.blobs.forEach((b, i) => {
    items.push({ kind: 'blob', label: b.name, offsetBytes: b.offsetBytes, sizeBytes: b.sizeBytes, blobIndex: i, overlap: false });
  });
  items.sort((a, b) => a.offsetBytes - b.offsetBytes || b.sizeBytes - a.sizeBytes);

  const out: MapRegion[] = [];
  let cursor = 0;
  for (const item of items) {
    if (item.sizeBytes <= 0) continue;
    if (item.offsetBytes > cursor) {
      out.push({ kind: 'free', label: 'free', offsetBytes: cursor, sizeBytes: item.offsetBytes - cursor, overlap: false });
    } else if (item.offsetBytes < cursor) {
      item.overlap = true;
    }
    const prev = out.at(-1);
    if (prev && !item.overlap && prev.kind === 'table' && item.kind === 'table' && prev.label === item.label && prev.offsetBytes + prev.sizeBytes === item.offsetBytes) {
      prev.sizeBytes += item.sizeBytes;
    } else {
      out.push(item);
    }
    cursor = Math.max(cursor, item.offsetBytes + item.sizeBytes);
  }
  if (cursor < plan.diskSizeBytes) {
    out.push({ kind: 'free', label: 'free', offsetBytes: cursor, sizeBytes: plan.diskSizeBytes - cursor, overlap: false });
  }
  return out;
}

/** Pixel widths: `minPx` each, the remaining width in proportion to size. */
export function regionWidths(regions: readonly MapRegion[], totalPx: number, minPx: number): number[] {
  const total = regions.reduce((n, r) => n + r.sizeBytes, 0);
  const spare = Math.max(0, totalPx - minPx * regions.length);
  return regions.map((r) => minPx + (total > 0 ? (spare * r.sizeBytes) / total : 0));
}

/** `2048` or `2048.5` when an offset is not on a sector boundary. */
export function lbaOf(offsetBytes: number, sectorSizeBytes: number): string {
  const lba = offsetBytes / sectorSizeBytes;
  return Number.isInteger(lba) ? String(lba) : lba.toFixed(2);
}

/** Digits grouped by thin spaces: `1 073 741 824`. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}
