/**
 * The file allocation table itself: 12-, 16- or 28-bit entries (fatgen103 §4).
 */
import type { FatType } from './geometry.ts';

/** End-of-chain value mkfs.fat writes (FAT_EOF 0x0FFFFFF8, masked to the entry width). */
export function endOfChain(type: FatType): number {
  return type === 12 ? 0xff8 : type === 16 ? 0xfff8 : 0x0ffffff8;
}

/** Any value at or above this ends a chain (fatgen103 §4: 0xFF8–0xFFF and wider equivalents). */
export function isEndOfChain(type: FatType, value: number): boolean {
  return value >= endOfChain(type);
}

/** The all-ones mask of an entry (FAT32 uses 28 of its 32 bits). */
export function entryMask(type: FatType): number {
  return type === 12 ? 0xfff : type === 16 ? 0xffff : 0x0fffffff;
}

/** Bytes that entries [0, count) take. */
export function fatBytesForEntries(type: FatType, count: number): number {
  return type === 12 ? Math.ceil((count * 3) / 2) : count * (type / 8);
}

/**
 * Encode entries [first, first + count) into bytes; `first` must be even for FAT12 so that the chunk
 * starts on a byte boundary. Returns the bytes starting at byte `fatBytesForEntries(type, first)`.
 */
export function encodeFatEntries(type: FatType, first: number, count: number, valueOf: (cluster: number) => number): Uint8Array {
  if (type === 12 && first % 2 !== 0) throw new Error('FAT12 chunks must start at an even entry');
  const out = new Uint8Array(fatBytesForEntries(type, first + count) - fatBytesForEntries(type, first));
  const mask = entryMask(type);
  for (let i = 0; i < count; i++) {
    const v = valueOf(first + i) & mask;
    if (type === 12) {
      const at = (i * 3) >> 1;
      if (i % 2 === 0) {
        out[at] = v & 0xff;
        out[at + 1] = (out[at + 1]! & 0xf0) | (v >> 8);
      } else {
        out[at] = (out[at]! & 0x0f) | ((v & 0x0f) << 4);
        out[at + 1] = v >> 4;
      }
    } else if (type === 16) {
      out[i * 2] = v & 0xff;
      out[i * 2 + 1] = v >> 8;
    } else {
      out[i * 4] = v & 0xff;
      out[i * 4 + 1] = (v >> 8) & 0xff;
      out[i * 4 + 2] = (v >> 16) & 0xff;
      out[i * 4 + 3] = v >>> 24;
    }
  }
  return out;
}

/** Reads entry `cluster` given a byte reader over the FAT. */
export function decodeFatEntry(type: FatType, cluster: number, byteAt: (offset: number) => number): number {
  if (type === 12) {
    const at = (cluster * 3) >> 1;
    const pair = byteAt(at) | (byteAt(at + 1) << 8);
    return cluster % 2 === 0 ? pair & 0xfff : pair >> 4;
  }
  if (type === 16) return byteAt(cluster * 2) | (byteAt(cluster * 2 + 1) << 8);
  const at = cluster * 4;
  return ((byteAt(at) | (byteAt(at + 1) << 8) | (byteAt(at + 2) << 16) | (byteAt(at + 3) << 24)) >>> 0) & 0x0fffffff;
}
