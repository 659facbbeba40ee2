/**
 * A squashfs 4.0 writer (the format mksquashfs 4.x writes; Linux fs/squashfs reads it). Tree in, image
 * bytes out through a sink, nothing held but the metadata tables and one block (writeSquashfsAsync:
 * the blocks in flight). Layout, in image
 * order: superblock, compressor options (when not the defaults), data blocks and fragment blocks,
 * inode table, directory table (with directory indexes), fragment table, id table. No export table,
 * no xattrs, no duplicate detection. The result is padded to 4 KiB as mksquashfs does.
 *
 * Deterministic: entries sorted by name bytes, inode numbers assigned in that order, owners from the
 * tree (0:0 when absent), every inode time clamped to SOURCE_DATE_EPOCH (missing times are it) and
 * the superblock's mkfs time is SOURCE_DATE_EPOCH. Compression is the caller's: a function per block.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import {
  BLOCK_UNCOMPRESSED_BIT, encodeDirEntry, encodeDirHeader, encodeDirInode, encodeFileInode, encodeSymlinkInode,
  INODE_TYPE, NO_FRAGMENT, type DirIndexEntry,
} from './inode.ts';
import { encodeMetadataBlock, METADATA_BLOCK_BYTES, MetadataWriter, type BlockCompressor } from './metadata.ts';
import { encodeSquashfsSuperblock, NO_TABLE, SB_FLAG, SUPERBLOCK_BYTES, type SquashfsCompression } from './superblock.ts';

export interface SquashfsSink {
  /** Store a copy of `data` at `offsetBytes` from the file system's start. */
  write(offsetBytes: number, data: Uint8Array): void;
}

interface EntryMeta {
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtimeSeconds?: number;
}
export interface SquashfsFileInput extends EntryMeta {
  kind: 'file';
  sizeBytes: number;
  read(offsetBytes: number, target: Uint8Array): void;
}
export interface SquashfsDirInput extends EntryMeta {
  kind: 'dir';
  children: readonly SquashfsEntryInput[];
}
export interface SquashfsSymlinkInput extends EntryMeta {
  kind: 'symlink';
  target: string;
}
export type SquashfsEntryInput = SquashfsFileInput | SquashfsDirInput | SquashfsSymlinkInput;

export interface SquashfsCompressor {
  compression: SquashfsCompression;
  /** Compress one block (data or metadata); undefined or not smaller means "store it as it is". */
  compress: BlockCompressor;
  /** Metadata blocks, when the compressor treats them apart (xz: an 8 KiB dictionary); else `compress`. */
  compressMetadata?: BlockCompressor;
  /** Compressor options payload (squashfs_fs.h per compressor), written when given. */
  options?: Uint8Array;
}

export interface SquashfsOptions {
  compressor: SquashfsCompressor;
  /** SOURCE_DATE_EPOCH: the mkfs time, and the latest inode time. */
  sourceDateEpoch: number;
  /** Data block size, a power of two from 4 KiB to 1 MiB; 128 KiB like mksquashfs. */
  blockSizeBytes?: number;
}

export interface SquashfsWriteResult {
  /** The superblock's bytes_used. */
  bytesUsed: number;
  /** bytesUsed padded to 4 KiB: the image size. */
  sizeBytes: number;
  inodeCount: number;
  fragmentCount: number;
}

export const SQUASHFS_DEFAULT_BLOCK_BYTES = 128 * 1024;
/** mksquashfs pads the image to a multiple of 4 KiB (so loop devices see whole blocks). */
const PAD_BYTES = 4096;
const DIR_HEADER_ENTRIES_MAX = 256;
const DEFAULT_MODE = { file: 0o644, dir: 0o755, symlink: 0o777 } as const;
const FRAGMENT_ENTRY_BYTES = 16;
const LE = true;

