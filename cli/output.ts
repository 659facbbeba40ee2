/** How the CLI prints plans and inspections: aligned tables for people, JSON for scripts. */
import { formatSize } from '../workers/model/units.ts';
import type { ImagePlan } from '../workers/plan/types.ts';
import type { Inspection } from '../workers/build/inspect-image.ts';
import type { IsoReport } from '../workers/build/build-iso.ts';

/** JSON with bigints (GPT attribute bits) as 0x-hex strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16).padStart(16, '0')}` : v), 2);
}

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function attrs(bits: bigint): string {
  const set: number[] = [];
  for (let i = 0; i < 64; i++) if ((bits >> BigInt(i)) & 1n) set.push(i);
  return set.length ? set.join(',') : '-';
}

export function formatPlan(plan: ImagePlan): string {
  const head = [
    `${plan.table.toUpperCase()} · ${plan.sectorSizeBytes} B sectors · ${plan.diskSizeBytes} bytes (${formatSize(plan.diskSizeBytes)}; minimum ${formatSize(plan.minimumSizeBytes)}) · seed ${plan.seed}`,
  ];
  if (plan.diskGuid) head.push(`disk GUID ${plan.diskGuid}`);
  if (plan.mbrDiskId !== undefined) head.push(`MBR disk ID 0x${plan.mbrDiskId.toString(16).padStart(8, '0')}`);
  const rows = plan.partitions.map((p) => [
    String(p.partitionNumber),
    p.typeName,
    p.label,
    p.uuid,
    p.spec.sourceName ?? '',
    String(p.offsetBytes),
    String(p.sizeBytes),
    formatSize(p.sizeBytes),
    String(p.paddingBytes),
    plan.table === 'gpt' ? attrs(p.attributes) : `0x${p.mbrType.toString(16).padStart(2, '0')}${p.mbrBootable ? '*' : ''}`,
    p.existing ? 'keep' : 'create',
  ]);
  const lastCol = plan.table === 'gpt' ? 'ATTRS' : 'MBR';
  const out = [head.join(' · '), '', table(['#', 'TYPE', 'LABEL', 'UUID', 'FILE', 'OFFSET', 'SIZE', '', 'PADDING', lastCol, 'ACTIVITY'], rows, new Set([0, 5, 6, 7, 8]))];
  if (plan.blobs.length) {
    out.push('', table(['BLOB', 'OFFSET', 'SIZE', 'SOURCE'], plan.blobs.map((b) => [b.name, String(b.offsetBytes), String(b.sizeBytes), b.source ?? '']), new Set([1, 2])));
  }
  for (const d of plan.dropped) {
    out.push(d.mergedInto !== undefined
      ? `merged: definition ${d.specIndex + 1} into definition ${d.mergedInto + 1} (SupplementFor=; not created, its contents go into that file system)`
      : `dropped: definition ${d.specIndex + 1} (Priority=${d.priority}): ${d.reason}`);
  }
  return out.join('\n');
}

export function formatInspection(r: Inspection): string {
  const out: string[] = [`${r.table.toUpperCase()} · ${r.sectorSizeBytes} B sectors · ${r.diskSizeBytes} bytes (${formatSize(r.diskSizeBytes)})`];
  if (r.diskGuid) out.push(`disk GUID ${r.diskGuid}`);
  if (r.mbrDiskId !== undefined) out.push(`MBR disk ID 0x${r.mbrDiskId.toString(16).padStart(8, '0')}`);
  if (r.gpt) out.push(`GPT entries at LBA ${r.gpt.entriesLba} (${r.gpt.entryCount} × ${r.gpt.entrySizeBytes} B), usable LBA ${r.gpt.firstUsableLba}–${r.gpt.lastUsableLba}`);
  out.push('');
  out.push(
    table(
      ['#', 'TYPE', 'FS', 'LABEL', 'UUID', 'START', 'END', 'SIZE', '', 'FLAGS'],
      r.partitions.map((p) => [
        String(p.partitionNumber),
        p.typeName,
        p.fileSystem ?? '',
        p.label ?? '',
        p.uuid ?? '',
        String(p.offsetBytes),
        String(p.offsetBytes + p.sizeBytes - 1),
        String(p.sizeBytes),
        formatSize(p.sizeBytes),
        p.flags,
      ]),
      new Set([0, 5, 6, 7, 8]),
    ),
  );
  for (const p of r.partitions) if (p.swap) out.push(`swap #${p.partitionNumber}: UUID ${p.swap.uuid}, label "${p.swap.label}", ${p.swap.pageSizeBytes}-byte pages`);
  for (const v of r.verity ?? []) {
    const sig = v.signaturePartition !== undefined ? `, signature #${v.signaturePartition}` : v.signatureNamesRootHash === false ? ', no signature names it' : '';
    out.push(`verity data #${v.dataPartition} + hash #${v.hashPartition}${sig}: root hash ${v.rootHash || '-'} · tree ${v.verified ? 'verifies' : `does NOT verify${v.problem ? ` (${v.problem})` : ''}`} · UUIDs ${v.uuidsMatch ? 'are' : 'are NOT'} the root hash halves · blocks ${v.dataBlockBytes}/${v.hashBlockBytes}`);
  }
  if (r.blobs.length) {
    out.push('', table(['DATA OUTSIDE PARTITIONS', 'START', 'END', 'SIZE'], r.blobs.map((b) => ['blob', String(b.offsetBytes), String(b.offsetBytes + b.sizeBytes - 1), String(b.sizeBytes)]), new Set([1, 2, 3])));
  }
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

export function formatIsoReport(r: IsoReport): string {
  const out = [`ISO9660 · volume ${r.volumeId} · ${r.sizeBytes} bytes (${formatSize(r.sizeBytes)}) · ${r.fileCount} files${r.isohybrid ? ' · isohybrid MBR + GPT' : ''}`];
  for (const e of r.bootEntries) {
    out.push(`El Torito ${e.platformId === 0xef ? 'EFI ' : 'BIOS'}: image at block ${e.loadLba}, ${e.sectorCount} sectors`);
  }
  if (r.efiImage) out.push(`EFI image ${r.efiImage.path}: ${r.efiImage.sizeBytes} bytes (FAT, from the ESP definition)`);
  return out.join('\n');
}
