/**
 * The dm-verity superblock that `veritysetup format` writes at the start of the hash area
 * (cryptsetup lib/verity/verity.c, `struct verity_sb`: 512 bytes, little-endian). The kernel never
 * reads it; veritysetup and systemd read it to find the block sizes, salt and data size.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { bytesToUuid, uuidToBytes } from '../guid.ts';

/** Byte offsets inside `struct verity_sb`. The only place offsets live. */
const SB = { signature: 0, version: 8, hashType: 12, uuid: 16, algorithm: 32, dataBlockSize: 64, hashBlockSize: 68,
  dataBlocks: 72, saltSize: 80, salt: 88 } as const;
const LE = true;
export const VERITY_SUPERBLOCK_BYTES = 512;
const SIGNATURE = 'verity\0\0';
const ALGORITHM_BYTES = 32;
export const VERITY_MAX_SALT_BYTES = 256;

export interface VeritySuperblock {
  /** 1: the format every current kernel and veritysetup use (salt hashed first). */
  hashType: 0 | 1;
  uuid: string;
  /** Lower-case hash name, `sha256`. */
  algorithm: string;
  dataBlockBytes: number;
  hashBlockBytes: number;
  dataBlocks: number;
  salt: Uint8Array;
}

export function encodeVeritySuperblock(sb: VeritySuperblock): Uint8Array {
  if (sb.salt.length > VERITY_MAX_SALT_BYTES) throw new PartwrightError(ErrorCode.InvalidSpec, `A verity salt holds at most ${VERITY_MAX_SALT_BYTES} bytes.`);
  const algorithm = new TextEncoder().encode(sb.algorithm);
  if (algorithm.length >= ALGORITHM_BYTES) throw new PartwrightError(ErrorCode.InvalidSpec, `Hash name "${sb.algorithm}" too long for a verity superblock.`);
  const out = new Uint8Array(VERITY_SUPERBLOCK_BYTES);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(SIGNATURE), SB.signature);
  view.setUint32(SB.version, 1, LE);
  view.setUint32(SB.hashType, sb.hashType, LE);
  out.set(uuidToBytes(sb.uuid), SB.uuid);
  out.set(algorithm, SB.algorithm);
  view.setUint32(SB.dataBlockSize, sb.dataBlockBytes, LE);
  view.setUint32(SB.hashBlockSize, sb.hashBlockBytes, LE);
  view.setBigUint64(SB.dataBlocks, BigInt(sb.dataBlocks), LE);
  view.setUint16(SB.saltSize, sb.salt.length, LE);
  out.set(sb.salt, SB.salt);
  return out;
}

/** True when `bytes` starts with the verity superblock signature. */
export function isVeritySuperblock(bytes: Uint8Array): boolean {
  if (bytes.length < VERITY_SUPERBLOCK_BYTES) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[SB.signature + i] !== SIGNATURE.charCodeAt(i)) return false;
  return true;
}

export function decodeVeritySuperblock(bytes: Uint8Array): VeritySuperblock {
  if (!isVeritySuperblock(bytes)) throw new PartwrightError(ErrorCode.InvalidSpec, 'Not a dm-verity hash area: no "verity" superblock signature.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(SB.version, LE);
  if (version !== 1) throw new PartwrightError(ErrorCode.InvalidSpec, `Verity superblock version ${version}; only version 1 exists.`);
  const hashType = view.getUint32(SB.hashType, LE);
  if (hashType !== 0 && hashType !== 1) throw new PartwrightError(ErrorCode.InvalidSpec, `Verity hash type ${hashType} is not 0 or 1.`);
  const saltBytes = view.getUint16(SB.saltSize, LE);
  if (saltBytes > VERITY_MAX_SALT_BYTES) throw new PartwrightError(ErrorCode.InvalidSpec, `Verity salt size ${saltBytes} is over ${VERITY_MAX_SALT_BYTES}.`);
  const alg = bytes.subarray(SB.algorithm, SB.algorithm + ALGORITHM_BYTES);
  const end = alg.indexOf(0);
  const dataBlocks = view.getBigUint64(SB.dataBlocks, LE);
  if (dataBlocks > BigInt(Number.MAX_SAFE_INTEGER)) throw new PartwrightError(ErrorCode.InvalidSpec, 'Verity data block count out of range.');
  return {
    hashType,
    uuid: bytesToUuid(bytes, SB.uuid),
    algorithm: new TextDecoder().decode(end < 0 ? alg : alg.subarray(0, end)),
    dataBlockBytes: view.getUint32(SB.dataBlockSize, LE),
    hashBlockBytes: view.getUint32(SB.hashBlockSize, LE),
    dataBlocks: Number(dataBlocks),
    salt: bytes.slice(SB.salt, SB.salt + saltBytes),
  };
}