interface Node {
  entry: SquashfsEntryInput;
  name: Uint8Array;
  inodeNumber: number;
  children: Node[];
  /** Set for files once their data is written. */
  data?: { blocksStart: number; blockSizes: number[]; fragment: number; fragmentOffset: number };
}

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Sorted nodes with inode numbers: the root is 1, each directory's children get consecutive numbers. */
function buildNodes(root: SquashfsDirInput): { root: Node; count: number } {
  let next = 1;
  const make = (entry: SquashfsEntryInput, path: string): Node => {
    const name = encoder.encode(entry.name);
    if (path !== '' && (entry.name === '' || entry.name === '.' || entry.name === '..' || entry.name.includes('/') || name.length > 256)) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `"${path}" is not a valid squashfs file name (1–256 bytes, no "/", not "." or "..").`);
    }
    return { entry, name, inodeNumber: 0, children: [] };
  };
  const top = make(root, '');
  top.inodeNumber = next++;
  const visit = (node: Node, path: string) => {
    if (node.entry.kind !== 'dir') return;
    node.children = node.entry.children.map((c) => make(c, `${path}/${c.name}`)).sort((a, b) => compareBytes(a.name, b.name));
    for (let i = 1; i < node.children.length; i++) {
      if (compareBytes(node.children[i - 1]!.name, node.children[i]!.name) === 0) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `Two entries named "${path}/${node.children[i]!.entry.name}" in a squashfs tree.`);
      }
    }
    for (const c of node.children) c.inodeNumber = next++;
    for (const c of node.children) visit(c, `${path}/${c.entry.name}`);
  };
  visit(top, '');
  return { root: top, count: next - 1 };
}

function check(o: SquashfsOptions): number {
  const blockSizeBytes = o.blockSizeBytes ?? SQUASHFS_DEFAULT_BLOCK_BYTES;
  if (!Number.isInteger(blockSizeBytes) || blockSizeBytes < 4096 || blockSizeBytes > 1 << 20 || (blockSizeBytes & (blockSizeBytes - 1)) !== 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `squashfs block size ${blockSizeBytes} must be a power of two from 4096 to 1048576.`);
  }
  if (!Number.isSafeInteger(o.sourceDateEpoch) || o.sourceDateEpoch < 0 || o.sourceDateEpoch > 0xffffffff) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `SOURCE_DATE_EPOCH ${o.sourceDateEpoch} is not a time squashfs can record.`);
  }
  return blockSizeBytes;
}

/** A data or fragment block in image order: its length, and how to read its bytes. */
interface DataBlock {
  sizeBytes: number;
  fill(target: Uint8Array): void;
}

/**
 * The data and fragment blocks in image order (files in tree order; files smaller than a block share
 * fragment blocks), and for each file where its data lies among them (`place` fills in `node.data`
 * once the blocks' stored sizes are known). Nothing is read or compressed here.
 */
function planData(top: Node, blockSizeBytes: number): { blocks: DataBlock[]; place: (sizes: readonly number[], dataStart: number) => Array<{ start: number; size: number }> } {
  const blocks: DataBlock[] = [];
  const fragmentBlocks: number[] = [];
  /** Per file: its first block's index (for a fragment file: the blocks before it), block count, fragment. */
  const files: Array<{ node: Node; firstBlock: number; blockCount: number; fragment: number; fragmentOffset: number }> = [];
  let pending: Array<{ e: SquashfsFileInput; offset: number }> = [];
  let fragmentBytes = 0;
  const flushFragment = () => {
    if (fragmentBytes === 0) return;
    const parts = pending;
    fragmentBlocks.push(blocks.length);
    blocks.push({ sizeBytes: fragmentBytes, fill: (t) => { for (const p of parts) p.e.read(0, t.subarray(p.offset, p.offset + p.e.sizeBytes)); } });
    pending = [];
    fragmentBytes = 0;
  };
  const visit = (node: Node) => {
    const e = node.entry;
    if (e.kind === 'dir') {
      for (const c of node.children) visit(c);
      return;
    }
    if (e.kind !== 'file') return;
    if (!Number.isSafeInteger(e.sizeBytes) || e.sizeBytes < 0) throw new PartwrightError(ErrorCode.InvalidSpec, `File "${e.name}" has an invalid size ${e.sizeBytes}.`);
    if (e.sizeBytes > 0 && e.sizeBytes < blockSizeBytes) {
      if (fragmentBytes + e.sizeBytes > blockSizeBytes) flushFragment();
      pending.push({ e, offset: fragmentBytes });
      files.push({ node, firstBlock: blocks.length, blockCount: 0, fragment: fragmentBlocks.length, fragmentOffset: fragmentBytes });
      fragmentBytes += e.sizeBytes;
      return;
    }
    const firstBlock = blocks.length;
    for (let at = 0; at < e.sizeBytes; at += blockSizeBytes) {
      const from = at;
      blocks.push({ sizeBytes: Math.min(blockSizeBytes, e.sizeBytes - at), fill: (t) => e.read(from, t) });
    }
    files.push({ node, firstBlock, blockCount: blocks.length - firstBlock, fragment: NO_FRAGMENT, fragmentOffset: 0 });
  };
  visit(top);
  flushFragment();

  /** With each block's stored size word: every file's data reference, and the fragment table. */
  const place = (sizes: readonly number[], dataStart: number) => {
    const starts: number[] = [];
    let at = dataStart;
    for (const s of sizes) {
      starts.push(at);
      at += s & ~BLOCK_UNCOMPRESSED_BIT;
    }
    starts.push(at);
    for (const f of files) {
      f.node.data = { blocksStart: starts[f.firstBlock]!, blockSizes: sizes.slice(f.firstBlock, f.firstBlock + f.blockCount), fragment: f.fragment, fragmentOffset: f.fragmentOffset };
    }
    return fragmentBlocks.map((b) => ({ start: starts[b]!, size: sizes[b]! }));
  };
  return { blocks, place };
}

