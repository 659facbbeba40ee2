/**
 * qcow2 version 3 images (QEMU `docs/interop/qcow2.txt`), written as one stream in file order:
 *
 *   cluster 0       header (104 bytes) + header-extension end marker
 *   L1 table        one entry per 512 MiB of virtual disk
 *   refcount table  one entry per refcount block
 *   refcount blocks 16-bit refcounts, every used cluster = 1
 *   L2 tables       only for 512 MiB regions that hold data
 *   data clusters   only 64 KiB clusters that hold data, in virtual order
 *
 * Holes stay unallocated (L2 entry 0, or no L2 table), so a 64 GiB image with little data gives a
 * small file. The layout comes from the data ranges alone; the data is read once, while streaming.
 * All fields big-endian. Every cluster has refcount 1, so L1/L2 entries carry QCOW_OFLAG_COPIED.
 *
 * The virtual size is rounded up to 512 bytes: QEMU counts qcow2 disks in sectors and would drop a
 * partial last sector.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { checkImageSize, getU64, mappedUnits, OUTPUT_CHUNK_BYTES, readPadded, roundUp, setU64, type ImageSource, type UnitRun } from './image-source.ts';

/** Byte offsets inside the version 3 header (qcow2.txt "Header"). */
const HEADER = {
  magic: 0,
  version: 4,
  backingFileOffset: 8,
  backingFileSize: 16,
  clusterBits: 20,
  size: 24,
  cryptMethod: 32,
  l1Size: 36,
  l1TableOffset: 40,
  refcountTableOffset: 48,
  refcountTableClusters: 56,
  nbSnapshots: 60,
  snapshotsOffset: 64,
  incompatibleFeatures: 72,
  compatibleFeatures: 80,
  autoclearFeatures: 88,
  refcountOrder: 96,
  headerLength: 100,
} as const;
/** Byte offsets inside a header extension (qcow2.txt "Header extensions"). */
const EXTENSION = { type: 0, length: 4 } as const;
const BE = false;

/** "QFI\xfb". */
export const QCOW2_MAGIC = 0x514649fb;
export const QCOW2_VERSION = 3;
/** Version 3's fixed header: bytes 0–103 (the optional compression-type byte is not used). */
export const QCOW2_HEADER_BYTES = 104;
/** 64 KiB clusters: QEMU's default, and what `qemu-img convert -O qcow2` produces. */
export const QCOW2_CLUSTER_BITS = 16;
export const QCOW2_CLUSTER_BYTES = 1 << QCOW2_CLUSTER_BITS;
/** refcount_order 4: 16-bit refcounts, the only width before QEMU 2.3 and still the default. */
export const QCOW2_REFCOUNT_ORDER = 4;
/** Header extension type 0: end of the extension area. */
const EXTENSION_END = 0;
const EXTENSION_HEADER_BYTES = 8;
/** Bit 63 of L1/L2 entries: the cluster's refcount is exactly 1 (may be written in place). */
const QCOW_OFLAG_COPIED = 1n << 63n;
/** L2 entries per table: a table is one cluster of 8-byte entries. */
const L2_ENTRIES = QCOW2_CLUSTER_BYTES / 8;
/** Refcounts per refcount block (16-bit entries). */
const REFCOUNTS_PER_BLOCK = QCOW2_CLUSTER_BYTES / 2;

export interface Qcow2Header {
  version: number;
  clusterBits: number;
  virtualSizeBytes: number;
  l1Entries: number;
  l1TableOffsetBytes: number;
  refcountTableOffsetBytes: number;
  refcountTableClusters: number;
  incompatibleFeatures: number;
  compatibleFeatures: number;
  autoclearFeatures: number;
  refcountOrder: number;
  headerLengthBytes: number;
  backingFileOffsetBytes: number;
  cryptMethod: number;
  snapshotCount: number;
}

