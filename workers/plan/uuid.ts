/**
 * UUIDs as repart handles them: 16 bytes in string order (sd_id128_t), v4-marked HMAC-SHA256 output
 * for seed-derived identities (repart.c: derive_uuid, partition_acquire_uuid; id128_make_v4_uuid).
 */
import { hmacSha256 } from '../crypto/sha256.ts';
import { bytesToUuid, uuidToBytes } from '../model/uuid.ts';

export { NULL_UUID, bytesToUuid, isUuid, normalizeUuid, uuidToBytes } from '../model/uuid.ts';

/** id128_make_v4_uuid on the first 16 bytes: version nibble 4, RFC 4122 variant bits 10. */
export function makeV4(bytes: Uint8Array): Uint8Array {
  const id = bytes.slice(0, 16);
  id[6] = (id[6]! & 0x0f) | 0x40;
  id[8] = (id[8]! & 0x3f) | 0x80;
  return id;
}

/** derive_uuid(): v4(HMAC-SHA256(key = base UUID bytes, message = token)). */
export function deriveUuid(base: string, token: Uint8Array | string): string {
  const message = typeof token === 'string' ? new TextEncoder().encode(token) : token;
  return bytesToUuid(makeV4(hmacSha256(uuidToBytes(base), message)));
}

/** The disk GUID of a fresh table: derive_uuid(seed, "disk-uuid"). */
export function deriveDiskGuid(seed: string): string {
  return deriveUuid(seed, 'disk-uuid');
}

/**
 * partition_acquire_uuid(): the k-th (0-based) partition of a type gets
 * v4(HMAC-SHA256(seed, TYPE)) for k = 0 and v4(HMAC-SHA256(seed, TYPE || uint64_le(k))) after.
 */
export function derivePartitionUuid(seed: string, typeGuid: string, k: number): string {
  const type = uuidToBytes(typeGuid);
  if (k === 0) return deriveUuid(seed, type);
  const message = new Uint8Array(24);
  message.set(type);
  new DataView(message.buffer).setBigUint64(16, BigInt(k), true);
  return deriveUuid(seed, message);
}

/**
 * Partwright's MBR disk identifier when the spec names none: the first 4 bytes of
 * HMAC-SHA256(key = seed, message = "mbr-disk-id") read as a little-endian uint32. repart has no MBR,
 * so this is Partwright's own derivation, in the same spirit as "disk-uuid".
 */
export function deriveMbrDiskId(seed: string): number {
  const mac = hmacSha256(uuidToBytes(seed), new TextEncoder().encode('mbr-disk-id'));
  return new DataView(mac.buffer, mac.byteOffset, 4).getUint32(0, true);
}
