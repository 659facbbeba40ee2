/**
 * erofs images made by the real mkfs.erofs (erofs-utils 1.5, wasm/erofs-utils/mkfs.erofs.wasm) under
 * the WASI host. Tree in, image bytes out into an ImageWindow; the tool decides the size (erofs is
 * always minimal: the partition size comes from the made image). The input tree is preopened as /in
 * and read lazily; modes, owners and mtimes reach the image through the metadata manifest of
 * wasm/erofs-utils/patches/0001. The same inputs give the same bytes: the UUID is an input (repart
 * derives it from the partition UUID), SOURCE_DATE_EPOCH sets the build time and clamps every inode
 * time (which makes mkfs.erofs write extended inodes), directories are sorted by mkfs.erofs itself,
 * owners come from the tree (never from the host), the clock and random source are fixed.
 */
import type { InputDir } from '../build/input-tree.ts';
import { ErrorCode, isPartwrightError, PartwrightError } from '../model/errors.ts';
import { deriveUuid, isUuid, normalizeUuid, uuidToBytes } from '../plan/uuid.ts';
import { GrowingFile, type ImageWindow } from './image-window.ts';
import { encodeMetadataManifest, treeDirectory } from './tree-vfs.ts';
import { memoryDirectory, memoryFile, runWasi, type VfsDirectory } from './wasi-host.ts';

/** The compressors this mkfs.erofs.wasm has (lz4 1.9.4 and liblzma 5.4.1 compiled in; see wasm/erofs-utils/build-info.json). */
export const EROFS_COMPRESSIONS = ['lz4', 'lz4hc', 'lzma'] as const;
export type ErofsCompression = (typeof EROFS_COMPRESSIONS)[number];
/** Levels erofs-utils 1.5 accepts: lz4hc LZ4HC_CLEVEL_MIN..MAX, lzma xz's presets 0..9 (lz4 has none). */
export const EROFS_LEVELS = { lz4hc: { min: 3, max: 12 }, lzma: { min: 0, max: 9 } } as const;
/** erofs block size: erofs-utils 1.5 only writes 4096-byte blocks (EROFS_BLKSIZ = PAGE_SIZE). */
export const EROFS_BLOCK_BYTES = 4096;

export interface MakeErofsOptions {
  /** mkfs.erofs.wasm compiled once by the host. */
  module: WebAssembly.Module;
  /** Contents; missing modes default to 0644/0755/0777, owners to 0:0. */
  tree: InputDir;
  /** File system UUID (repart: derived from the partition UUID, erofsUuidFromPartitionUuid). */
  uuid: string;
  /** Build time and upper bound of every inode time (SOURCE_DATE_EPOCH). */
  sourceDateEpoch: number;
  /** Compression= (none when absent). */
  compression?: ErofsCompression;
  /** CompressionLevel= (lz4hc only). */
  compressionLevel?: number;
}

export interface MakeErofsResult {
  /** Image size (a multiple of 4096): the partition's minimum. */
  sizeBytes: number;
  uuid: string;
  stdout: string;
  stderr: string;
}

/** repart's file system UUID: v4(HMAC-SHA256(key = partition UUID, "file-system-uuid")). */
export function erofsUuidFromPartitionUuid(partitionUuid: string): string {
  return deriveUuid(partitionUuid, 'file-system-uuid');
}

/** `-z` as mkfs.erofs 1.5 parses it: "ALG" or "ALG,LEVEL". */
function compressionArg(o: MakeErofsOptions): string[] {
  if (o.compression === undefined) {
    if (o.compressionLevel !== undefined) throw new PartwrightError(ErrorCode.InvalidSpec, 'CompressionLevel= needs a Compression= for erofs (lz4hc or lzma).');
    return [];
  }
  if (!(EROFS_COMPRESSIONS as readonly string[]).includes(o.compression)) {
    throw new PartwrightError(ErrorCode.Unsupported, `Compression=${o.compression} is not available for erofs here; use ${EROFS_COMPRESSIONS.join(' or ')}.`);
  }
  if (o.compressionLevel === undefined) return ['-z', o.compression];
  if (o.compression === 'lz4') throw new PartwrightError(ErrorCode.InvalidSpec, 'erofs Compression=lz4 has no levels; use lz4hc or lzma for CompressionLevel=.');
  const { min, max } = EROFS_LEVELS[o.compression];
  if (!Number.isInteger(o.compressionLevel) || o.compressionLevel < min || o.compressionLevel > max) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `CompressionLevel=${o.compressionLevel} is outside ${o.compression}'s ${min}…${max}.`);
  }
  return ['-z', `${o.compression},${o.compressionLevel}`];
}

