/**
 * Plans and writes an ISO 9660 image (level 3: files of 4 GiB and more as several extents) with Rock
 * Ridge, Joliet, El Torito (BIOS no-emulation and/or EFI) and an optional isohybrid MBR + GPT.
 * `planIso` lays everything out without reading file data; `writeIso` writes the structures and
 * streams file contents chunk by chunk into a sink (a SparseImage), so no buffer holds the image.
 *
 * Block layout: system area (0–15), PVD (16), El Torito boot record, Joliet SVD, terminator, path
 * tables (ISO L, ISO M, Joliet L, Joliet M), boot catalog, ISO directories, Joliet directories, Rock
 * Ridge continuation areas, file data (boot files first, then `fileOrder`, then tree order), 300 KiB of
 * padding (mkisofs `-pad`), then for isohybrid images up to the next MiB (the backup GPT lives there).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { dirRecordBytes, encodeDirRecord, FILE_FLAG, PARENT_ID, SELF_ID, DIR_RECORD_MAX_BYTES, systemUseOffset } from './directory-record.ts';
import { BootInfoChecksum, encodeBootCatalog, loadSectorsFor, patchBootInfoTable, PLATFORM, type BootCatalogEntry } from './el-torito.ts';
import { encodeRecordDate } from './fields.ts';
import { encodeIsohybrid, ISOHYBRID_ALIGN_BYTES, ISOHYBRID_CODE_BYTES } from './isohybrid.ts';
import { asciiBytes, ucs2Bytes, utf8Bytes, validateIdField, validateVolumeId, JOLIET_VOLUME_ID_MAX } from './names.ts';
import { encodePathTable, pathTableBytes, type PathTableDir } from './path-table.ts';
import { CE_ENTRY_BYTES, encodeCe, encodeEr, encodeNm, encodePx, encodeRr, encodeSl, encodeSp, encodeTf, RR_FLAG } from './rock-ridge.ts';
import { buildIsoTree, isoChildren, jolietChildren, pathTableOrder, walk, type IsoEntryInput, type IsoNode } from './tree.ts';
import { encodeBootRecord, encodeTerminator, encodeVolumeDescriptor, FIRST_DESCRIPTOR_LBA, ID_FIELD_BYTES, SECTOR_BYTES } from './volume-descriptor.ts';

/** Where the image's bytes go (SparseImage fits). The image is fresh: ranges not written read as zero. */
export interface IsoSink {
  write(offsetBytes: number, data: Uint8Array): void;
}

export interface IsoBootOptions {
  /** BIOS no-emulation entry (isolinux.bin). */
  bios?: {
    /** Path of the boot file in the tree. */
    path: string;
    /** 512-byte sectors the BIOS loads (default 4, what isolinux wants). */
    loadSectors?: number;
    /** Patch the boot information table at byte 8 (default true; isolinux needs it). */
    bootInfoTable?: boolean;
  };
  /** EFI entry (platform 0xEF): path of a FAT image in the tree. */
  efi?: { path: string };
  /** Show the catalog as a file at this path (xorriso `-c`); default: not in the tree. */
  catalogPath?: string;
}

export interface IsohybridOptions {
  /** MBR boot code, e.g. syslinux's isohdpfx.bin (at most 432 bytes). Needs a BIOS boot entry. */
  mbrBootCode: Uint8Array;
  /** MBR disk identifier (byte 440); default 0. */
  mbrDiskId?: number;
  /** GPT disk GUID (written when there is an EFI entry); partition GUIDs derive from it. */
  gptDiskGuid?: string;
}

export interface IsoOptions {
  /** Volume label (at most 32 characters). */
  volumeId: string;
  /** Allow any printable ASCII in the label instead of d-characters only (NixOS labels). Default false. */
  relaxedVolumeId?: boolean;
  systemId?: string;
  volumeSetId?: string;
  publisherId?: string;
  dataPreparerId?: string;
  applicationId?: string;
  /** SOURCE_DATE_EPOCH (Unix seconds): volume dates and, unless timestamps is 'keep', every file date. */
  sourceDateEpoch: number;
  /** 'epoch' (default): all dates are sourceDateEpoch; 'keep': each entry's mtime (epoch when absent). */
  timestamps?: 'epoch' | 'keep';
  /** Rock Ridge (default true). */
  rockRidge?: boolean;
  /** Joliet (default true). */
  joliet?: boolean;
  /** Paths whose data comes first, in this order (after the boot images). */
  fileOrder?: readonly string[];
  boot?: IsoBootOptions;
  isohybrid?: IsohybridOptions;
  /** Bytes per read while copying file data (default 1 MiB). */
  chunkBytes?: number;
}

