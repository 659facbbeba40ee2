/**
 * The identity of a FAT volume: its 32-bit volume ID ("serial number") and its 11-byte label.
 */
import { hmacSha256 } from '../../crypto/sha256.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { uuidToBytes } from '../guid.ts';
import { NO_NAME_LABEL } from './boot-sector.ts';
import { FAT_LABEL_ILLEGALS as LABEL_ILLEGALS } from '../../model/volume-labels.ts';

export { mangleFatLabel } from '../../model/volume-labels.ts';

/**
 * The volume ID systemd-repart gives a vfat partition: the filesystem UUID is
 * v4(HMAC-SHA256(key = partition UUID bytes, "file-system-uuid")) (repart.c partition_acquire_uuid /
 * derive_uuid), and mkfs-util.c passes its first four bytes, big-endian, as `mkfs.vfat -i %08x`.
 * The v4 marking touches bytes 6 and 8 only, so it does not change the ID.
 */
export function vfatVolumeIdFromPartitionUuid(partitionUuid: string): number {
  const digest = hmacSha256(uuidToBytes(partitionUuid), new TextEncoder().encode('file-system-uuid'));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** The volume ID as blkid and Windows print it: `9ED7-CD98`. */
export function formatVolumeId(volumeId: number): string {
  const hex = (volumeId >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** Parses `9ED7-CD98`, `9ed7cd98` or `0x9ed7cd98`. */
export function parseVolumeId(text: string): number {
  const m = /^(?:0x)?([0-9a-f]{4})-?([0-9a-f]{4})$/i.exec(text.trim());
  if (!m) throw new PartwrightError(ErrorCode.InvalidSpec, `"${text}" is not a FAT volume ID (8 hex digits, e.g. 9ED7-CD98).`);
  return parseInt(m[1]! + m[2]!, 16) >>> 0;
}

/**
 * The 11 label bytes mkfs.fat stores (space-padded; `NO NAME` when empty). Like mkfs.fat it keeps
 * lower case; it refuses what mkfs.fat refuses. Only ASCII is accepted.
 */
export function encodeFatLabel(label: string | undefined): string {
  const text = label ?? '';
  const bad = (why: string) => new PartwrightError(ErrorCode.InvalidSpec, `FAT label "${text}": ${why}.`, { where: 'label' });
  if (text.length > 11) throw bad('labels are at most 11 characters');
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80) throw bad('only ASCII characters are supported');
    if (c < 0x20) throw bad('control characters are not allowed');
    if (LABEL_ILLEGALS.includes(ch)) throw bad(`the characters ${LABEL_ILLEGALS} are not allowed`);
  }
  if (text.startsWith(' ')) throw bad('a label cannot start with a space');
  const padded = text.padEnd(11, ' ');
  return padded === '           ' ? NO_NAME_LABEL : padded;
}