/** What a block is stored as: the compressed bytes when they are smaller, else the block as it is. */
function storedBlock(data: Uint8Array, packed: Uint8Array | undefined): { bytes: Uint8Array; size: number } {
  return packed !== undefined && packed.length < data.length ? { bytes: packed, size: packed.length } : { bytes: data, size: data.length | BLOCK_UNCOMPRESSED_BIT };
}

/** Write a squashfs image of `root` into `sink` (offsets from the file system's start). */
export function writeSquashfs(sink: SquashfsSink, root: SquashfsDirInput, options: SquashfsOptions): SquashfsWriteResult {
  const image = startImage(sink, root, options);
  const { compress } = options.compressor;
  const block = new Uint8Array(image.blockSizeBytes);
  const sizes = image.blocks.map((b) => {
    const data = block.subarray(0, b.sizeBytes);
    b.fill(data);
    const stored = storedBlock(data, compress(data));
    image.put(stored.bytes);
    return stored.size;
  });
  return image.finish(sizes);
}

/** Compresses one data block off this thread; resolves as `SquashfsCompressor.compress` returns. */
export type AsyncBlockCompressor = (data: Uint8Array) => Promise<Uint8Array | undefined>;

/**
 * writeSquashfs with the data and fragment blocks compressed by `compressData` (in workers), up to
 * `inFlight` at a time, stored in image order: the same bytes as writeSquashfs with a compressor
 * that compresses as `compressData` does. Metadata blocks are compressed here by `options.compressor`.
 * Each block handed to `compressData` is a fresh buffer it may keep or transfer.
 */
export async function writeSquashfsAsync(sink: SquashfsSink, root: SquashfsDirInput, options: SquashfsOptions, compressData: AsyncBlockCompressor, inFlight: number): Promise<SquashfsWriteResult> {
  const image = startImage(sink, root, options);
  const sizes: number[] = [];
  const queue: Array<{ data: Uint8Array; packed: Promise<Uint8Array | undefined> }> = [];
  const store = async () => {
    const job = queue.shift()!;
    const stored = storedBlock(job.data, await job.packed);
    image.put(stored.bytes);
    sizes.push(stored.size);
  };
  try {
    for (const b of image.blocks) {
      const data = new Uint8Array(b.sizeBytes);
      b.fill(data);
      // The writer keeps `data` (stored as it is when it does not shrink); the compressor gets a copy.
      queue.push({ data, packed: compressData(data.slice()) });
      if (queue.length >= Math.max(1, inFlight)) await store();
    }
    while (queue.length > 0) await store();
  } finally {
    // A failed block leaves the others running: let them settle without unhandled rejections.
    for (const job of queue) job.packed.catch(() => {});
  }
  return image.finish(sizes);
}

/** Where the next table or block goes: bytes are put one after another from the superblock's end. */
class Cursor {
  pos = SUPERBLOCK_BYTES;
  constructor(private readonly sink: SquashfsSink) {}
  put(data: Uint8Array): void {
    this.sink.write(this.pos, data);
    this.pos += data.length;
  }
}

