/**
 * The dm-verity hash tree, format 1, as `veritysetup format` lays it out (cryptsetup
 * lib/verity/verity_hash.c): level 0 holds one digest per data block, each higher level one digest
 * per block of the level below, until one block remains; levels are stored top first, right after
 * the superblock's (hash-block-rounded) block. A digest is H(salt ‖ block); digests sit at a stride of
 * the digest size rounded up to a power of two, each hash block zero-padded. The root hash is the
 * digest of the single top block.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { VERITY_SUPERBLOCK_BYTES } from './superblock.ts';

/** An incremental SHA-256 (the host's fastest: Node's crypto, hash-wasm, or the engine's own). */
export interface Sha256Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}
export type CreateSha256 = () => Sha256Hasher;

/**
 * Digests of many equal blocks at once: H(salt ‖ block) of each `blockBytes` block of `blocks`,
 * 32 bytes each, one after another into `out`. The tree's levels are all such batches, so a host can
 * hash several blocks per call (workers/tools/sha256-lanes.ts: four per SIMD vector).
 */
export interface VerityBlockHasher {
  hashBlocks(salt: Uint8Array, blocks: Uint8Array, blockBytes: number, out: Uint8Array): void;
}

/** What the tree hashes with: a batch hasher, or any incremental SHA-256 (one block per digest). */
export type VerityHasher = VerityBlockHasher | CreateSha256;

/** A batch hasher over an incremental SHA-256. */
export function blockHasherOf(hasher: VerityHasher): VerityBlockHasher {
  if (typeof hasher !== 'function') return hasher;
  return {
    hashBlocks(salt, blocks, blockBytes, out) {
      for (let k = 0, at = 0; at < blocks.length; k++, at += blockBytes) {
        const h = hasher();
        h.update(salt);
        h.update(blocks.subarray(at, at + blockBytes));
        out.set(h.digest(), k * SHA256_DIGEST_BYTES);
      }
    },
  };
}

export const SHA256_DIGEST_BYTES = 32;
export const DEFAULT_VERITY_BLOCK_BYTES = 4096;

export function isVerityBlockSize(bytes: number): boolean {
  return Number.isSafeInteger(bytes) && bytes >= 512 && bytes <= 4096 && (bytes & (bytes - 1)) === 0;
}

export interface VerityGeometry {
  dataBlockBytes: number;
  hashBlockBytes: number;
  dataBlocks: number;
  /** Digests per hash block (a power of two). */
  digestsPerBlock: number;
  /** Per level (0 = the data blocks' digests): first hash block (from the start of the hash area) and block count. */
  levels: { firstBlock: number; blocks: number }[];
  /** Bytes the hash area needs: superblock block + every level. */
  hashAreaBytes: number;
}

