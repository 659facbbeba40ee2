export { VERITY_SUPERBLOCK_BYTES, decodeVeritySuperblock, encodeVeritySuperblock, isVeritySuperblock, type VeritySuperblock } from './superblock.ts';
export {
  DEFAULT_VERITY_BLOCK_BYTES, SHA256_DIGEST_BYTES, computeVerityTree, fromHex, isVerityBlockSize, toHex, verityGeometry,
  blockHasherOf, verityHashAreaBytes, type CreateSha256, type Sha256Hasher, type VerityBlockHasher, type VerityHasher, type VerityDataSource, type VerityGeometry, type VerityTreeResult,
} from './tree.ts';
export { VERITY_SIGNATURE_PAD_BYTES, decodeVeritySignatureJson, encodeVeritySignatureJson, type VeritySignatureJson } from './signature-json.ts';
export { verifyVerity, type VerityVerifyResult } from './verify.ts';
