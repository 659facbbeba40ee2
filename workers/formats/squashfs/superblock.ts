/**
 * The squashfs 4.0 superblock (96 bytes at offset 0; squashfs-tools 4.5.1 squashfs_fs.h
 * `struct squashfs_super_block`, Linux fs/squashfs/squashfs_fs.h). Table positions are absolute
 * byte offsets in the image; "none" is all ones.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** Byte offsets inside the superblock. The only place they live. */
const SB = {
  magic: 0, inodeCount: 4, mkfsTime: 8, blockSize: 12, fragmentCount: 16, compression: 20, blockLog: 22,
  flags: 24, idCount: 26, versionMajor: 28, versionMinor: 30, rootInode: 32, bytesUsed: 40, idTableStart: 48,
  xattrIdTableStart: 56, inodeTableStart: 64, directoryTableStart: 72, fragmentTableStart: 80, lookupTableStart: 88,
} as const;
const LE = true;
export const SUPERBLOCK_BYTES = 96;
/** "hsqs" read as a little-endian u32. */
export const SQUASHFS_MAGIC = 0x73717368;
/** A table that is not there (xattrs, export table): SQUASHFS_INVALID_BLK. */
export const NO_TABLE = 0xffff_ffff_ffff_ffffn;

/** Compression ids (squashfs_fs.h ZLIB_COMPRESSION … ZSTD_COMPRESSION). */
export const COMPRESSION_ID = { gzip: 1, lzma: 2, lzo: 3, xz: 4, lz4: 5, zstd: 6 } as const;
export type SquashfsCompression = keyof typeof COMPRESSION_ID;

/** Superblock flags (squashfs_fs.h SQUASHFS_*_BIT, as bit values). */
export const SB_FLAG = {
  uncompressedInodes: 0x0001, uncompressedData: 0x0002, check: 0x0004, uncompressedFragments: 0x0008,
  noFragments: 0x0010, alwaysFragments: 0x0020, duplicates: 0x0040, exportable: 0x0080,
  uncompressedXattrs: 0x0100, noXattrs: 0x0200, compressorOptions: 0x0400, uncompressedIds: 0x0800,
} as const;

export interface SquashfsSuperblock {
  inodeCount: number;
  mkfsTime: number;
  blockSizeBytes: number;
  fragmentCount: number;
  compression: SquashfsCompression;
  flags: number;
  idCount: number;
  /** Inode reference of the root directory: (metadata block start << 16) | offset. */
  rootInode: bigint;
  bytesUsed: number;
  idTableStart: number;
  xattrIdTableStart: bigint;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart: number;
  lookupTableStart: bigint;
}

export function encodeSquashfsSuperblock(s: SquashfsSuperblock): Uint8Array {
  const bytes = new Uint8Array(SUPERBLOCK_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(SB.magic, SQUASHFS_MAGIC, LE);
  v.setUint32(SB.inodeCount, s.inodeCount, LE);
  v.setUint32(SB.mkfsTime, s.mkfsTime, LE);
  v.setUint32(SB.blockSize, s.blockSizeBytes, LE);
  v.setUint32(SB.fragmentCount, s.fragmentCount, LE);
  v.setUint16(SB.compression, COMPRESSION_ID[s.compression], LE);
  v.setUint16(SB.blockLog, Math.log2(s.blockSizeBytes), LE);
  v.setUint16(SB.flags, s.flags, LE);
  v.setUint16(SB.idCount, s.idCount, LE);
  v.setUint16(SB.versionMajor, 4, LE);
  v.setUint16(SB.versionMinor, 0, LE);
  v.setBigUint64(SB.rootInode, s.rootInode, LE);
  v.setBigUint64(SB.bytesUsed, BigInt(s.bytesUsed), LE);
  v.setBigUint64(SB.idTableStart, BigInt(s.idTableStart), LE);
  v.setBigUint64(SB.xattrIdTableStart, s.xattrIdTableStart, LE);
  v.setBigUint64(SB.inodeTableStart, BigInt(s.inodeTableStart), LE);
  v.setBigUint64(SB.directoryTableStart, BigInt(s.directoryTableStart), LE);
  v.setBigUint64(SB.fragmentTableStart, BigInt(s.fragmentTableStart), LE);
  v.setBigUint64(SB.lookupTableStart, s.lookupTableStart, LE);
  return bytes;
}

export function decodeSquashfsSuperblock(bytes: Uint8Array): SquashfsSuperblock {
  if (bytes.length < SUPERBLOCK_BYTES) throw new PartwrightError(ErrorCode.CorruptTable, `A squashfs superblock is ${SUPERBLOCK_BYTES} bytes; got ${bytes.length}.`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, SUPERBLOCK_BYTES);
  if (v.getUint32(SB.magic, LE) !== SQUASHFS_MAGIC) throw new PartwrightError(ErrorCode.CorruptTable, 'Not a squashfs file system (no "hsqs" magic).');
  const major = v.getUint16(SB.versionMajor, LE);
  const minor = v.getUint16(SB.versionMinor, LE);
  if (major !== 4 || minor !== 0) throw new PartwrightError(ErrorCode.CorruptTable, `squashfs version ${major}.${minor} is not 4.0.`);
  const id = v.getUint16(SB.compression, LE);
  const compression = (Object.keys(COMPRESSION_ID) as SquashfsCompression[]).find((k) => COMPRESSION_ID[k] === id);
  if (!compression) throw new PartwrightError(ErrorCode.CorruptTable, `Unknown squashfs compression id ${id}.`);
  const blockSizeBytes = v.getUint32(SB.blockSize, LE);
  if (blockSizeBytes < 4096 || blockSizeBytes > 1 << 20 || (blockSizeBytes & (blockSizeBytes - 1)) !== 0 || 1 << v.getUint16(SB.blockLog, LE) !== blockSizeBytes) {
    throw new PartwrightError(ErrorCode.CorruptTable, `squashfs block size ${blockSizeBytes} is not a power of two from 4 KiB to 1 MiB matching its block_log.`);
  }
  const num = (at: number) => Number(v.getBigUint64(at, LE));
  return {
    inodeCount: v.getUint32(SB.inodeCount, LE),
    mkfsTime: v.getUint32(SB.mkfsTime, LE),
    blockSizeBytes,
    fragmentCount: v.getUint32(SB.fragmentCount, LE),
    compression,
    flags: v.getUint16(SB.flags, LE),
    idCount: v.getUint16(SB.idCount, LE),
    rootInode: v.getBigUint64(SB.rootInode, LE),
    bytesUsed: num(SB.bytesUsed),
    idTableStart: num(SB.idTableStart),
    xattrIdTableStart: v.getBigUint64(SB.xattrIdTableStart, LE),
    inodeTableStart: num(SB.inodeTableStart),
    directoryTableStart: num(SB.directoryTableStart),
    fragmentTableStart: num(SB.fragmentTableStart),
    lookupTableStart: v.getBigUint64(SB.lookupTableStart, LE),
  };
}
