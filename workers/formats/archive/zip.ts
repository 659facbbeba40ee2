/**
 * zip read through its central directory: Unix modes from the external attributes of entries made on
 * Unix (version made by = 3), symlinks (S_IFLNK, the data is the target), times from the extended
 * timestamp field (else the DOS time, read as UTC), owners from Info-ZIP's Unix field, ZIP64 sizes and
 * offsets. Stored entries are read in place; deflated ones are inflated (fflate, streaming) into the
 * scratch store once, with their CRC-32 and size checked.
 * Reference: PKWARE APPNOTE.TXT 6.3.10 §4.3 and §4.5; Info-ZIP's extra field list (proginfo/extrafld.txt).
 */
import { Inflate } from 'fflate';
import { PartwrightError } from '../../model/errors.ts';
import { crc32 } from '../crc32.ts';
import { ArchiveTreeBuilder, type ArchiveRecord } from './tree.ts';
import { ArchiveProblem, archiveError, sliceSource, type ArchiveDir, type ByteSource, type ScratchStore } from './types.ts';

const LE = true;
const SIG = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50, end64: 0x06064b50, end64Locator: 0x07064b50 } as const;
/** End of central directory record (§4.3.16). */
const EOCD = { entries: 10, cdSize: 12, cdOffset: 16, commentLength: 20, bytes: 22 } as const;
/** ZIP64 end of central directory locator (§4.3.15) and record (§4.3.14). */
const EOCD64_LOCATOR = { recordOffset: 8, bytes: 20 } as const;
const EOCD64 = { entries: 32, cdSize: 40, cdOffset: 48, bytes: 56 } as const;
/** Central directory file header (§4.3.12). */
const CD = {
  madeBy: 4, flags: 8, method: 10, dosTime: 12, dosDate: 14, crc32: 16, compressedSize: 20, size: 24,
  nameLength: 28, extraLength: 30, commentLength: 32, externalAttrs: 38, localOffset: 42, bytes: 46,
} as const;
/** Local file header (§4.3.7). */
const LOCAL = { nameLength: 26, extraLength: 28, bytes: 30 } as const;
const EXTRA = { zip64: 0x0001, timestamp: 0x5455, unixNew: 0x7875 } as const;
const HOST_UNIX = 3;
const METHOD = { stored: 0, deflate: 8 } as const;
const FLAG_ENCRYPTED = 1;
const U32_MAX = 0xffffffff;
const S_IFMT = 0o170000;
const TYPE = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;
const CHUNK_BYTES = 1 << 20;
const TARGET_BYTES_MAX = 4096;
const decoder = new TextDecoder();

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readAt(source: ByteSource, offsetBytes: number, length: number, archive: string, what: string): Uint8Array {
  if (offsetBytes < 0 || offsetBytes + length > source.sizeBytes) throw archiveError(archive, ArchiveProblem.Truncated, `ends inside ${what}.`);
  const out = new Uint8Array(length);
  source.read(offsetBytes, out);
  return out;
}

/** Extra fields (§4.5) by header ID. */
function extras(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = view(bytes);
  for (let at = 0; at + 4 <= bytes.length; ) {
    const id = v.getUint16(at, LE);
    const length = v.getUint16(at + 2, LE);
    out.set(id, bytes.subarray(at + 4, Math.min(bytes.length, at + 4 + length)));
    at += 4 + length;
  }
  return out;
}

function dosTimeSeconds(time: number, date: number): number {
  const ms = Date.UTC(((date >> 9) & 0x7f) + 1980, ((date >> 5) & 0xf) - 1, date & 0x1f, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2);
  return Math.max(0, Math.floor(ms / 1000));
}

/** Info-ZIP "ux" (0x7875): version 1, then uid and gid each as a length byte and that many little-endian bytes. */
function unixOwner(field: Uint8Array | undefined): { uid: number; gid: number } | undefined {
  if (!field || field.length < 3 || field[0] !== 1) return undefined;
  const num = (at: number): [number, number] | undefined => {
    const n = field[at]!;
    if (n > 6 || at + 1 + n > field.length) return undefined;
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + field[at + 1 + i]!;
    return [v, at + 1 + n];
  };
  const uid = num(1);
  const gid = uid && num(uid[1]);
  return uid && gid ? { uid: uid[0], gid: gid[0] } : undefined;
}

