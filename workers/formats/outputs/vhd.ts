/**
 * VHD images ("Virtual Hard Disk Image Format Specification", Microsoft, October 2006; QEMU's `vpc`
 * driver), fixed and dynamic. All fields big-endian.
 *
 *   fixed:   the raw disk, then a 512-byte footer (disk type 2)
 *   dynamic: footer copy, 1024-byte dynamic header, BAT (one 32-bit sector number per 2 MiB block,
 *            0xFFFFFFFF = not allocated), then each allocated block as a 512-byte sector bitmap
 *            followed by 2 MiB of data, then the footer (disk type 3)
 *
 * Only 2 MiB blocks that hold data are allocated in the dynamic form; their bitmaps mark every sector
 * present. The disk size is rounded up to whole 512-byte sectors (VHD counts sectors).
 *
 * Timestamps, the unique ID and creator fields are inputs. Which size a reader believes: the spec's
 * "Current Size" is exact, but QEMU before 10.0 sizes disks by their CHS geometry (which rounds down)
 * unless the creator application is one of 'win ' (Hyper-V), 'qem2', 'd2v ', 'CTXS' or 'tap\0';
 * QEMU 10 and later use the CHS geometry only for 'vpc ' and 'qemu'. Hyper-V and Azure use Current Size.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { checkImageSize, getU64, mappedUnits, OUTPUT_CHUNK_BYTES, rawBytes, readPadded, roundUp, setU64, type ImageSource, type SeekableByteSink, type UnitRun } from './image-source.ts';

/** Byte offsets inside the 512-byte hard disk footer (spec, "Hard Disk Footer Format"). */
const FOOTER = {
  cookie: 0,
  features: 8,
  fileFormatVersion: 12,
  dataOffset: 16,
  timestamp: 24,
  creatorApplication: 28,
  creatorVersion: 32,
  creatorHostOs: 36,
  originalSize: 40,
  currentSize: 48,
  diskGeometryCylinders: 56,
  diskGeometryHeads: 58,
  diskGeometrySectorsPerTrack: 59,
  diskType: 60,
  checksum: 64,
  uniqueId: 68,
  savedState: 84,
  reserved: 85,
} as const;

/** Byte offsets inside the 1024-byte dynamic disk header (spec, "Dynamic Disk Header Format"). */
const DYNAMIC_HEADER = {
  cookie: 0,
  dataOffset: 8,
  tableOffset: 16,
  headerVersion: 24,
  maxTableEntries: 28,
  blockSize: 32,
  checksum: 36,
  parentUniqueId: 40,
  parentTimestamp: 56,
  reserved1: 60,
  parentUnicodeName: 64,
  parentLocatorEntries: 576,
  reserved2: 768,
} as const;
const BE = false;

export const VHD_SECTOR_BYTES = 512;
export const VHD_FOOTER_BYTES = 512;
export const VHD_DYNAMIC_HEADER_BYTES = 1024;
/** 2 MiB: the spec's default block size and the one every VHD implementation reads. */
export const VHD_BLOCK_BYTES = 2 * 1024 * 1024;
const FOOTER_COOKIE = 'conectix';
const DYNAMIC_COOKIE = 'cxsparse';
/** Features: bit 1 "reserved" must always be set (spec, "Features"). */
const FEATURES_RESERVED = 0x0000_0002;
/** Version 1.0, for the footer's file format and the dynamic header. */
const VERSION_1_0 = 0x0001_0000;
/** Data offset of a fixed disk, and of the dynamic header's (unused) next structure. */
const NO_OFFSET = 0xffff_ffff_ffff_ffffn;
const BAT_UNUSED = 0xffff_ffff;
/** Seconds from the Unix epoch to the VHD epoch, 2000-01-01 00:00:00 UTC. */
const VHD_EPOCH_UNIX_SECONDS = 946_684_800;
/** The spec's CHS limit (65535 × 16 × 255 sectors ≈ 127 GiB); larger disks report this geometry. */
const MAX_CHS_SECTORS = 65535 * 16 * 255;
/** Block sector numbers in the BAT are 32-bit, and the spec caps disks at 2040 GiB. */
const MAX_DISK_BYTES = 2040 * 1024 ** 3;
const SECTORS_PER_BLOCK = VHD_BLOCK_BYTES / VHD_SECTOR_BYTES;
/** One bit per sector of a block, padded to a whole sector. */
const BLOCK_BITMAP_BYTES = roundUp(SECTORS_PER_BLOCK / 8, VHD_SECTOR_BYTES);

