/** Checking a hash area against its data: what `veritysetup verify` does, for inspect and tests. */
import { decodeVeritySuperblock } from './superblock.ts';
import { computeVerityTree, verityGeometry, type VerityHasher, type VerityDataSource } from './tree.ts';

export interface VerityVerifyResult {
  /** The recomputed root hash equals `expectedRootHash` (when given) and every stored hash block matches. */
  ok: boolean;
  rootHash: Uint8Array;
  /** Why not, in words. */
  problem?: string;
}

/**
 * `hash` reads the hash area (superblock first); `dataBytes` bounds the data (the superblock's block
 * count must fit in it).
 */
export function verifyVerity(
  data: VerityDataSource, dataBytes: number, hash: { read(offsetBytes: number, target: Uint8Array): void; sizeBytes: number },
  hasher: VerityHasher, expectedRootHash?: Uint8Array,
): VerityVerifyResult {
  const head = new Uint8Array(512);
  hash.read(0, head);
  const sb = decodeVeritySuperblock(head);
  const fail = (problem: string, rootHash: Uint8Array = new Uint8Array(0)): VerityVerifyResult => ({ ok: false, rootHash, problem });
  if (sb.algorithm !== 'sha256') return fail(`hash algorithm ${sb.algorithm} is not sha256`);
  if (sb.hashType !== 1) return fail('hash format 0 (Chrome OS) is not checked');
  if (sb.dataBlocks * sb.dataBlockBytes > dataBytes) return fail(`the superblock covers ${sb.dataBlocks * sb.dataBlockBytes} bytes of data, more than the ${dataBytes}-byte data partition`);
  const g = verityGeometry(sb.dataBlocks * sb.dataBlockBytes, sb.dataBlockBytes, sb.hashBlockBytes);
  if (g.hashAreaBytes > hash.sizeBytes) return fail(`the hash tree needs ${g.hashAreaBytes} bytes, more than the ${hash.sizeBytes}-byte hash partition`);
  const tree = computeVerityTree(data, g, sb.salt, hasher);
  const stored = new Uint8Array(tree.levelsBytes.length);
  hash.read(tree.firstBlock * sb.hashBlockBytes, stored);
  for (let i = 0; i < stored.length; i++) {
    if (stored[i] !== tree.levelsBytes[i]) return fail(`hash block ${tree.firstBlock + Math.floor(i / sb.hashBlockBytes)} does not match the data`, tree.rootHash);
  }
  if (expectedRootHash && (expectedRootHash.length !== tree.rootHash.length || expectedRootHash.some((b, i) => b !== tree.rootHash[i]))) {
    return fail('the root hash differs from the expected one', tree.rootHash);
  }
  return { ok: true, rootHash: tree.rootHash };
}