interface Directory {
  entries: number;
  cdOffset: number;
  cdSize: number;
}

function findDirectory(source: ByteSource, archive: string): Directory {
  const tailBytes = Math.min(source.sizeBytes, EOCD.bytes + 0xffff);
  const tail = readAt(source, source.sizeBytes - tailBytes, tailBytes, archive, 'its end record');
  const v = view(tail);
  for (let at = tailBytes - EOCD.bytes; at >= 0; at--) {
    if (v.getUint32(at, LE) !== SIG.end || at + EOCD.bytes + v.getUint16(at + EOCD.commentLength, LE) !== tailBytes) continue;
    const endOffset = source.sizeBytes - tailBytes + at;
    let dir: Directory = { entries: v.getUint16(at + EOCD.entries, LE), cdSize: v.getUint32(at + EOCD.cdSize, LE), cdOffset: v.getUint32(at + EOCD.cdOffset, LE) };
    if (endOffset >= EOCD64_LOCATOR.bytes) {
      const locator = view(readAt(source, endOffset - EOCD64_LOCATOR.bytes, EOCD64_LOCATOR.bytes, archive, 'its ZIP64 locator'));
      if (locator.getUint32(0, LE) === SIG.end64Locator) {
        const recordOffset = Number(locator.getBigUint64(EOCD64_LOCATOR.recordOffset, LE));
        const record = view(readAt(source, recordOffset, EOCD64.bytes, archive, 'its ZIP64 end record'));
        if (record.getUint32(0, LE) !== SIG.end64) throw archiveError(archive, ArchiveProblem.BadHeader, 'its ZIP64 end record is missing.');
        dir = { entries: Number(record.getBigUint64(EOCD64.entries, LE)), cdSize: Number(record.getBigUint64(EOCD64.cdSize, LE)), cdOffset: Number(record.getBigUint64(EOCD64.cdOffset, LE)) };
      }
    }
    if (!Number.isSafeInteger(dir.cdOffset + dir.cdSize) || dir.cdOffset + dir.cdSize > endOffset) {
      throw archiveError(archive, ArchiveProblem.Truncated, `its central directory (${dir.cdSize} bytes at ${dir.cdOffset}) lies past its end record at ${endOffset}.`);
    }
    return dir;
  }
  throw archiveError(archive, ArchiveProblem.Truncated, 'has no end of central directory record (it is cut short, or not a zip).');
}

/** Stream an entry's stored or deflated bytes through `onData`, checking its size and CRC-32. */
function decodeEntry(source: ByteSource, dataOffset: number, compressedBytes: number, sizeBytes: number, method: number, expectedCrc: number, onData: (chunk: Uint8Array) => void, fail: (problem: ArchiveProblem, why: string) => Error): void {
  let crc = 0;
  let produced = 0;
  const take = (chunk: Uint8Array) => {
    produced += chunk.length;
    if (produced > sizeBytes) throw fail(ArchiveProblem.Decompress, `inflates to more than the ${sizeBytes} bytes its header declares`);
    crc = crc32(chunk, crc);
    onData(chunk);
  };
  const inflate = method === METHOD.deflate ? new Inflate((chunk) => take(chunk)) : undefined;
  const push = (chunk: Uint8Array, final: boolean) => {
    if (!inflate) return take(chunk);
    try {
      inflate.push(chunk, final);
    } catch (e) {
      // fflate's errors carry a numeric code; ours (a size overrun, a full scratch store) pass through.
      if (e instanceof PartwrightError || typeof (e as { code?: unknown }).code !== 'number') throw e;
      throw fail(ArchiveProblem.Decompress, `its deflate data is corrupt (${(e as Error).message})`);
    }
  };
  if (compressedBytes === 0) push(new Uint8Array(0), true);
  for (let at = 0; at < compressedBytes; ) {
    const chunk = new Uint8Array(Math.min(CHUNK_BYTES, compressedBytes - at));
    source.read(dataOffset + at, chunk);
    at += chunk.length;
    push(chunk, at >= compressedBytes);
  }
  if (produced !== sizeBytes) throw fail(ArchiveProblem.Truncated, `holds ${produced} bytes, its header declares ${sizeBytes}`);
  if (crc !== expectedCrc) throw fail(ArchiveProblem.BadChecksum, `its CRC-32 is ${crc.toString(16)}, the header says ${expectedCrc.toString(16)} (the archive is damaged)`);
}