export const VhdDiskType = { Fixed: 2, Dynamic: 3, Differencing: 4 } as const;
export type VhdDiskType = (typeof VhdDiskType)[keyof typeof VhdDiskType];

/** Who made the image and when: inputs, so the same inputs give the same bytes. */
export interface VhdIdentity {
  /** Four ASCII characters (see the header comment for what QEMU makes of them). */
  creatorApplication: string;
  /** Major.minor as 0xMMMMmmmm. */
  creatorVersion: number;
  /** Four ASCII characters: 'Wi2k' (Windows) or 'Mac '. */
  creatorHostOs: string;
  /** Creation time in Unix seconds (e.g. SOURCE_DATE_EPOCH); stored relative to 2000-01-01. */
  timestampUnixSeconds: number;
  /** 16 bytes identifying the disk (derive them from the image seed). */
  uniqueId: Uint8Array;
}

export interface VhdGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

export interface VhdFooter extends VhdIdentity {
  diskType: VhdDiskType;
  /** Offset of the dynamic header; undefined for a fixed disk (stored as all ones). */
  dataOffsetBytes: number | undefined;
  originalSizeBytes: number;
  currentSizeBytes: number;
  geometry: VhdGeometry;
  savedState: boolean;
}

export interface VhdDynamicHeader {
  tableOffsetBytes: number;
  maxTableEntries: number;
  blockBytes: number;
}

export interface VhdDynamicLayout {
  diskSizeBytes: number;
  maxTableEntries: number;
  batOffsetBytes: number;
  batBytes: number;
  /** Blocks that hold data, as runs of block numbers, stored in this order from `blocksOffsetBytes`. */
  blockRuns: UnitRun[];
  allocatedBlocks: number;
  blocksOffsetBytes: number;
  fileSizeBytes: number;
}

/** CHS geometry from the spec's "CHS calculation" algorithm (Appendix). */
export function vhdGeometry(totalSectors: number): VhdGeometry {
  const sectors = Math.min(totalSectors, MAX_CHS_SECTORS);
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (sectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    heads = Math.floor((cylinderTimesHeads + 1023) / 1024);
    if (heads < 4) heads = 4;
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}

/** The spec's checksum: the one's complement of the byte sum, with the checksum field counted as 0. */
function onesComplementSum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i < checksumOffset || i >= checksumOffset + 4) sum = (sum + bytes[i]!) >>> 0;
  return ~sum >>> 0;
}

export function encodeVhdFooter(f: VhdFooter): Uint8Array {
  checkIdentity(f);
  const bytes = new Uint8Array(VHD_FOOTER_BYTES);
  const v = new DataView(bytes.buffer);
  putAscii(bytes, FOOTER.cookie, FOOTER_COOKIE);
  v.setUint32(FOOTER.features, FEATURES_RESERVED, BE);
  v.setUint32(FOOTER.fileFormatVersion, VERSION_1_0, BE);
  if (f.dataOffsetBytes === undefined) v.setBigUint64(FOOTER.dataOffset, NO_OFFSET, BE);
  else setU64(v, FOOTER.dataOffset, f.dataOffsetBytes, BE);
  v.setUint32(FOOTER.timestamp, f.timestampUnixSeconds - VHD_EPOCH_UNIX_SECONDS, BE);
  putAscii(bytes, FOOTER.creatorApplication, f.creatorApplication);
  v.setUint32(FOOTER.creatorVersion, f.creatorVersion, BE);
  putAscii(bytes, FOOTER.creatorHostOs, f.creatorHostOs);
  setU64(v, FOOTER.originalSize, f.originalSizeBytes, BE);
  setU64(v, FOOTER.currentSize, f.currentSizeBytes, BE);
  v.setUint16(FOOTER.diskGeometryCylinders, f.geometry.cylinders, BE);
  v.setUint8(FOOTER.diskGeometryHeads, f.geometry.heads);
  v.setUint8(FOOTER.diskGeometrySectorsPerTrack, f.geometry.sectorsPerTrack);
  v.setUint32(FOOTER.diskType, f.diskType, BE);
  bytes.set(f.uniqueId, FOOTER.uniqueId);
  v.setUint8(FOOTER.savedState, f.savedState ? 1 : 0);
  v.setUint32(FOOTER.checksum, onesComplementSum(bytes, FOOTER.checksum), BE);
  return bytes;
}