/** One extent of a file (level 3 splits files into extents below 4 GiB, ECMA-119 §6.5.1). */
export interface IsoExtent {
  lba: number;
  sizeBytes: number;
}

interface PlannedRecord {
  identifier: Uint8Array;
  flags: number;
  /** Resolved after allocation. */
  extent: () => IsoExtent;
  date: Uint8Array;
  inline: Uint8Array[];
  continuation?: { bytes: Uint8Array; lba: number; offsetBytes: number };
}

interface PlannedDir {
  node: IsoNode;
  records: PlannedRecord[];
  sizeBytes: number;
  lba: number;
}

export interface IsoPlan {
  options: IsoOptions;
  root: IsoNode;
  /** Whole image in bytes (a multiple of 2048; of 1 MiB with isohybrid). */
  sizeBytes: number;
  volumeSpaceBlocks: number;
  /** Each file's data location (files and the catalog entry). */
  fileLba: Map<IsoNode, number>;
  /** Files in data order. */
  fileOrder: IsoNode[];
  catalogLba?: number;
  bootEntries: BootCatalogEntry[];
  /** Internals for writeIso. */
  layout: IsoLayout;
}

interface IsoLayout {
  bootRecordLba?: number;
  jolietSvdLba?: number;
  terminatorLba: number;
  isoPathTables: { l: number; m: number; bytes: number; dirs: IsoNode[] };
  jolietPathTables?: { l: number; m: number; bytes: number; dirs: IsoNode[] };
  isoDirs: Map<IsoNode, PlannedDir>;
  jolietDirs: Map<IsoNode, PlannedDir>;
  dataEndLba: number;
}

/** ECMA-119 level 3 / libisofs: the largest extent is 4 GiB − 2048 bytes. */
export const MAX_EXTENT_BYTES = 0xffff_f800;
const PAD_BLOCKS = 150;
const DEFAULT_CHUNK_BYTES = 1 << 20;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const CONTINUATION_MAX_BYTES = SECTOR_BYTES;

function invalid(message: string, where?: string): PartwrightError {
  return new PartwrightError(ErrorCode.InvalidSpec, message, where ? { where } : {});
}

function blocksFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR_BYTES);
}

/** Extents of a file of `sizeBytes` starting at `lba`. */
export function fileExtents(lba: number, sizeBytes: number): IsoExtent[] {
  if (sizeBytes <= MAX_EXTENT_BYTES) return [{ lba: sizeBytes === 0 ? 0 : lba, sizeBytes }];
  const out: IsoExtent[] = [];
  for (let done = 0; done < sizeBytes; done += MAX_EXTENT_BYTES) {
    out.push({ lba: lba + done / SECTOR_BYTES, sizeBytes: Math.min(MAX_EXTENT_BYTES, sizeBytes - done) });
  }
  return out;
}

function validateOptions(o: IsoOptions): void {
  validateVolumeId(o.volumeId, !o.relaxedVolumeId);
  const ids = { systemId: o.systemId, volumeSetId: o.volumeSetId, publisherId: o.publisherId, dataPreparerId: o.dataPreparerId, applicationId: o.applicationId };
  for (const [k, v] of Object.entries(ids)) if (v !== undefined) validateIdField(v, ID_FIELD_BYTES[k as keyof typeof ids], k);
  if (!Number.isInteger(o.sourceDateEpoch)) throw invalid(`sourceDateEpoch ${o.sourceDateEpoch} is not whole Unix seconds.`, 'sourceDateEpoch');
  if (o.isohybrid) {
    if (!o.boot?.bios) throw invalid('An isohybrid MBR needs a BIOS El Torito boot file: its code loads that file.', 'isohybrid');
    if (o.isohybrid.mbrBootCode.length > ISOHYBRID_CODE_BYTES) throw invalid(`isohybrid MBR code is ${o.isohybrid.mbrBootCode.length} bytes; at most ${ISOHYBRID_CODE_BYTES} fit.`, 'isohybrid.mbrBootCode');
    if (o.boot.efi && !o.isohybrid.gptDiskGuid) throw invalid('An isohybrid image with an EFI entry needs gptDiskGuid for its GPT.', 'isohybrid.gptDiskGuid');
  }
}