/** The zip archive in `source` as a content tree named `name`; deflated bytes are inflated into `scratch`. */
export function readZip(source: ByteSource, archive: string, scratch: ScratchStore, name = ''): ArchiveDir {
  const dir = findDirectory(source, archive);
  const central = readAt(source, dir.cdOffset, dir.cdSize, archive, 'its central directory');
  const v = view(central);
  const tree = new ArchiveTreeBuilder(archive);
  let at = 0;
  for (let i = 0; i < dir.entries; i++) {
    if (at + CD.bytes > central.length || v.getUint32(at, LE) !== SIG.central) {
      throw archiveError(archive, ArchiveProblem.BadHeader, `central directory entry ${i + 1} of ${dir.entries} is missing or damaged.`);
    }
    const nameLength = v.getUint16(at + CD.nameLength, LE);
    const extraLength = v.getUint16(at + CD.extraLength, LE);
    const commentLength = v.getUint16(at + CD.commentLength, LE);
    if (at + CD.bytes + nameLength + extraLength + commentLength > central.length) throw archiveError(archive, ArchiveProblem.Truncated, `central directory entry ${i + 1} runs past the directory.`);
    const path = decoder.decode(central.subarray(at + CD.bytes, at + CD.bytes + nameLength));
    const extra = extras(central.subarray(at + CD.bytes + nameLength, at + CD.bytes + nameLength + extraLength));
    const fail = (problem: ArchiveProblem, why: string) => archiveError(archive, problem, `${why}.`, path);
    const flags = v.getUint16(at + CD.flags, LE);
    const method = v.getUint16(at + CD.method, LE);
    const madeBy = v.getUint16(at + CD.madeBy, LE) >> 8;
    const external = v.getUint32(at + CD.externalAttrs, LE);
    const expectedCrc = v.getUint32(at + CD.crc32, LE);
    let sizeBytes = v.getUint32(at + CD.size, LE);
    let compressedBytes = v.getUint32(at + CD.compressedSize, LE);
    let localOffset = v.getUint32(at + CD.localOffset, LE);
    const dosTime = v.getUint16(at + CD.dosTime, LE);
    const dosDate = v.getUint16(at + CD.dosDate, LE);
    at += CD.bytes + nameLength + extraLength + commentLength;

    // ZIP64 (§4.5.3): the 64-bit values of the fields that are 0xFFFFFFFF, in this order.
    const z64 = extra.get(EXTRA.zip64);
    if (z64) {
      const z = view(z64);
      let o = 0;
      const next = () => {
        if (o + 8 > z64.length) throw fail(ArchiveProblem.BadHeader, 'its ZIP64 field is too short');
        const n = Number(z.getBigUint64(o, LE));
        o += 8;
        return n;
      };
      if (sizeBytes === U32_MAX) sizeBytes = next();
      if (compressedBytes === U32_MAX) compressedBytes = next();
      if (localOffset === U32_MAX) localOffset = next();
    }
    if (flags & FLAG_ENCRYPTED) throw fail(ArchiveProblem.UnsupportedEntry, 'is encrypted; content archives must not be');
    if (method !== METHOD.stored && method !== METHOD.deflate) throw fail(ArchiveProblem.UnsupportedEntry, `is compressed with method ${method}; Partwright reads stored and deflated entries (zip -Z deflate)`);

    const local = view(readAt(source, localOffset, LOCAL.bytes, archive, `the local header of ${path}`));
    if (local.getUint32(0, LE) !== SIG.local) throw fail(ArchiveProblem.BadHeader, `has no local header at byte ${localOffset}`);
    const localNameLength = local.getUint16(LOCAL.nameLength, LE);
    const localExtraLength = local.getUint16(LOCAL.extraLength, LE);
    const localExtra = extras(readAt(source, localOffset + LOCAL.bytes + localNameLength, localExtraLength, archive, `the local header of ${path}`));
    const dataOffset = localOffset + LOCAL.bytes + localNameLength + localExtraLength;
    if (!Number.isSafeInteger(dataOffset + compressedBytes) || dataOffset + compressedBytes > source.sizeBytes) {
      throw fail(ArchiveProblem.Truncated, `declares ${compressedBytes} bytes of data but the archive ends ${Math.max(0, source.sizeBytes - dataOffset)} bytes after its header`);
    }
    if (method === METHOD.stored && compressedBytes !== sizeBytes) throw fail(ArchiveProblem.BadHeader, `is stored but declares ${compressedBytes} stored and ${sizeBytes} real bytes`);

    // Times: the extended timestamp (UTC) when there is one, else the DOS time (local time of whoever made it, read as UTC).
    const stamp = extra.get(EXTRA.timestamp) ?? localExtra.get(EXTRA.timestamp);
    let mtimeSeconds: number;
    if (stamp && stamp.length >= 5 && stamp[0]! & 1) mtimeSeconds = Math.max(0, view(stamp).getInt32(1, LE));
    else mtimeSeconds = dosTimeSeconds(dosTime, dosDate);
    const owner = unixOwner(localExtra.get(EXTRA.unixNew)) ?? unixOwner(extra.get(EXTRA.unixNew));
    const unixMode = madeBy === HOST_UNIX ? external >>> 16 : 0;
    const isDir = (unixMode & S_IFMT) === TYPE.dir || path.endsWith('/') || (madeBy !== HOST_UNIX && (external & 0x10) !== 0);
    const common = {
      path,
      mtimeSeconds,
      ...(unixMode ? { mode: unixMode & 0o7777 } : {}),
      ...(owner ?? {}),
    };
    let record: ArchiveRecord;
    if (isDir) {
      record = { kind: 'dir', ...common };
    } else if ((unixMode & S_IFMT) === TYPE.symlink) {
      if (sizeBytes > TARGET_BYTES_MAX) throw fail(ArchiveProblem.BadHeader, `is a symlink with a ${sizeBytes}-byte target`);
      const parts: Uint8Array[] = [];
      decodeEntry(source, dataOffset, compressedBytes, sizeBytes, method, expectedCrc, (c) => parts.push(c.slice()), fail);
      const target = new Uint8Array(sizeBytes);
      let o = 0;
      for (const p of parts) target.set(p, (o += p.length) - p.length);
      record = { kind: 'symlink', ...common, target: decoder.decode(target) };
    } else if (unixMode === 0 || (unixMode & S_IFMT) === TYPE.file) {
      let read: (offsetBytes: number, target: Uint8Array) => void;
      if (method === METHOD.stored) {
        decodeEntry(source, dataOffset, compressedBytes, sizeBytes, method, expectedCrc, () => undefined, fail);
        read = sliceSource(source, dataOffset, sizeBytes).read;
      } else {
        let base = -1;
        decodeEntry(source, dataOffset, compressedBytes, sizeBytes, method, expectedCrc, (c) => {
          const o = scratch.append(c);
          if (base < 0) base = o;
        }, fail);
        const start = base < 0 ? 0 : base;
        read = (o, t) => scratch.read(start + o, t);
      }
      record = { kind: 'file', ...common, sizeBytes, read };
    } else {
      throw fail(ArchiveProblem.UnsupportedEntry, `is a special file (mode ${unixMode.toString(8)}); content archives hold files, directories and symlinks`);
    }
    tree.add(record);
  }
  return tree.finish(name);
}