export function decodeVhdFooter(bytes: Uint8Array): VhdFooter {
  if (bytes.length < VHD_FOOTER_BYTES) corrupt(`the footer needs 512 bytes, got ${bytes.length}`);
  const footer = bytes.subarray(0, VHD_FOOTER_BYTES);
  const v = new DataView(footer.buffer, footer.byteOffset, VHD_FOOTER_BYTES);
  if (ascii(footer, FOOTER.cookie, 8) !== FOOTER_COOKIE) corrupt('no "conectix" cookie');
  const stored = v.getUint32(FOOTER.checksum, BE);
  const actual = onesComplementSum(footer, FOOTER.checksum);
  if (stored !== actual) corrupt(`footer checksum 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`);
  const diskType = v.getUint32(FOOTER.diskType, BE);
  if (diskType !== VhdDiskType.Fixed && diskType !== VhdDiskType.Dynamic && diskType !== VhdDiskType.Differencing) corrupt(`disk type ${diskType}`);
  const dataOffset = v.getBigUint64(FOOTER.dataOffset, BE);
  return {
    diskType,
    dataOffsetBytes: dataOffset === NO_OFFSET ? undefined : Number(dataOffset),
    timestampUnixSeconds: v.getUint32(FOOTER.timestamp, BE) + VHD_EPOCH_UNIX_SECONDS,
    creatorApplication: ascii(footer, FOOTER.creatorApplication, 4),
    creatorVersion: v.getUint32(FOOTER.creatorVersion, BE),
    creatorHostOs: ascii(footer, FOOTER.creatorHostOs, 4),
    originalSizeBytes: getU64(v, FOOTER.originalSize, BE),
    currentSizeBytes: getU64(v, FOOTER.currentSize, BE),
    geometry: {
      cylinders: v.getUint16(FOOTER.diskGeometryCylinders, BE),
      heads: v.getUint8(FOOTER.diskGeometryHeads),
      sectorsPerTrack: v.getUint8(FOOTER.diskGeometrySectorsPerTrack),
    },
    uniqueId: footer.slice(FOOTER.uniqueId, FOOTER.uniqueId + 16),
    savedState: v.getUint8(FOOTER.savedState) !== 0,
  };
}

