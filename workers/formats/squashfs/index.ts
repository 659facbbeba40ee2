/** squashfs 4.0: writer (tree → image through a sink) and superblock reader. */
export { writeSquashfs, writeSquashfsAsync, SQUASHFS_DEFAULT_BLOCK_BYTES } from './writer.ts';
export type { AsyncBlockCompressor, SquashfsSink, SquashfsEntryInput, SquashfsDirInput, SquashfsFileInput, SquashfsSymlinkInput, SquashfsCompressor, SquashfsOptions, SquashfsWriteResult } from './writer.ts';
export { decodeSquashfsSuperblock, encodeSquashfsSuperblock, COMPRESSION_ID, SB_FLAG, SQUASHFS_MAGIC, SUPERBLOCK_BYTES } from './superblock.ts';
export type { SquashfsSuperblock, SquashfsCompression } from './superblock.ts';
export type { BlockCompressor } from './metadata.ts';
