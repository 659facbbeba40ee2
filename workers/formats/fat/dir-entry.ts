/**
 * 32-byte FAT directory entries (fatgen103 §6) and VFAT long-name entries (§7), DOS dates and times.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** Offsets inside a short (8.3) directory entry. */
const DIRENT = {
  name: 0,
  attr: 11,
  ntCase: 12,
  createTimeTenths: 13,
  createTime: 14,
  createDate: 16,
  accessDate: 18,
  firstClusterHigh: 20,
  writeTime: 22,
  writeDate: 24,
  firstClusterLow: 26,
  fileSize: 28,
} as const;

/** Offsets inside a long-name entry; name characters are UTF-16LE in three runs (5 + 6 + 2). */
const LFN = { order: 0, name1: 1, attr: 11, type: 12, checksum: 13, name2: 14, firstClusterLow: 26, name3: 28 } as const;
const LFN_RUNS = [[LFN.name1, 5], [LFN.name2, 6], [LFN.name3, 2]] as const;
/** UTF-16 code units per long-name entry. */
export const LFN_CHARS_PER_ENTRY = 13;
/** Set on the order byte of the last (first stored) long-name entry. */
const LFN_LAST = 0x40;

export const DIR_ENTRY_BYTES = 32;
export const ATTR = { readOnly: 0x01, hidden: 0x02, system: 0x04, volumeId: 0x08, directory: 0x10, archive: 0x20, longName: 0x0f } as const;
/** First name byte of a free entry that ends the directory, and of a deleted one. */
export const END_OF_DIR = 0x00;
export const DELETED_ENTRY = 0xe5;

const LE = true;

export interface DosDateTime {
  date: number;
  time: number;
}

/** 1980-01-01 00:00:00, the earliest FAT time. */
const DOS_EPOCH_SECONDS = 315532800;
/** 2107-12-31 23:59:58, the latest. */
const DOS_MAX_SECONDS = 4354819198;

/** DOS date and time (UTC, 2-second steps) of a Unix time; clamped into 1980–2107. */
export function dosDateTime(epochSeconds: number): DosDateTime {
  const s = Math.min(Math.max(Math.floor(epochSeconds), DOS_EPOCH_SECONDS), DOS_MAX_SECONDS);
  const d = new Date(s * 1000);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return { date, time };
}

/** Unix seconds of a DOS date and time (read as UTC). */
export function dosToEpochSeconds(date: number, time: number): number {
  const year = 1980 + (date >> 9);
  const month = ((date >> 5) & 0x0f) - 1;
  const day = date & 0x1f;
  return Date.UTC(year, month, day || 1, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2) / 1000;
}

export interface ShortEntry {
  /** 11 name bytes. */
  name: Uint8Array;
  attr: number;
  caseBits: number;
  firstCluster: number;
  sizeBytes: number;
  /** Write, create and access times (access keeps only the date). */
  modified: DosDateTime;
}

export function encodeShortEntry(e: ShortEntry, out: Uint8Array, offset: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(e.name.subarray(0, 11), offset + DIRENT.name);
  out[offset + DIRENT.attr] = e.attr;
  out[offset + DIRENT.ntCase] = e.caseBits;
  out[offset + DIRENT.createTimeTenths] = 0;
  view.setUint16(offset + DIRENT.createTime, e.modified.time, LE);
  view.setUint16(offset + DIRENT.createDate, e.modified.date, LE);
  view.setUint16(offset + DIRENT.accessDate, e.modified.date, LE);
  view.setUint16(offset + DIRENT.firstClusterHigh, e.firstCluster >>> 16, LE);
  view.setUint16(offset + DIRENT.writeTime, e.modified.time, LE);
  view.setUint16(offset + DIRENT.writeDate, e.modified.date, LE);
  view.setUint16(offset + DIRENT.firstClusterLow, e.firstCluster & 0xffff, LE);
  view.setUint32(offset + DIRENT.fileSize, e.sizeBytes >>> 0, LE);
}

export function decodeShortEntry(bytes: Uint8Array, offset: number): ShortEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name: bytes.slice(offset, offset + 11),
    attr: bytes[offset + DIRENT.attr]!,
    caseBits: bytes[offset + DIRENT.ntCase]!,
    firstCluster: (view.getUint16(offset + DIRENT.firstClusterHigh, LE) << 16 | view.getUint16(offset + DIRENT.firstClusterLow, LE)) >>> 0,
    sizeBytes: view.getUint32(offset + DIRENT.fileSize, LE),
    modified: { date: view.getUint16(offset + DIRENT.writeDate, LE), time: view.getUint16(offset + DIRENT.writeTime, LE) },
  };
}

/** fatgen103 §7.2 ChkSum(): rotate right and add, over the 11 short-name bytes. */
export function shortNameChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + name[i]!) & 0xff;
  return sum;
}

/** How many long-name entries a name needs. */
export function lfnEntryCount(longName: string): number {
  return Math.ceil(longName.length / LFN_CHARS_PER_ENTRY);
}

/**
 * The long-name entries for `longName` in on-disk order (last part first, with the 0x40 flag),
 * written at `offset`: the name is NUL-terminated when it does not fill the last entry, then 0xFFFF.
 */
export function encodeLfnEntries(longName: string, checksum: number, out: Uint8Array, offset: number): number {
  const count = lfnEntryCount(longName);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let k = count; k >= 1; k--) {
    const at = offset + (count - k) * DIR_ENTRY_BYTES;
    out.fill(0, at, at + DIR_ENTRY_BYTES);
    out[at + LFN.order] = k === count ? k | LFN_LAST : k;
    out[at + LFN.attr] = ATTR.longName;
    out[at + LFN.type] = 0;
    out[at + LFN.checksum] = checksum;
    view.setUint16(at + LFN.firstClusterLow, 0, LE);
    let index = (k - 1) * LFN_CHARS_PER_ENTRY;
    for (const [runOffset, runLength] of LFN_RUNS) {
      for (let j = 0; j < runLength; j++, index++) {
        const unit = index < longName.length ? longName.charCodeAt(index) : index === longName.length ? 0 : 0xffff;
        view.setUint16(at + runOffset + j * 2, unit, LE);
      }
    }
  }
  return count;
}

export interface LfnPart {
  order: number;
  last: boolean;
  checksum: number;
  /** The 13 code units (may include the NUL and 0xFFFF padding). */
  units: number[];
}

export function decodeLfnEntry(bytes: Uint8Array, offset: number): LfnPart {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const units: number[] = [];
  for (const [runOffset, runLength] of LFN_RUNS) {
    for (let j = 0; j < runLength; j++) units.push(view.getUint16(offset + runOffset + j * 2, LE));
  }
  const order = bytes[offset + LFN.order]!;
  if ((order & 0x3f) === 0) {
    throw new PartwrightError(ErrorCode.CorruptTable, 'A VFAT long-name entry has sequence number 0.', { problem: 'fat-lfn' });
  }
  return { order: order & 0x3f, last: (order & LFN_LAST) !== 0, checksum: bytes[offset + LFN.checksum]!, units };
}
