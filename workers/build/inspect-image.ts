/**
 * What is in an image: its partition tables decoded (GPT, hybrid MBR, classic MBR with logical
 * partitions), its partitions, and data found outside partitions and table areas (boot blobs).
 * Used by `partwright inspect`, the app's import of an existing image, and the tests.
 */
import { decodeGpt, detectGptSectorSize, type GptGeometry } from '../formats/gpt/index.ts';
import { decodeMbr, type DecodedMbr } from '../formats/mbr/index.ts';
import type { ReadBytes } from '../formats/table-region.ts';
import { partitionTypeName } from '../model/partition-types.ts';
import type { ReadSource } from '../disk/sparse-image.ts';
import { scanDataRanges } from '../disk/sparse-image.ts';
import type { ByteRange } from '../plan/types.ts';
import type { CreateSha256 } from '../formats/verity/index.ts';
import type { ToolName } from '../model/registry.ts';
import { verityHasher } from './verity.ts';
import { inspectContents, type FileSystemType, type InspectedVerity, type PartitionContent } from './inspect-contents.ts';

export type { FileSystemType, InspectedVerity } from './inspect-contents.ts';

export interface InspectedPartition extends ByteRange {
  partitionNumber: number;
  /** GPT type GUID (GPT and hybrid). */
  typeGuid: string | undefined;
  /** repart's identifier for the type, the GUID, or the MBR type byte as 0xNN. */
  typeName: string;
  label: string | undefined;
  uuid: string | undefined;
  attributes: bigint | undefined;
  mbrType: number | undefined;
  mbrBootable: boolean | undefined;
  /** Human summary: GPT attribute bits, or MBR type/boot flag. */
  flags: string;
  /** What the partition holds, by its magic (vfat, ext4, squashfs, erofs, swap, verity-hash, …). */
  fileSystem?: FileSystemType;
  /** Swap areas: the header's UUID and label. */
  swap?: PartitionContent['swap'];
}

export interface InspectOptions {
  /** The host's WASM tools: sha256-lanes checks verity hash trees (build/verity.ts: verityHasher). */
  loadTool?: (name: ToolName) => WebAssembly.Module;
  /** The host's SHA-256 for verity hash trees when sha256-lanes is not loaded (default the engine's own). */
  createSha256?: CreateSha256;
}

export interface Inspection {
  table: 'gpt' | 'hybrid' | 'mbr' | 'none';
  sectorSizeBytes: number;
  diskSizeBytes: number;
  diskGuid: string | undefined;
  mbrDiskId: number | undefined;
  gpt: GptGeometry | undefined;
  partitions: InspectedPartition[];
  /** Records of a hybrid MBR (besides 0xEE), or the extended partition of a classic MBR. */
  mbrRecords: { partitionNumber: number; type: number; bootable: boolean; offsetBytes: number; sizeBytes: number }[];
  /** Non-zero data outside partitions and table structures (boot loaders at fixed offsets). */
  blobs: ByteRange[];
  /** dm-verity sets found: data + hash partition, root hash, whether the tree verifies. */
  verity?: InspectedVerity[];
  warnings: string[];
}

/** Gaps larger than this are not scanned for blobs (a 60 GiB empty tail would take minutes). */
const MAX_SCANNED_GAP_BYTES = 64 << 20;

function bits(a: bigint): string {
  const set: number[] = [];
  for (let i = 0; i < 64; i++) if ((a >> BigInt(i)) & 1n) set.push(i);
  return set.length ? `attrs ${set.join(',')}` : '';
}

export function inspectImage(source: ReadSource, options: InspectOptions = {}): Inspection {
  const found = inspectTables(source);
  if (found.partitions.length === 0) return found;
  const { contents, verity } = inspectContents(source, found.partitions, verityHasher(options.loadTool, options.createSha256));
  const partitions = found.partitions.map((p, i) => {
    const c = contents[i]!;
    return { ...p, ...(c.fileSystem ? { fileSystem: c.fileSystem } : {}), ...(c.swap ? { swap: c.swap } : {}) };
  });
  return { ...found, partitions, ...(verity.length ? { verity } : {}) };
}