/** The writer's state between the data blocks and the tables. */
function startImage(sink: SquashfsSink, root: SquashfsDirInput, options: SquashfsOptions) {
  const blockSizeBytes = check(options);
  const { root: top, count: inodeCount } = buildNodes(root);
  const out = new Cursor(sink);
  if (options.compressor.options) out.put(encodeMetadataBlock(options.compressor.options, options.compressor.compress, true));
  const dataStart = out.pos;
  const { blocks, place } = planData(top, blockSizeBytes);
  return {
    blockSizeBytes,
    blocks,
    put: (data: Uint8Array) => out.put(data),
    finish: (sizes: readonly number[]) => writeTables(sink, out, options, { top, inodeCount, blockSizeBytes, fragments: place(sizes, dataStart) }),
  };
}

/** After the data: the inode, directory, fragment and id tables, the padding and the superblock. */
function writeTables(
  sink: SquashfsSink,
  out: Cursor,
  options: SquashfsOptions,
  { top, inodeCount, blockSizeBytes, fragments }: { top: Node; inodeCount: number; blockSizeBytes: number; fragments: Array<{ start: number; size: number }> },
): SquashfsWriteResult {
  const epoch = options.sourceDateEpoch;
  const compressMetadata = options.compressor.compressMetadata ?? options.compressor.compress;
  const put = (data: Uint8Array) => out.put(data);

  // --- inode and directory tables (children before parents: a listing needs their references) ------
  const inodes = new MetadataWriter(compressMetadata);
  const dirs = new MetadataWriter(compressMetadata);
  const ids: number[] = [];
  const idIndex = (id: number | undefined): number => {
    const value = id ?? 0;
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new PartwrightError(ErrorCode.InvalidSpec, `Owner id ${value} does not fit squashfs's 32 bits.`);
    let i = ids.indexOf(value);
    if (i < 0) {
      i = ids.length;
      ids.push(value);
      if (ids.length > 0xffff) throw new PartwrightError(ErrorCode.InvalidSpec, 'More than 65,535 distinct owner ids in one squashfs image.');
    }
    return i;
  };
  const base = (node: Node) => {
    const e = node.entry;
    return {
      mode: e.mode ?? DEFAULT_MODE[e.kind],
      uidIndex: idIndex(e.uid),
      gidIndex: idIndex(e.gid),
      mtime: e.mtimeSeconds === undefined ? epoch : Math.min(Math.max(0, Math.floor(e.mtimeSeconds)), epoch),
      inodeNumber: node.inodeNumber,
    };
  };

  interface Written { ref: bigint; type: number }
  const writeInode = (node: Node, parentInode: number): Written => {
    const e = node.entry;
    if (e.kind === 'file') {
      const ref = inodes.reference();
      inodes.append(encodeFileInode({ ...base(node), ...node.data!, fileSizeBytes: e.sizeBytes }));
      return { ref, type: INODE_TYPE.file };
    }
    if (e.kind === 'symlink') {
      const target = encoder.encode(e.target);
      if (target.length === 0 || target.length > 4095) throw new PartwrightError(ErrorCode.InvalidSpec, `Symlink "${e.name}" has a target of ${target.length} bytes (1–4095 allowed).`);
      const ref = inodes.reference();
      inodes.append(encodeSymlinkInode(base(node), target));
      return { ref, type: INODE_TYPE.symlink };
    }
    const children = node.children.map((c) => ({ node: c, ...writeInode(c, node.inodeNumber) }));
    const listing = writeListing(children);
    const ref = inodes.reference();
    inodes.append(encodeDirInode({
      ...base(node),
      linkCount: 2 + children.filter((c) => c.type === INODE_TYPE.dir).length,
      fileSizeBytes: listing.bytes + 3,
      blockStart: listing.blockStart,
      blockOffset: listing.blockOffset,
      parentInode,
      index: listing.index,
    }));
    return { ref, type: INODE_TYPE.dir };
  };

  /** Headers group entries whose inodes share a metadata block, ≤ 256 at a time, with 16-bit deltas;
   * a header starting in a new directory-table block gets an index entry (the kernel's lookup shortcut). */
  const writeListing = (children: Array<{ node: Node; ref: bigint; type: number }>) => {
    const start = dirs.position();
    const index: DirIndexEntry[] = [];
    let bytes = 0;
    let headerBlock = start.block;
    let i = 0;
    while (i < children.length) {
      const first = children[i]!;
      const inodeBlock = Number(first.ref >> 16n);
      const baseInode = first.node.inodeNumber;
      // Entries up to where a new header is needed; the group also ends where the listing crosses
      // into the next 8 KiB directory block, so each block starts with a header the index can name.
      let offset = dirs.position().offset + 12;
      let j = i;
      while (j < children.length && j - i < DIR_HEADER_ENTRIES_MAX) {
        const c = children[j]!;
        const delta = c.node.inodeNumber - baseInode;
        if (Number(c.ref >> 16n) !== inodeBlock || delta < -32768 || delta > 32767) break;
        if (j > i && offset >= METADATA_BLOCK_BYTES) break;
        offset += 8 + c.node.name.length;
        j++;
      }
      const here = dirs.position();
      if (here.block !== headerBlock) {
        index.push({ listingOffset: bytes, blockStart: here.block, name: first.node.name });
        headerBlock = here.block;
      }
      const header = encodeDirHeader(j - i, inodeBlock, baseInode);
      dirs.append(header);
      bytes += header.length;
      for (let k = i; k < j; k++) {
        const c = children[k]!;
        const entry = encodeDirEntry(Number(c.ref & 0xffffn), c.node.inodeNumber - baseInode, c.type, c.node.name);
        dirs.append(entry);
        bytes += entry.length;
      }
      i = j;
    }
    return { bytes, blockStart: start.block, blockOffset: start.offset, index };
  };

  const rootRef = writeInode(top, inodeCount + 1).ref;

  // --- tables after the data, in mksquashfs's order --------------------------------------------------
  const putTable = (w: MetadataWriter): number => {
    const start = out.pos;
    for (const c of w.finish().chunks) put(c);
    return start;
  };
  const inodeTableStart = putTable(inodes);
  const directoryTableStart = putTable(dirs);

  /** A lookup table (fragments, ids): its entries in metadata blocks, then u64 pointers to them. */
  const putIndexedTable = (entries: Uint8Array): number => {
    const w = new MetadataWriter(compressMetadata);
    w.append(entries);
    const { chunks, blockStarts } = w.finish();
    const tableStart = out.pos;
    for (const c of chunks) put(c);
    const pointers = new Uint8Array(8 * blockStarts.length);
    const pv = new DataView(pointers.buffer);
    blockStarts.forEach((s, k) => pv.setBigUint64(8 * k, BigInt(tableStart + s), LE));
    const indexStart = out.pos;
    put(pointers);
    return indexStart;
  };

  const fragmentEntries = new Uint8Array(FRAGMENT_ENTRY_BYTES * fragments.length);
  const fv = new DataView(fragmentEntries.buffer);
  fragments.forEach((f, k) => {
    fv.setBigUint64(k * FRAGMENT_ENTRY_BYTES, BigInt(f.start), LE);
    fv.setUint32(k * FRAGMENT_ENTRY_BYTES + 8, f.size, LE);
  });
  const fragmentTableStart = fragments.length > 0 ? putIndexedTable(fragmentEntries) : out.pos;

  const idEntries = new Uint8Array(4 * ids.length);
  const iv = new DataView(idEntries.buffer);
  ids.forEach((id, k) => iv.setUint32(4 * k, id, LE));
  const idTableStart = putIndexedTable(idEntries);

  const bytesUsed = out.pos;
  const sizeBytes = Math.ceil(bytesUsed / PAD_BYTES) * PAD_BYTES;
  if (sizeBytes > bytesUsed) sink.write(bytesUsed, new Uint8Array(sizeBytes - bytesUsed));

  sink.write(0, encodeSquashfsSuperblock({
    inodeCount,
    mkfsTime: epoch,
    blockSizeBytes,
    fragmentCount: fragments.length,
    compression: options.compressor.compression,
    flags: SB_FLAG.noXattrs | (options.compressor.options ? SB_FLAG.compressorOptions : 0),
    idCount: ids.length,
    rootInode: rootRef,
    bytesUsed,
    idTableStart,
    xattrIdTableStart: NO_TABLE,
    inodeTableStart,
    directoryTableStart,
    fragmentTableStart,
    lookupTableStart: NO_TABLE,
  }));
  return { bytesUsed, sizeBytes, inodeCount, fragmentCount: fragments.length };
}
