/**
 * squashfs 4.0 inodes and directory entries (squashfs_fs.h `squashfs_*_inode_header`,
 * `squashfs_dir_header`, `squashfs_dir_entry`, `squashfs_dir_index`). Little-endian throughout.
 */
export const INODE_TYPE = { dir: 1, file: 2, symlink: 3, extDir: 8, extFile: 9, extSymlink: 10 } as const;
/** No fragment / no xattrs (SQUASHFS_INVALID_FRAG, SQUASHFS_INVALID_XATTR). */
export const NO_FRAGMENT = 0xffff_ffff;
export const NO_XATTR = 0xffff_ffff;
/** A data block stored uncompressed has this bit set in its size word (SQUASHFS_COMPRESSED_BIT_BLOCK). */
export const BLOCK_UNCOMPRESSED_BIT = 1 << 24;

/** Byte offsets of the 16-byte header every inode starts with. */
const BASE = { type: 0, mode: 2, uid: 4, gid: 6, mtime: 8, inodeNumber: 12, bytes: 16 } as const;
const LE = true;

export interface InodeBase {
  /** Permission bits (07777); the type goes in `type`. */
  mode: number;
  uidIndex: number;
  gidIndex: number;
  mtime: number;
  inodeNumber: number;
}

function header(view: DataView, type: number, b: InodeBase): void {
  view.setUint16(BASE.type, type, LE);
  view.setUint16(BASE.mode, b.mode & 0o7777, LE);
  view.setUint16(BASE.uid, b.uidIndex, LE);
  view.setUint16(BASE.gid, b.gidIndex, LE);
  view.setUint32(BASE.mtime, b.mtime, LE);
  view.setUint32(BASE.inodeNumber, b.inodeNumber, LE);
}

export interface FileInode extends InodeBase {
  blocksStart: number;
  fileSizeBytes: number;
  /** Index in the fragment table, or NO_FRAGMENT. */
  fragment: number;
  fragmentOffset: number;
  /** Stored size of each full/partial data block (with BLOCK_UNCOMPRESSED_BIT). */
  blockSizes: readonly number[];
}

/** Basic file inode (type 2) when everything fits 32 bits, else the extended one (type 9). */
export function encodeFileInode(f: FileInode): Uint8Array {
  const basic = f.blocksStart < 2 ** 32 && f.fileSizeBytes < 2 ** 32;
  const fixed = basic ? 16 : 40;
  const out = new Uint8Array(BASE.bytes + fixed + 4 * f.blockSizes.length);
  const v = new DataView(out.buffer);
  header(v, basic ? INODE_TYPE.file : INODE_TYPE.extFile, f);
  const at = BASE.bytes;
  if (basic) {
    v.setUint32(at, f.blocksStart, LE);
    v.setUint32(at + 4, f.fragment, LE);
    v.setUint32(at + 8, f.fragmentOffset, LE);
    v.setUint32(at + 12, f.fileSizeBytes, LE);
  } else {
    v.setBigUint64(at, BigInt(f.blocksStart), LE);
    v.setBigUint64(at + 8, BigInt(f.fileSizeBytes), LE);
    v.setBigUint64(at + 16, 0n, LE); // sparse bytes: none (zero blocks are stored)
    v.setUint32(at + 24, 1, LE); // link count
    v.setUint32(at + 28, f.fragment, LE);
    v.setUint32(at + 32, f.fragmentOffset, LE);
    v.setUint32(at + 36, NO_XATTR, LE);
  }
  f.blockSizes.forEach((s, i) => v.setUint32(BASE.bytes + fixed + 4 * i, s, LE));
  return out;
}

export function encodeSymlinkInode(b: InodeBase, target: Uint8Array): Uint8Array {
  const out = new Uint8Array(BASE.bytes + 8 + target.length);
  const v = new DataView(out.buffer);
  header(v, INODE_TYPE.symlink, b);
  v.setUint32(BASE.bytes, 1, LE); // link count
  v.setUint32(BASE.bytes + 4, target.length, LE);
  out.set(target, BASE.bytes + 8);
  return out;
}

export interface DirIndexEntry {
  /** Byte position of a directory header inside this directory's listing. */
  listingOffset: number;
  /** Stored position (in the directory table) of the metadata block holding that header. */
  blockStart: number;
  /** Name of the first entry after that header. */
  name: Uint8Array;
}

export interface DirInode extends InodeBase {
  linkCount: number;
  /** Listing size + 3 (squashfs counts "." and ".." as 3 bytes). */
  fileSizeBytes: number;
  blockStart: number;
  blockOffset: number;
  parentInode: number;
  index: readonly DirIndexEntry[];
}

/** Basic directory inode (type 1), or the extended one (type 8) when it is large or has an index. */
export function encodeDirInode(d: DirInode): Uint8Array {
  if (d.index.length === 0 && d.fileSizeBytes <= 0xffff) {
    const out = new Uint8Array(BASE.bytes + 16);
    const v = new DataView(out.buffer);
    header(v, INODE_TYPE.dir, d);
    v.setUint32(BASE.bytes, d.blockStart, LE);
    v.setUint32(BASE.bytes + 4, d.linkCount, LE);
    v.setUint16(BASE.bytes + 8, d.fileSizeBytes, LE);
    v.setUint16(BASE.bytes + 10, d.blockOffset, LE);
    v.setUint32(BASE.bytes + 12, d.parentInode, LE);
    return out;
  }
  const indexBytes = d.index.reduce((n, e) => n + 12 + e.name.length, 0);
  const out = new Uint8Array(BASE.bytes + 24 + indexBytes);
  const v = new DataView(out.buffer);
  header(v, INODE_TYPE.extDir, d);
  v.setUint32(BASE.bytes, d.linkCount, LE);
  v.setUint32(BASE.bytes + 4, d.fileSizeBytes, LE);
  v.setUint32(BASE.bytes + 8, d.blockStart, LE);
  v.setUint32(BASE.bytes + 12, d.parentInode, LE);
  v.setUint16(BASE.bytes + 16, d.index.length, LE);
  v.setUint16(BASE.bytes + 18, d.blockOffset, LE);
  v.setUint32(BASE.bytes + 20, NO_XATTR, LE);
  let at = BASE.bytes + 24;
  for (const e of d.index) {
    v.setUint32(at, e.listingOffset, LE);
    v.setUint32(at + 4, e.blockStart, LE);
    v.setUint32(at + 8, e.name.length - 1, LE);
    out.set(e.name, at + 12);
    at += 12 + e.name.length;
  }
  return out;
}

/** Directory header: entry count − 1, inode block start, base inode number. */
export function encodeDirHeader(count: number, inodeBlockStart: number, baseInode: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint32(0, count - 1, LE);
  v.setUint32(4, inodeBlockStart, LE);
  v.setUint32(8, baseInode, LE);
  return out;
}

/** Directory entry: offset in the inode's block, inode number delta, basic type, name. */
export function encodeDirEntry(inodeOffset: number, inodeDelta: number, type: number, name: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + name.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, inodeOffset, LE);
  v.setInt16(2, inodeDelta, LE);
  v.setUint16(4, type, LE);
  v.setUint16(6, name.length - 1, LE);
  out.set(name, 8);
  return out;
}