function inspectTables(source: ReadSource): Inspection {
  const read: ReadBytes = (o, n) => {
    const buf = new Uint8Array(Math.max(0, Math.min(n, source.sizeBytes - o)));
    source.read(o, buf);
    return buf;
  };
  const diskSizeBytes = source.sizeBytes;
  const warnings: string[] = [];
  const tableAreas: ByteRange[] = [];
  const gptSector = detectGptSectorSize(read, diskSizeBytes);

  let mbr: DecodedMbr | undefined;
  try {
    mbr = diskSizeBytes >= 512 ? decodeMbr(read, diskSizeBytes, gptSector ?? 512) : undefined;
  } catch (e) {
    if (gptSector === undefined) throw e;
    warnings.push(`MBR: ${(e as Error).message}`);
  }

  if (gptSector !== undefined) {
    const gpt = decodeGpt(read, diskSizeBytes, gptSector);
    warnings.push(...gpt.warnings);
    const g = gpt.geometry;
    const s = gptSector;
    const entryBytes = Math.ceil((g.entryCount * g.entrySizeBytes) / s) * s;
    tableAreas.push(
      { offsetBytes: 0, sizeBytes: 2 * s },
      { offsetBytes: g.entriesLba * s, sizeBytes: entryBytes },
      { offsetBytes: g.backupEntriesLba * s, sizeBytes: entryBytes },
      { offsetBytes: g.backupHeaderLba * s, sizeBytes: s },
    );
    const hybrid = mbr?.kind === 'hybrid';
    const partitions: InspectedPartition[] = gpt.partitions.map((p) => {
      const offsetBytes = p.firstLba * s;
      const sizeBytes = (p.lastLba - p.firstLba + 1) * s;
      const rec = hybrid ? mbr!.primary.find((r) => r.firstLba * s === offsetBytes && r.type !== 0xee) : undefined;
      return {
        partitionNumber: p.partitionNumber,
        typeGuid: p.typeGuid,
        typeName: partitionTypeName(p.typeGuid),
        label: p.name,
        uuid: p.uniqueGuid,
        attributes: p.attributes,
        mbrType: rec?.type,
        mbrBootable: rec?.bootable,
        flags: [bits(p.attributes), rec ? `hybrid MBR 0x${rec.type.toString(16).padStart(2, '0')}${rec.bootable ? ' boot' : ''}` : ''].filter(Boolean).join('; '),
        offsetBytes,
        sizeBytes,
      };
    });
    return {
      table: hybrid ? 'hybrid' : 'gpt',
      sectorSizeBytes: s,
      diskSizeBytes,
      diskGuid: gpt.diskGuid,
      mbrDiskId: hybrid ? mbr!.diskId : undefined,
      gpt: g,
      partitions,
      mbrRecords: hybrid
        ? mbr!.primary.map((r) => ({ partitionNumber: r.partitionNumber, type: r.type, bootable: r.bootable, offsetBytes: r.firstLba * s, sizeBytes: r.sectorCount * s }))
        : [],
      blobs: findBlobs(source, partitions, tableAreas, warnings),
      warnings,
    };
  }

  if (mbr && mbr.kind === 'mbr' && (mbr.primary.length > 0 || mbr.logical.length > 0)) {
    const s = 512;
    tableAreas.push({ offsetBytes: 0, sizeBytes: s });
    for (const l of mbr.logical) tableAreas.push({ offsetBytes: l.ebrLba * s, sizeBytes: s });
    const extended = mbr.primary.filter((r) => [0x05, 0x0f, 0x85].includes(r.type));
    const partitions: InspectedPartition[] = [...mbr.primary.filter((r) => !extended.includes(r)), ...mbr.logical].map((r) => ({
      partitionNumber: r.partitionNumber,
      typeGuid: undefined,
      typeName: `0x${r.type.toString(16).padStart(2, '0')}`,
      label: undefined,
      uuid: undefined,
      attributes: undefined,
      mbrType: r.type,
      mbrBootable: r.bootable,
      flags: r.bootable ? 'boot' : '',
      offsetBytes: r.firstLba * s,
      sizeBytes: r.sectorCount * s,
    }));
    return {
      table: 'mbr',
      sectorSizeBytes: s,
      diskSizeBytes,
      diskGuid: undefined,
      mbrDiskId: mbr.diskId,
      gpt: undefined,
      partitions,
      mbrRecords: extended.map((r) => ({ partitionNumber: r.partitionNumber, type: r.type, bootable: r.bootable, offsetBytes: r.firstLba * s, sizeBytes: r.sectorCount * s })),
      blobs: findBlobs(source, partitions, tableAreas, warnings),
      warnings,
    };
  }

  warnings.push('no partition table found (neither GPT nor MBR)');
  return { table: 'none', sectorSizeBytes: 512, diskSizeBytes, diskGuid: undefined, mbrDiskId: undefined, gpt: undefined, partitions: [], mbrRecords: [], blobs: [], warnings };
}

/** Non-zero data in the gaps between partitions and table structures, at 512-byte granularity. */
function findBlobs(source: ReadSource, partitions: ByteRange[], tableAreas: ByteRange[], warnings: string[]): ByteRange[] {
  const taken = [...partitions, ...tableAreas].filter((r) => r.sizeBytes > 0).sort((a, b) => a.offsetBytes - b.offsetBytes);
  const gaps: ByteRange[] = [];
  let pos = 0;
  for (const r of taken) {
    if (r.offsetBytes > pos) gaps.push({ offsetBytes: pos, sizeBytes: r.offsetBytes - pos });
    pos = Math.max(pos, r.offsetBytes + r.sizeBytes);
  }
  if (pos < source.sizeBytes) gaps.push({ offsetBytes: pos, sizeBytes: source.sizeBytes - pos });
  const blobs: ByteRange[] = [];
  let skipped = 0;
  for (const gap of gaps) {
    if (gap.sizeBytes > MAX_SCANNED_GAP_BYTES) {
      skipped++;
      continue;
    }
    const window: ReadSource = {
      sizeBytes: gap.sizeBytes,
      read: (o, t) => source.read(gap.offsetBytes + o, t),
    };
    for (const r of scanDataRanges(window, 512)) blobs.push({ offsetBytes: gap.offsetBytes + r.offsetBytes, sizeBytes: r.sizeBytes });
  }
  if (skipped) warnings.push(`${skipped} gap${skipped > 1 ? 's' : ''} larger than ${MAX_SCANNED_GAP_BYTES >> 20} MiB not scanned for data outside partitions`);
  return blobs;
}