/** Lay out the image: names, records, Rock Ridge areas, block addresses. Reads no file data. */
export function planIso(entries: readonly IsoEntryInput[], options: IsoOptions): IsoPlan {
  validateOptions(options);
  const rockRidge = options.rockRidge ?? true;
  const joliet = options.joliet ?? true;
  const boot = options.boot && (options.boot.bios || options.boot.efi) ? options.boot : undefined;
  const root = buildIsoTree(entries, boot?.catalogPath);
  const nodes = [...walk(root)];
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  const dateOf = (n: IsoNode) => encodeRecordDate(options.timestamps === 'keep' ? n.mtimeSeconds ?? options.sourceDateEpoch : options.sourceDateEpoch);

  const bootFile = (path: string, what: string): IsoNode => {
    const n = byPath.get(path.replace(/^\/+/, ''));
    if (!n || n.kind !== 'file' || n.isCatalog) throw invalid(`The ${what} boot file "${path}" is not a file in the tree.`, `boot.${what}`);
    if (n.sizeBytes === 0) throw invalid(`The ${what} boot file "${path}" is empty.`, `boot.${what}`);
    return n;
  };
  const biosNode = boot?.bios ? bootFile(boot.bios.path, 'bios') : undefined;
  const efiNode = boot?.efi ? bootFile(boot.efi.path, 'efi') : undefined;

  // Block allocation, part 1: descriptors and path tables.
  let lba = FIRST_DESCRIPTOR_LBA + 1;
  const bootRecordLba = boot ? lba++ : undefined;
  const jolietSvdLba = joliet ? lba++ : undefined;
  const terminatorLba = lba++;
  const isoDirOrder = pathTableOrder(root, isoChildren);
  const isoPtBytes = pathTableBytes(isoDirOrder.map((d) => ({ identifier: isoDirIdentifier(d) })));
  const isoPathTables = { l: lba, m: lba + blocksFor(isoPtBytes), bytes: isoPtBytes, dirs: isoDirOrder };
  lba += 2 * blocksFor(isoPtBytes);
  let jolietPathTables: IsoLayout['jolietPathTables'];
  if (joliet) {
    const dirs = pathTableOrder(root, jolietChildren);
    const bytes = pathTableBytes(dirs.map((d) => ({ identifier: jolietDirIdentifier(d) })));
    jolietPathTables = { l: lba, m: lba + blocksFor(bytes), bytes, dirs };
    lba += 2 * blocksFor(bytes);
  }
  const catalogLba = boot ? lba++ : undefined;

  // Records. Extents resolve through these maps once everything has a block.
  const fileLba = new Map<IsoNode, number>();
  const isoDirs = new Map<IsoNode, PlannedDir>();
  const jolietDirs = new Map<IsoNode, PlannedDir>();
  const dirExtent = (dirs: Map<IsoNode, PlannedDir>, n: IsoNode) => () => ({ lba: dirs.get(n)!.lba, sizeBytes: dirs.get(n)!.sizeBytes });
  const extentsOf = (n: IsoNode): (() => IsoExtent)[] => {
    if (n.kind !== 'file') return [() => ({ lba: 0, sizeBytes: 0 })];
    const count = n.sizeBytes > MAX_EXTENT_BYTES ? Math.ceil(n.sizeBytes / MAX_EXTENT_BYTES) : 1;
    return Array.from({ length: count }, (_, i) => () => fileExtents(fileLba.get(n)!, n.sizeBytes)[i]!);
  };

  const susp = (n: IsoNode, withName: boolean, extra: { sp?: boolean; er?: boolean } = {}): Uint8Array[] => {
    if (!rockRidge) return [];
    const typeBits = n.kind === 'dir' ? S_IFDIR : n.kind === 'symlink' ? S_IFLNK : S_IFREG;
    const links = n.kind === 'dir' ? 2 + n.children.filter((c) => c.kind === 'dir').length : 1;
    const nm = withName ? encodeNm(utf8Bytes(n.name)) : [];
    const sl = n.kind === 'symlink' && withName ? encodeSl(utf8Bytes(n.input!.target!)) : [];
    const flags = RR_FLAG.px | RR_FLAG.tf | (nm.length ? RR_FLAG.nm : 0) | (sl.length ? RR_FLAG.sl : 0);
    const seconds = options.timestamps === 'keep' ? n.mtimeSeconds ?? options.sourceDateEpoch : options.sourceDateEpoch;
    return [
      ...(extra.sp ? [encodeSp()] : []),
      encodeRr(flags),
      encodePx({ mode: typeBits | n.mode, links, uid: n.uid, gid: n.gid, serial: n.serial }),
      encodeTf(seconds),
      ...nm,
      ...sl,
      ...(extra.er ? [encodeEr()] : []),
    ];
  };

  const planRecord = (identifier: Uint8Array, flags: number, extent: () => IsoExtent, date: Uint8Array, entries: Uint8Array[]): PlannedRecord => {
    const room = DIR_RECORD_MAX_BYTES - systemUseOffset(identifier.length);
    const total = entries.reduce((s, e) => s + e.length, 0);
    if (total <= room) return { identifier, flags, extent, date, inline: entries };
    const inline: Uint8Array[] = [];
    let used = 0;
    let i = 0;
    while (i < entries.length && used + entries[i]!.length + CE_ENTRY_BYTES <= room) used += entries[i++]!.length;
    inline.push(...entries.slice(0, i));
    const rest = entries.slice(i);
    const bytes = new Uint8Array(rest.reduce((s, e) => s + e.length, 0));
    if (bytes.length > CONTINUATION_MAX_BYTES) throw invalid(`Rock Ridge data of ${bytes.length} bytes (name and symlink target) does not fit one continuation block of ${CONTINUATION_MAX_BYTES}.`);
    let at = 0;
    for (const e of rest) { bytes.set(e, at); at += e.length; }
    return { identifier, flags, extent, date, inline, continuation: { bytes, lba: 0, offsetBytes: 0 } };
  };

  for (const d of isoDirOrder) {
    const parent = d.parent ?? d;
    const records: PlannedRecord[] = [
      planRecord(SELF_ID, FILE_FLAG.directory, dirExtent(isoDirs, d), dateOf(d), susp(d, false, { sp: d === root, er: d === root })),
      planRecord(PARENT_ID, FILE_FLAG.directory, dirExtent(isoDirs, parent), dateOf(parent), susp(parent, false)),
    ];
    for (const c of isoChildren(d)) {
      const id = asciiBytes(c.kind === 'dir' ? c.isoName : `${c.isoName};1`);
      if (c.kind === 'dir') {
        records.push(planRecord(id, FILE_FLAG.directory, dirExtent(isoDirs, c), dateOf(c), susp(c, true)));
        continue;
      }
      const parts = extentsOf(c);
      parts.forEach((extent, i) => records.push(planRecord(id, i < parts.length - 1 ? FILE_FLAG.multiExtent : 0, extent, dateOf(c), susp(c, true))));
    }
    isoDirs.set(d, { node: d, records, sizeBytes: dirSizeBytes(records), lba: 0 });
  }
  if (jolietPathTables) {
    for (const d of jolietPathTables.dirs) {
      const parent = d.parent ?? d;
      const records: PlannedRecord[] = [
        planRecord(SELF_ID, FILE_FLAG.directory, dirExtent(jolietDirs, d), dateOf(d), []),
        planRecord(PARENT_ID, FILE_FLAG.directory, dirExtent(jolietDirs, parent), dateOf(parent), []),
      ];
      for (const c of jolietChildren(d)) {
        const id = ucs2Bytes(c.jolietName);
        if (c.kind === 'dir') {
          records.push(planRecord(id, FILE_FLAG.directory, dirExtent(jolietDirs, c), dateOf(c), []));
          continue;
        }
        const parts = extentsOf(c);
        parts.forEach((extent, i) => records.push(planRecord(id, i < parts.length - 1 ? FILE_FLAG.multiExtent : 0, extent, dateOf(c), [])));
      }
      jolietDirs.set(d, { node: d, records, sizeBytes: dirSizeBytes(records), lba: 0 });
    }
  }

  // Block allocation, part 2: directories, continuation areas, file data.
  for (const dirs of [isoDirs, jolietDirs]) {
    for (const pd of dirs.values()) {
      pd.lba = lba;
      lba += pd.sizeBytes / SECTOR_BYTES;
    }
  }
  let ceLba = lba;
  let ceUsed = 0;
  let ceAny = false;
  for (const pd of isoDirs.values()) {
    for (const r of pd.records) {
      if (!r.continuation) continue;
      if (ceUsed + r.continuation.bytes.length > SECTOR_BYTES) { ceLba++; ceUsed = 0; }
      r.continuation.lba = ceLba;
      r.continuation.offsetBytes = ceUsed;
      ceUsed += r.continuation.bytes.length;
      ceAny = true;
    }
  }
  lba = ceAny ? ceLba + 1 : lba;

  const files = nodes.filter((n) => n.kind === 'file' && !n.isCatalog);
  const first: IsoNode[] = [];
  for (const n of [biosNode, efiNode]) if (n && !first.includes(n)) first.push(n);
  for (const p of options.fileOrder ?? []) {
    const n = byPath.get(p.replace(/^\/+/, ''));
    if (!n || n.kind !== 'file' || n.isCatalog) throw invalid(`fileOrder names "${p}", which is not a file in the tree.`, 'fileOrder');
    if (!first.includes(n)) first.push(n);
  }
  const fileOrder = [...first, ...files.filter((n) => !first.includes(n))];
  for (const n of fileOrder) {
    if (n.sizeBytes === 0) { fileLba.set(n, 0); continue; }
    fileLba.set(n, lba);
    lba += blocksFor(n.sizeBytes);
  }
  const catalogNode = nodes.find((n) => n.isCatalog);
  if (catalogNode && catalogLba !== undefined) fileLba.set(catalogNode, catalogLba);
  const dataEndLba = lba;
  let volumeSpaceBlocks = dataEndLba + PAD_BLOCKS;
  if (options.isohybrid) {
    const alignBlocks = ISOHYBRID_ALIGN_BYTES / SECTOR_BYTES;
    volumeSpaceBlocks = Math.ceil(volumeSpaceBlocks / alignBlocks) * alignBlocks;
  }

  const bootEntries: BootCatalogEntry[] = [];
  if (biosNode) {
    const loadSectors = options.boot?.bios?.loadSectors ?? 4;
    bootEntries.push({ platformId: PLATFORM.x86, loadLba: fileLba.get(biosNode)!, sectorCount: loadSectors });
  }
  if (efiNode) bootEntries.push({ platformId: PLATFORM.efi, loadLba: fileLba.get(efiNode)!, sectorCount: loadSectorsFor(efiNode.sizeBytes) });

  return {
    options, root, sizeBytes: volumeSpaceBlocks * SECTOR_BYTES, volumeSpaceBlocks, fileLba, fileOrder, catalogLba, bootEntries,
    layout: { bootRecordLba, jolietSvdLba, terminatorLba, isoPathTables, jolietPathTables, isoDirs, jolietDirs, dataEndLba },
  };
}