export function encodeVhdDynamicHeader(h: VhdDynamicHeader): Uint8Array {
  const bytes = new Uint8Array(VHD_DYNAMIC_HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  putAscii(bytes, DYNAMIC_HEADER.cookie, DYNAMIC_COOKIE);
  v.setBigUint64(DYNAMIC_HEADER.dataOffset, NO_OFFSET, BE);
  setU64(v, DYNAMIC_HEADER.tableOffset, h.tableOffsetBytes, BE);
  v.setUint32(DYNAMIC_HEADER.headerVersion, VERSION_1_0, BE);
  v.setUint32(DYNAMIC_HEADER.maxTableEntries, h.maxTableEntries, BE);
  v.setUint32(DYNAMIC_HEADER.blockSize, h.blockBytes, BE);
  // No parent: parent ID, time, name and locators stay zero.
  v.setUint32(DYNAMIC_HEADER.checksum, onesComplementSum(bytes, DYNAMIC_HEADER.checksum), BE);
  return bytes;
}

export function decodeVhdDynamicHeader(bytes: Uint8Array): VhdDynamicHeader {
  if (bytes.length < VHD_DYNAMIC_HEADER_BYTES) corrupt(`the dynamic header needs 1024 bytes, got ${bytes.length}`);
  const header = bytes.subarray(0, VHD_DYNAMIC_HEADER_BYTES);
  const v = new DataView(header.buffer, header.byteOffset, VHD_DYNAMIC_HEADER_BYTES);
  if (ascii(header, DYNAMIC_HEADER.cookie, 8) !== DYNAMIC_COOKIE) corrupt('no "cxsparse" cookie');
  const stored = v.getUint32(DYNAMIC_HEADER.checksum, BE);
  const actual = onesComplementSum(header, DYNAMIC_HEADER.checksum);
  if (stored !== actual) corrupt(`dynamic header checksum 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`);
  return {
    tableOffsetBytes: getU64(v, DYNAMIC_HEADER.tableOffset, BE),
    maxTableEntries: v.getUint32(DYNAMIC_HEADER.maxTableEntries, BE),
    blockBytes: v.getUint32(DYNAMIC_HEADER.blockSize, BE),
  };
}

/** The disk size a VHD of this image declares: the image rounded up to whole sectors. */
export function vhdDiskSizeBytes(image: ImageSource): number {
  checkImageSize(image.sizeBytes, 'VHD');
  const size = roundUp(image.sizeBytes, VHD_SECTOR_BYTES);
  if (size > MAX_DISK_BYTES) throw new PartwrightError(ErrorCode.Unsupported, `VHD disks hold at most 2040 GiB; this image has ${image.sizeBytes} bytes.`);
  return size;
}

function footerFor(diskSizeBytes: number, diskType: VhdDiskType, identity: VhdIdentity): Uint8Array {
  return encodeVhdFooter({
    ...identity,
    diskType,
    dataOffsetBytes: diskType === VhdDiskType.Fixed ? undefined : VHD_FOOTER_BYTES,
    originalSizeBytes: diskSizeBytes,
    currentSizeBytes: diskSizeBytes,
    geometry: vhdGeometry(diskSizeBytes / VHD_SECTOR_BYTES),
    savedState: false,
  });
}

/** Size of the fixed VHD file: the disk plus the footer. */
export function vhdFixedSizeBytes(image: ImageSource): number {
  return vhdDiskSizeBytes(image) + VHD_FOOTER_BYTES;
}

/** A fixed VHD as consecutive chunks (holes as zeros): for sinks that cannot seek. */
export function* vhdFixedChunks(image: ImageSource, identity: VhdIdentity): Generator<Uint8Array> {
  const diskSizeBytes = vhdDiskSizeBytes(image);
  const footer = footerFor(diskSizeBytes, VhdDiskType.Fixed, identity);
  yield* rawBytes(image, diskSizeBytes);
  yield footer;
}

/** A fixed VHD into a seekable sink: only the data ranges and the footer are written. */
export function writeVhdFixed(image: ImageSource, sink: SeekableByteSink, identity: VhdIdentity): number {
  const diskSizeBytes = vhdDiskSizeBytes(image);
  const footer = footerFor(diskSizeBytes, VhdDiskType.Fixed, identity);
  sink.setSize(diskSizeBytes + VHD_FOOTER_BYTES);
  let written = 0;
  for (const r of image.dataRanges()) {
    for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += OUTPUT_CHUNK_BYTES) {
      const chunk = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos));
      image.readInto(pos, chunk);
      sink.write(pos, chunk);
      written += chunk.length;
    }
  }
  sink.write(diskSizeBytes, footer);
  return written + footer.length;
}