export interface Qcow2Layout {
  virtualSizeBytes: number;
  l1Entries: number;
  l1OffsetBytes: number;
  l1Clusters: number;
  refcountTableOffsetBytes: number;
  refcountTableClusters: number;
  refcountBlocksOffsetBytes: number;
  refcountBlockCount: number;
  /** L1 indexes that have an L2 table, ascending; table k lives at `l2OffsetBytes + k × cluster`. */
  l2Indexes: number[];
  l2OffsetBytes: number;
  /** Virtual clusters that hold data, as runs; stored in this order from `dataOffsetBytes`. */
  dataRuns: UnitRun[];
  dataClusters: number;
  dataOffsetBytes: number;
  /** Exact size of the qcow2 file. */
  fileSizeBytes: number;
}

export function encodeQcow2Header(h: Qcow2Header): Uint8Array {
  const bytes = new Uint8Array(h.headerLengthBytes + EXTENSION_HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(HEADER.magic, QCOW2_MAGIC, BE);
  v.setUint32(HEADER.version, h.version, BE);
  setU64(v, HEADER.backingFileOffset, h.backingFileOffsetBytes, BE);
  v.setUint32(HEADER.backingFileSize, 0, BE);
  v.setUint32(HEADER.clusterBits, h.clusterBits, BE);
  setU64(v, HEADER.size, h.virtualSizeBytes, BE);
  v.setUint32(HEADER.cryptMethod, h.cryptMethod, BE);
  v.setUint32(HEADER.l1Size, h.l1Entries, BE);
  setU64(v, HEADER.l1TableOffset, h.l1TableOffsetBytes, BE);
  setU64(v, HEADER.refcountTableOffset, h.refcountTableOffsetBytes, BE);
  v.setUint32(HEADER.refcountTableClusters, h.refcountTableClusters, BE);
  v.setUint32(HEADER.nbSnapshots, h.snapshotCount, BE);
  setU64(v, HEADER.snapshotsOffset, 0, BE);
  setU64(v, HEADER.incompatibleFeatures, h.incompatibleFeatures, BE);
  setU64(v, HEADER.compatibleFeatures, h.compatibleFeatures, BE);
  setU64(v, HEADER.autoclearFeatures, h.autoclearFeatures, BE);
  v.setUint32(HEADER.refcountOrder, h.refcountOrder, BE);
  v.setUint32(HEADER.headerLength, h.headerLengthBytes, BE);
  // The extension area right after the header holds only the end marker (type 0, length 0).
  v.setUint32(h.headerLengthBytes + EXTENSION.type, EXTENSION_END, BE);
  v.setUint32(h.headerLengthBytes + EXTENSION.length, 0, BE);
  return bytes;
}

export function decodeQcow2Header(bytes: Uint8Array): Qcow2Header {
  if (bytes.length < QCOW2_HEADER_BYTES) corrupt(`the header needs ${QCOW2_HEADER_BYTES} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = v.getUint32(HEADER.magic, BE);
  if (magic !== QCOW2_MAGIC) corrupt(`bad magic 0x${magic.toString(16)}`);
  const h: Qcow2Header = {
    version: v.getUint32(HEADER.version, BE),
    clusterBits: v.getUint32(HEADER.clusterBits, BE),
    virtualSizeBytes: getU64(v, HEADER.size, BE),
    l1Entries: v.getUint32(HEADER.l1Size, BE),
    l1TableOffsetBytes: getU64(v, HEADER.l1TableOffset, BE),
    refcountTableOffsetBytes: getU64(v, HEADER.refcountTableOffset, BE),
    refcountTableClusters: v.getUint32(HEADER.refcountTableClusters, BE),
    incompatibleFeatures: getU64(v, HEADER.incompatibleFeatures, BE),
    compatibleFeatures: getU64(v, HEADER.compatibleFeatures, BE),
    autoclearFeatures: getU64(v, HEADER.autoclearFeatures, BE),
    refcountOrder: v.getUint32(HEADER.refcountOrder, BE),
    headerLengthBytes: v.getUint32(HEADER.headerLength, BE),
    backingFileOffsetBytes: getU64(v, HEADER.backingFileOffset, BE),
    cryptMethod: v.getUint32(HEADER.cryptMethod, BE),
    snapshotCount: v.getUint32(HEADER.nbSnapshots, BE),
  };
  if (h.version !== QCOW2_VERSION) corrupt(`version ${h.version} (only 3 is read)`);
  if (h.clusterBits < 9 || h.clusterBits > 21) corrupt(`cluster_bits ${h.clusterBits} outside 9–21`);
  if (h.headerLengthBytes < QCOW2_HEADER_BYTES) corrupt(`header_length ${h.headerLengthBytes} < 104`);
  return h;
}

/** Where everything goes; needs only the data ranges, no image bytes. */
export function planQcow2(image: ImageSource): Qcow2Layout {
  checkImageSize(image.sizeBytes, 'qcow2');
  const virtualSizeBytes = roundUp(image.sizeBytes, 512);
  const dataRuns = mappedUnits(image, QCOW2_CLUSTER_BYTES);
  const dataClusters = dataRuns.reduce((n, r) => n + r.unitCount, 0);
  const virtualClusters = Math.ceil(virtualSizeBytes / QCOW2_CLUSTER_BYTES);
  const l1Entries = Math.ceil(virtualClusters / L2_ENTRIES);
  const l1Clusters = Math.max(1, Math.ceil((l1Entries * 8) / QCOW2_CLUSTER_BYTES));
  const l2Indexes: number[] = [];
  for (const r of dataRuns) {
    const first = Math.floor(r.firstUnit / L2_ENTRIES);
    const last = Math.floor((r.firstUnit + r.unitCount - 1) / L2_ENTRIES);
    for (let i = first; i <= last; i++) if (l2Indexes.at(-1) !== i) l2Indexes.push(i);
  }
  // Refcount blocks count themselves and the table: iterate to the fixed point.
  const fixedClusters = 1 + l1Clusters + l2Indexes.length + dataClusters;
  let refcountBlockCount = 0;
  let refcountTableClusters = 0;
  for (;;) {
    const total = fixedClusters + refcountTableClusters + refcountBlockCount;
    const blocks = Math.ceil(total / REFCOUNTS_PER_BLOCK);
    const tableClusters = Math.ceil((blocks * 8) / QCOW2_CLUSTER_BYTES);
    if (blocks === refcountBlockCount && tableClusters === refcountTableClusters) break;
    refcountBlockCount = blocks;
    refcountTableClusters = tableClusters;
  }
  const l1OffsetBytes = QCOW2_CLUSTER_BYTES;
  const refcountTableOffsetBytes = l1OffsetBytes + l1Clusters * QCOW2_CLUSTER_BYTES;
  const refcountBlocksOffsetBytes = refcountTableOffsetBytes + refcountTableClusters * QCOW2_CLUSTER_BYTES;
  const l2OffsetBytes = refcountBlocksOffsetBytes + refcountBlockCount * QCOW2_CLUSTER_BYTES;
  const dataOffsetBytes = l2OffsetBytes + l2Indexes.length * QCOW2_CLUSTER_BYTES;
  const fileSizeBytes = dataOffsetBytes + dataClusters * QCOW2_CLUSTER_BYTES;
  if (!Number.isSafeInteger(fileSizeBytes)) throw new PartwrightError(ErrorCode.Unsupported, 'qcow2: the image is too large.');
  return {
    virtualSizeBytes, l1Entries, l1OffsetBytes, l1Clusters, refcountTableOffsetBytes, refcountTableClusters,
    refcountBlocksOffsetBytes, refcountBlockCount, l2Indexes, l2OffsetBytes, dataRuns, dataClusters,
    dataOffsetBytes, fileSizeBytes,
  };
}

/** The qcow2 file as consecutive chunks, in file order. */
export function* qcow2Chunks(image: ImageSource, layout: Qcow2Layout = planQcow2(image)): Generator<Uint8Array> {
  const C = QCOW2_CLUSTER_BYTES;
  const totalClusters = layout.fileSizeBytes / C;

  const header = new Uint8Array(C);
  header.set(encodeQcow2Header({
    version: QCOW2_VERSION, clusterBits: QCOW2_CLUSTER_BITS, virtualSizeBytes: layout.virtualSizeBytes,
    l1Entries: layout.l1Entries, l1TableOffsetBytes: layout.l1OffsetBytes,
    refcountTableOffsetBytes: layout.refcountTableOffsetBytes, refcountTableClusters: layout.refcountTableClusters,
    incompatibleFeatures: 0, compatibleFeatures: 0, autoclearFeatures: 0, refcountOrder: QCOW2_REFCOUNT_ORDER,
    headerLengthBytes: QCOW2_HEADER_BYTES, backingFileOffsetBytes: 0, cryptMethod: 0, snapshotCount: 0,
  }));
  yield header;

  // L1: entry i points at its L2 table, if the region holds data.
  const l1 = new Uint8Array(layout.l1Clusters * C);
  const l1View = new DataView(l1.buffer);
  layout.l2Indexes.forEach((l1Index, k) => {
    l1View.setBigUint64(l1Index * 8, BigInt(layout.l2OffsetBytes + k * C) | QCOW_OFLAG_COPIED, BE);
  });
  yield l1;

  const table = new Uint8Array(layout.refcountTableClusters * C);
  const tableView = new DataView(table.buffer);
  for (let j = 0; j < layout.refcountBlockCount; j++) setU64(tableView, j * 8, layout.refcountBlocksOffsetBytes + j * C, BE);
  yield table;

  for (let j = 0; j < layout.refcountBlockCount; j++) {
    const block = new Uint8Array(C);
    const view = new DataView(block.buffer);
    const used = Math.min(REFCOUNTS_PER_BLOCK, totalClusters - j * REFCOUNTS_PER_BLOCK);
    for (let e = 0; e < used; e++) view.setUint16(e * 2, 1, BE);
    yield block;
  }

  // L2 tables: walk the data runs once, numbering data clusters in the order they are stored.
  let runIndex = 0;
  let storedBefore = 0; // data clusters in runs before runIndex
  for (const l1Index of layout.l2Indexes) {
    const l2 = new Uint8Array(C);
    const view = new DataView(l2.buffer);
    const first = l1Index * L2_ENTRIES;
    const end = first + L2_ENTRIES;
    while (runIndex < layout.dataRuns.length) {
      const run = layout.dataRuns[runIndex]!;
      const runEnd = run.firstUnit + run.unitCount;
      const from = Math.max(run.firstUnit, first);
      const to = Math.min(runEnd, end);
      for (let cluster = from; cluster < to; cluster++) {
        const host = layout.dataOffsetBytes + (storedBefore + cluster - run.firstUnit) * C;
        view.setBigUint64((cluster - first) * 8, BigInt(host) | QCOW_OFLAG_COPIED, BE);
      }
      if (runEnd > end) break; // the run continues in the next table
      storedBefore += run.unitCount;
      runIndex++;
    }
    yield l2;
  }

  for (const run of layout.dataRuns) {
    const start = run.firstUnit * C;
    const end = start + run.unitCount * C;
    for (let pos = start; pos < end; pos += OUTPUT_CHUNK_BYTES) {
      const data = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, end - pos));
      readPadded(image, pos, data);
      yield data;
    }
  }
}

function corrupt(why: string): never {
  throw new PartwrightError(ErrorCode.CorruptTable, `Not a valid qcow2 image: ${why}.`, { format: 'qcow2' });
}