export function verityGeometry(dataBytes: number, dataBlockBytes: number, hashBlockBytes: number): VerityGeometry {
  for (const [name, v] of [['data', dataBlockBytes], ['hash', hashBlockBytes]] as const) {
    if (!isVerityBlockSize(v)) throw new PartwrightError(ErrorCode.InvalidSpec, `Verity ${name} block size ${v} must be a power of two between 512 and 4096.`);
  }
  if (dataBytes % dataBlockBytes !== 0 || dataBytes <= 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Verity data of ${dataBytes} bytes is not a positive multiple of the data block size ${dataBlockBytes}.`);
  }
  const dataBlocks = dataBytes / dataBlockBytes;
  const bits = Math.floor(Math.log2(hashBlockBytes / SHA256_DIGEST_BYTES));
  const digestsPerBlock = 2 ** bits;
  // hash_levels(): as many levels as it takes for (dataBlocks − 1) to shift down to zero.
  let levelCount = 0;
  while (Math.floor((dataBlocks - 1) / digestsPerBlock ** levelCount) > 0) levelCount++;
  const sizes: number[] = [];
  for (let i = 0; i < levelCount; i++) sizes.push(Math.ceil(dataBlocks / digestsPerBlock ** (i + 1)));
  const levels: { firstBlock: number; blocks: number }[] = new Array(levelCount);
  let position = Math.ceil(VERITY_SUPERBLOCK_BYTES / hashBlockBytes);
  for (let i = levelCount - 1; i >= 0; i--) {
    levels[i] = { firstBlock: position, blocks: sizes[i]! };
    position += sizes[i]!;
  }
  return { dataBlockBytes, hashBlockBytes, dataBlocks, digestsPerBlock, levels, hashAreaBytes: position * hashBlockBytes };
}

/**
 * Bytes a hash partition needs for `dataBytes` of data, as systemd-repart sizes it for Minimize=
 * (one block per level and the superblock's block), before rounding to the grain.
 */
export function verityHashAreaBytes(dataBytes: number, dataBlockBytes: number, hashBlockBytes: number): number {
  const blocks = Math.max(1, Math.ceil(dataBytes / dataBlockBytes));
  return verityGeometry(blocks * dataBlockBytes, dataBlockBytes, hashBlockBytes).hashAreaBytes;
}

/** Reads `target.length` bytes of the data at `offsetBytes`; `isZero` says a range is known to be all zeros (a hole). */
export interface VerityDataSource {
  read(offsetBytes: number, target: Uint8Array): void;
  isZero?(offsetBytes: number, sizeBytes: number): boolean;
}

export interface VerityTreeResult {
  rootHash: Uint8Array;
  /** The hash area after the superblock's block: every level, top first (write it at hashBlockBytes·firstLevelBlock). */
  levelsBytes: Uint8Array;
  /** Hash block index where `levelsBytes` starts. */
  firstBlock: number;
}

const READ_CHUNK_BYTES = 1 << 20;

/** Computes every level and the root hash (format 1, SHA-256). Holes cost one digest in total. */
export function computeVerityTree(data: VerityDataSource, g: VerityGeometry, salt: Uint8Array, hasher: VerityHasher): VerityTreeResult {
  const blocks = blockHasherOf(hasher);
  const hb = g.hashBlockBytes;
  const firstBlock = g.levels.length ? g.levels[g.levels.length - 1]!.firstBlock : Math.ceil(VERITY_SUPERBLOCK_BYTES / hb);
  const levelsBytes = new Uint8Array(g.hashAreaBytes - firstBlock * hb);
  const levelView = (i: number) => {
    const l = g.levels[i]!;
    return levelsBytes.subarray((l.firstBlock - firstBlock) * hb, (l.firstBlock - firstBlock + l.blocks) * hb);
  };
  // Digests sit at a stride of the digest size rounded up to a power of two: 32 already is one, so
  // a batch's digests are written straight into their level.
  const stride = SHA256_DIGEST_BYTES;
  const one = (block: Uint8Array) => {
    const out = new Uint8Array(SHA256_DIGEST_BYTES);
    blocks.hashBlocks(salt, block, block.length, out);
    return out;
  };

  if (g.levels.length === 0) {
    const block = new Uint8Array(g.dataBlockBytes);
    data.read(0, block);
    return { rootHash: one(block), levelsBytes, firstBlock };
  }

  // Level 0: one digest per data block, read in 1 MiB chunks; a zero chunk reuses one digest.
  const level0 = levelView(0);
  const db = g.dataBlockBytes;
  const zeroDigest = one(new Uint8Array(db));
  const chunkBlocks = Math.max(1, Math.floor(READ_CHUNK_BYTES / db));
  const chunk = new Uint8Array(chunkBlocks * db);
  for (let b = 0; b < g.dataBlocks; b += chunkBlocks) {
    const n = Math.min(chunkBlocks, g.dataBlocks - b);
    if (data.isZero?.(b * db, n * db)) {
      for (let k = 0; k < n; k++) level0.set(zeroDigest, (b + k) * stride);
      continue;
    }
    const view = chunk.subarray(0, n * db);
    data.read(b * db, view);
    blocks.hashBlocks(salt, view, db, level0.subarray(b * stride, (b + n) * stride));
  }
  // Higher levels: digests of the blocks of the level below, in batches of up to 1 MiB.
  const batchBlocks = Math.max(1, Math.floor(READ_CHUNK_BYTES / hb));
  for (let i = 1; i < g.levels.length; i++) {
    const below = levelView(i - 1);
    const here = levelView(i);
    const count = g.levels[i - 1]!.blocks;
    for (let k = 0; k < count; k += batchBlocks) {
      const n = Math.min(batchBlocks, count - k);
      blocks.hashBlocks(salt, below.subarray(k * hb, (k + n) * hb), hb, here.subarray(k * stride, (k + n) * stride));
    }
  }
  const top = levelView(g.levels.length - 1);
  return { rootHash: one(top.subarray(0, hb)), levelsBytes, firstBlock };
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(text: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new PartwrightError(ErrorCode.InvalidSpec, `"${text}" is not hex.`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