function isoDirIdentifier(d: IsoNode): Uint8Array {
  return d.parent ? asciiBytes(d.isoName) : SELF_ID;
}

function jolietDirIdentifier(d: IsoNode): Uint8Array {
  return d.parent ? ucs2Bytes(d.jolietName) : SELF_ID;
}

function recordLength(r: PlannedRecord): number {
  const su = r.inline.reduce((s, e) => s + e.length, 0) + (r.continuation ? CE_ENTRY_BYTES : 0);
  return dirRecordBytes(r.identifier.length, su);
}

/** Records never cross a sector boundary (§6.8.1.1). */
function dirSizeBytes(records: readonly PlannedRecord[]): number {
  let sectors = 1;
  let used = 0;
  for (const r of records) {
    const n = recordLength(r);
    if (used + n > SECTOR_BYTES) { sectors++; used = 0; }
    used += n;
  }
  return sectors * SECTOR_BYTES;
}

function encodeRecord(r: PlannedRecord): Uint8Array {
  const parts = [...r.inline];
  if (r.continuation) parts.push(encodeCe(r.continuation.lba, r.continuation.offsetBytes, r.continuation.bytes.length));
  const su = new Uint8Array(parts.reduce((s, e) => s + e.length, 0));
  let at = 0;
  for (const p of parts) { su.set(p, at); at += p.length; }
  const e = r.extent();
  return encodeDirRecord({ extentLba: e.lba, dataLengthBytes: e.sizeBytes, date: r.date, flags: r.flags, identifier: r.identifier, systemUse: su });
}