/** Where everything of a dynamic VHD goes; needs only the data ranges. */
export function planVhdDynamic(image: ImageSource): VhdDynamicLayout {
  const diskSizeBytes = vhdDiskSizeBytes(image);
  const maxTableEntries = Math.ceil(diskSizeBytes / VHD_BLOCK_BYTES);
  const batOffsetBytes = VHD_FOOTER_BYTES + VHD_DYNAMIC_HEADER_BYTES;
  const batBytes = roundUp(maxTableEntries * 4, VHD_SECTOR_BYTES);
  const blockRuns = mappedUnits(image, VHD_BLOCK_BYTES);
  const allocatedBlocks = blockRuns.reduce((n, r) => n + r.unitCount, 0);
  const blocksOffsetBytes = batOffsetBytes + batBytes;
  const fileSizeBytes = blocksOffsetBytes + allocatedBlocks * (BLOCK_BITMAP_BYTES + VHD_BLOCK_BYTES) + VHD_FOOTER_BYTES;
  return { diskSizeBytes, maxTableEntries, batOffsetBytes, batBytes, blockRuns, allocatedBlocks, blocksOffsetBytes, fileSizeBytes };
}

/** A dynamic VHD as consecutive chunks, in file order. */
export function* vhdDynamicChunks(image: ImageSource, identity: VhdIdentity, layout: VhdDynamicLayout = planVhdDynamic(image)): Generator<Uint8Array> {
  const footer = footerFor(layout.diskSizeBytes, VhdDiskType.Dynamic, identity);
  yield footer.slice();
  yield encodeVhdDynamicHeader({ tableOffsetBytes: layout.batOffsetBytes, maxTableEntries: layout.maxTableEntries, blockBytes: VHD_BLOCK_BYTES });

  const bat = new Uint8Array(layout.batBytes).fill(0xff);
  const batView = new DataView(bat.buffer);
  let hostBytes = layout.blocksOffsetBytes;
  for (const run of layout.blockRuns) {
    for (let b = run.firstUnit; b < run.firstUnit + run.unitCount; b++) {
      batView.setUint32(b * 4, hostBytes / VHD_SECTOR_BYTES, BE);
      hostBytes += BLOCK_BITMAP_BYTES + VHD_BLOCK_BYTES;
    }
  }
  yield bat;

  for (const run of layout.blockRuns) {
    for (let b = run.firstUnit; b < run.firstUnit + run.unitCount; b++) {
      // Every sector of an allocated block is present: the bitmap is all ones.
      yield new Uint8Array(BLOCK_BITMAP_BYTES).fill(0xff);
      const start = b * VHD_BLOCK_BYTES;
      for (let pos = start; pos < start + VHD_BLOCK_BYTES; pos += OUTPUT_CHUNK_BYTES) {
        const chunk = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, start + VHD_BLOCK_BYTES - pos));
        readPadded(image, pos, chunk);
        yield chunk;
      }
    }
  }
  yield footer;
}

function checkIdentity(id: VhdIdentity): void {
  const ascii4 = (s: string): boolean => /^[\x20-\x7e\0]{4}$/.test(s);
  if (!ascii4(id.creatorApplication)) invalid(`creator application "${id.creatorApplication}" is not four ASCII characters`);
  if (!ascii4(id.creatorHostOs)) invalid(`creator host OS "${id.creatorHostOs}" is not four ASCII characters`);
  if (!Number.isInteger(id.creatorVersion) || id.creatorVersion < 0 || id.creatorVersion > 0xffff_ffff) invalid(`creator version ${id.creatorVersion}`);
  const t = id.timestampUnixSeconds - VHD_EPOCH_UNIX_SECONDS;
  if (!Number.isInteger(t) || t < 0 || t > 0xffff_ffff) invalid(`timestamp ${id.timestampUnixSeconds} is outside 2000-01-01 … 2136-02-07`);
  if (id.uniqueId.length !== 16) invalid(`the unique ID has ${id.uniqueId.length} bytes, not 16`);
}

function putAscii(bytes: Uint8Array, offsetBytes: number, text: string): void {
  for (let i = 0; i < text.length; i++) bytes[offsetBytes + i] = text.charCodeAt(i);
}

function ascii(bytes: Uint8Array, offsetBytes: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offsetBytes, offsetBytes + length));
}

function invalid(why: string): never {
  throw new PartwrightError(ErrorCode.InvalidSpec, `VHD: ${why}.`);
}

function corrupt(why: string): never {
  throw new PartwrightError(ErrorCode.CorruptTable, `Not a valid VHD: ${why}.`, { format: 'vhd' });
}