/** The mkfs.erofs command line (repart's -U and -x -1, plus -z) for an image at `imagePath` of `sourcePath`. */
export function mkfsErofsArgs(o: Omit<MakeErofsOptions, 'module' | 'tree'>, imagePath: string, sourcePath: string): string[] {
  return ['mkfs.erofs', '-U', normalizeUuid(o.uuid), '-x', '-1', '--quiet', ...compressionArg(o as MakeErofsOptions), imagePath, sourcePath];
}

function validate(o: MakeErofsOptions): void {
  if (!isUuid(o.uuid)) throw new PartwrightError(ErrorCode.InvalidSpec, `erofs UUID "${o.uuid}" is not a UUID.`);
  if (!Number.isSafeInteger(o.sourceDateEpoch) || o.sourceDateEpoch < 0 || o.sourceDateEpoch > 0xffffffff) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `SOURCE_DATE_EPOCH ${o.sourceDateEpoch} is not a time erofs can record.`);
  }
}

/** Make an erofs image of `tree` into `window` (offsets from the file system's start). */
export function makeErofs(window: ImageWindow, options: MakeErofsOptions): MakeErofsResult {
  validate(options);
  const image = new GrowingFile(window);
  const control = memoryDirectory({
    metadata: memoryFile(encodeMetadataManifest(options.tree, options.sourceDateEpoch, true)),
    image,
  });
  const preopens: Record<string, VfsDirectory> = { '/pw': control, '/in': treeDirectory(options.tree, options.sourceDateEpoch, 'an erofs image') };
  const env = { EROFS_METADATA: '/pw/metadata', SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), LC_ALL: 'C', TZ: 'UTC' };
  const args = mkfsErofsArgs(options, '/pw/image', '/in');
  let result;
  try {
    // uuid_generate runs before -U is parsed; a fixed random source keeps even that deterministic.
    result = runWasi(options.module, { args, env, preopens, clockSeconds: options.sourceDateEpoch, randomFill: (t) => t.fill(0x5a) });
  } catch (e) {
    if (isPartwrightError(e)) throw e;
    const stderr = String((e as { wasiStderr?: string }).wasiStderr ?? '').trim();
    throw new PartwrightError(ErrorCode.Io, `mkfs.erofs stopped with an internal error (${e instanceof Error ? e.message : String(e)})${stderr ? `: ${stderr}` : ''}`, { tool: 'mkfs.erofs', stderr, args });
  }
  if (result.exitCode !== 0) {
    const output = [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join('\n');
    throw new PartwrightError(ErrorCode.Io, `mkfs.erofs failed (exit status ${result.exitCode}): ${output || 'no output'}`, { tool: 'mkfs.erofs', exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, args });
  }
  return { sizeBytes: image.sizeBytes, uuid: normalizeUuid(options.uuid), stdout: result.stdout, stderr: result.stderr };
}

/** Where the erofs superblock lives and the fields a UUID change touches (erofs_fs.h struct erofs_super_block). */
const EROFS_SB = { offset: 1024, checksum: 4, uuid: 48 } as const;
const CRC32C_POLY_LE = 0x82f63b78;

/** erofs-utils' erofs_crc32c: reflected CRC-32C, the caller's initial value, no final inversion. */
function crc32c(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (c & 1 ? CRC32C_POLY_LE : 0);
  }
  return c >>> 0;
}

/**
 * Give a made image another UUID, as mkfs.erofs -U would have written it: the UUID field and the
 * superblock checksum (crc32c(~0) over block 0 from byte 1024, checksum field zero) are all that
 * differ. Minimize= sizes the image before the partition (and so its UUID) exists; this saves
 * running mkfs.erofs twice. workers/tools/mkfs-erofs.test.ts checks the result against a direct run.
 */
export function setErofsUuid(window: ImageWindow, uuid: string): void {
  const block = new Uint8Array(EROFS_BLOCK_BYTES);
  window.read(0, block);
  const sb = block.subarray(EROFS_SB.offset);
  const v = new DataView(sb.buffer, sb.byteOffset, sb.length);
  if (v.getUint32(0, true) !== 0xe0f5e1e2) throw new PartwrightError(ErrorCode.CorruptTable, 'Not an erofs image (no superblock magic at 1024).');
  sb.set(uuidToBytes(uuid), EROFS_SB.uuid);
  v.setUint32(EROFS_SB.checksum, 0, true);
  v.setUint32(EROFS_SB.checksum, crc32c(0xffffffff, sb), true);
  window.write(EROFS_SB.offset, sb);
}