function encodeDir(pd: PlannedDir): Uint8Array {
  const bytes = new Uint8Array(pd.sizeBytes);
  let at = 0;
  for (const r of pd.records) {
    const rec = encodeRecord(r);
    if ((at % SECTOR_BYTES) + rec.length > SECTOR_BYTES) at = Math.ceil(at / SECTOR_BYTES) * SECTOR_BYTES;
    bytes.set(rec, at);
    at += rec.length;
  }
  return bytes;
}

function pathTableDirs(dirs: readonly IsoNode[], planned: Map<IsoNode, PlannedDir>, identifier: (d: IsoNode) => Uint8Array): PathTableDir[] {
  const number = new Map(dirs.map((d, i) => [d, i + 1]));
  return dirs.map((d) => ({ identifier: identifier(d), extentLba: planned.get(d)!.lba, parentNumber: number.get(d.parent ?? d)! }));
}

export interface IsoWriteResult {
  sizeBytes: number;
  /** Block of each file's data, by path (the catalog included when it is in the tree). */
  fileLbas: Record<string, number>;
  bootEntries: BootCatalogEntry[];
}

function allZero(b: Uint8Array): boolean {
  const words = b.byteOffset % 4 === 0 && b.length % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4) : undefined;
  if (words) { for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false; return true; }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Plan (unless given a plan) and write the image into `sink`, which must be at least plan.sizeBytes. */
export function writeIso(sink: IsoSink, entries: readonly IsoEntryInput[], options: IsoOptions): IsoWriteResult;
export function writeIso(sink: IsoSink, plan: IsoPlan): IsoWriteResult;
export function writeIso(sink: IsoSink, a: IsoPlan | readonly IsoEntryInput[], b?: IsoOptions): IsoWriteResult {
  const plan = Array.isArray(a) ? planIso(a as readonly IsoEntryInput[], b!) : (a as IsoPlan);
  const { options, layout } = plan;
  const at = (lba: number) => lba * SECTOR_BYTES;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const biosNode = options.boot?.bios ? [...walk(plan.root)].find((n) => n.path === options.boot!.bios!.path.replace(/^\/+/, '')) : undefined;
  const bootInfoTable = biosNode && (options.boot?.bios?.bootInfoTable ?? true);

  // File data first (the boot info table's checksum needs one pass over the boot file anyway).
  let bootChecksum = 0;
  if (bootInfoTable && biosNode) {
    const sum = new BootInfoChecksum();
    const buf = new Uint8Array(Math.min(chunkBytes, biosNode.sizeBytes));
    for (let off = 0; off < biosNode.sizeBytes; off += buf.length) {
      const view = buf.subarray(0, Math.min(buf.length, biosNode.sizeBytes - off));
      biosNode.input!.read!(off, view);
      sum.update(view);
    }
    bootChecksum = sum.digest();
  }
  const buffer = new Uint8Array(chunkBytes);
  for (const n of plan.fileOrder) {
    if (n.sizeBytes === 0) continue;
    const read = n.input?.read;
    if (!read) throw invalid(`ISO entry "${n.path}" is a file without a read function.`, n.path);
    const base = at(plan.fileLba.get(n)!);
    for (let off = 0; off < n.sizeBytes; off += chunkBytes) {
      const view = buffer.subarray(0, Math.min(chunkBytes, n.sizeBytes - off));
      read(off, view);
      if (n === biosNode && bootInfoTable && off === 0) {
        patchBootInfoTable(view, FIRST_DESCRIPTOR_LBA, plan.fileLba.get(n)!, n.sizeBytes, bootChecksum);
      }
      // The image is fresh, so zero chunks stay holes in a sparse sink.
      if (!allZero(view)) sink.write(base + off, view);
    }
  }

  // Directories and Rock Ridge continuation areas.
  for (const dirs of [layout.isoDirs, layout.jolietDirs]) for (const pd of dirs.values()) sink.write(at(pd.lba), encodeDir(pd));
  for (const pd of layout.isoDirs.values()) {
    for (const r of pd.records) if (r.continuation) sink.write(at(r.continuation.lba) + r.continuation.offsetBytes, r.continuation.bytes);
  }

  // Path tables.
  const writeTables = (t: { l: number; m: number; dirs: IsoNode[] }, planned: Map<IsoNode, PlannedDir>, id: (d: IsoNode) => Uint8Array) => {
    const dirs = pathTableDirs(t.dirs, planned, id);
    sink.write(at(t.l), encodePathTable(dirs, true));
    sink.write(at(t.m), encodePathTable(dirs, false));
  };
  writeTables(layout.isoPathTables, layout.isoDirs, isoDirIdentifier);
  if (layout.jolietPathTables) writeTables(layout.jolietPathTables, layout.jolietDirs, jolietDirIdentifier);

  // Boot catalog.
  if (plan.catalogLba !== undefined) sink.write(at(plan.catalogLba), encodeBootCatalog(plan.bootEntries));

  // Volume descriptors.
  const rootRecord = (pd: PlannedDir) => encodeDirRecord({ extentLba: pd.lba, dataLengthBytes: pd.sizeBytes, date: encodeRecordDate(options.sourceDateEpoch), flags: FILE_FLAG.directory, identifier: SELF_ID });
  const common = {
    systemId: options.systemId ?? '', volumeSetId: options.volumeSetId ?? '', publisherId: options.publisherId ?? '',
    dataPreparerId: options.dataPreparerId ?? '', applicationId: options.applicationId ?? '', volumeSpaceBlocks: plan.volumeSpaceBlocks,
    dateSeconds: options.sourceDateEpoch,
  };
  sink.write(at(FIRST_DESCRIPTOR_LBA), encodeVolumeDescriptor({
    ...common, joliet: false, volumeId: options.volumeId, pathTableBytes: layout.isoPathTables.bytes,
    lPathTableLba: layout.isoPathTables.l, mPathTableLba: layout.isoPathTables.m, rootRecord: rootRecord(layout.isoDirs.get(plan.root)!),
  }));
  if (layout.bootRecordLba !== undefined) sink.write(at(layout.bootRecordLba), encodeBootRecord(plan.catalogLba!));
  if (layout.jolietSvdLba !== undefined && layout.jolietPathTables) {
    sink.write(at(layout.jolietSvdLba), encodeVolumeDescriptor({
      ...common, joliet: true, volumeId: options.volumeId.slice(0, JOLIET_VOLUME_ID_MAX), pathTableBytes: layout.jolietPathTables.bytes,
      lPathTableLba: layout.jolietPathTables.l, mPathTableLba: layout.jolietPathTables.m, rootRecord: rootRecord(layout.jolietDirs.get(plan.root)!),
    }));
  }
  sink.write(at(layout.terminatorLba), encodeTerminator());

  // System area last: a half-written image never looks bootable.
  if (options.isohybrid && biosNode) {
    const efiNode = options.boot?.efi ? [...walk(plan.root)].find((n) => n.path === options.boot!.efi!.path.replace(/^\/+/, '')) : undefined;
    const regions = encodeIsohybrid({
      bootCode: options.isohybrid.mbrBootCode, imageSizeBytes: plan.sizeBytes, biosBootLba: plan.fileLba.get(biosNode)!,
      mbrDiskId: options.isohybrid.mbrDiskId ?? 0,
      efi: efiNode ? { lba: plan.fileLba.get(efiNode)!, sizeBytes: efiNode.sizeBytes, diskGuid: options.isohybrid.gptDiskGuid! } : undefined,
    });
    for (const r of regions) sink.write(r.offsetBytes, r.bytes);
  }

  const fileLbas: Record<string, number> = {};
  for (const [n, l] of plan.fileLba) fileLbas[n.path] = l;
  return { sizeBytes: plan.sizeBytes, fileLbas, bootEntries: plan.bootEntries };
}
