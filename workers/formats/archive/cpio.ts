/**
 * cpio "new ASCII" (newc, magic 070701) and its checksummed variant (crc, 070702), as the Linux
 * kernel's initramfs and `cpio -H newc` write them: a 110-byte header of hex fields, the name, the
 * data, each padded to 4 bytes; "TRAILER!!!" ends it. Hard links share an inode number and only one
 * of them carries the data (GNU cpio puts it on the last). File bytes stay in the archive.
 * Reference: cpio(5) "New ASCII Format"; Linux Documentation/driver-api/early-userspace/buffer-format.rst.
 */
import { ArchiveTreeBuilder, type ArchiveRecord } from './tree.ts';
import { ArchiveProblem, archiveError, sliceSource, type ArchiveDir, type ByteSource } from './types.ts';

const HEADER_BYTES = 110;
/** The 13 eight-digit hex fields after the 6-byte magic, in order. */
const FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'fileSize', 'devMajor', 'devMinor', 'rdevMajor', 'rdevMinor', 'nameSize', 'check'] as const;
type Header = Record<(typeof FIELDS)[number], number>;
const TRAILER = 'TRAILER!!!';
const NAME_BYTES_MAX = 4096;
const S_IFMT = 0o170000;
const TYPE = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;
const OTHER: Record<number, string> = { 0o020000: 'character device', 0o060000: 'block device', 0o010000: 'FIFO', 0o140000: 'socket' };
const CHUNK_BYTES = 1 << 20;
const decoder = new TextDecoder();

const pad4 = (n: number) => (n + 3) & ~3;

/** The cpio newc/crc archive in `source` as a content tree named `name`. */
export function readCpio(source: ByteSource, archive: string, name = ''): ArchiveDir {
  const raw = new Uint8Array(HEADER_BYTES);
  type Pending = { record: ArchiveRecord; linkKey?: string; dataSizeBytes: number; dataOffset: number };
  const pending: Pending[] = [];
  let offset = 0;
  let ended = false;
  while (offset < source.sizeBytes) {
    if (offset + HEADER_BYTES > source.sizeBytes) throw archiveError(archive, ArchiveProblem.Truncated, `ends inside a header at byte ${offset}.`);
    source.read(offset, raw);
    const magic = decoder.decode(raw.subarray(0, 6));
    if (magic !== '070701' && magic !== '070702') {
      throw archiveError(archive, ArchiveProblem.BadChecksum, `the header at byte ${offset} has magic "${magic.replace(/[^\x20-\x7e]/g, '?')}", not 070701/070702 (the archive is damaged, or not newc: make it with cpio -H newc).`);
    }
    const h = {} as Header;
    FIELDS.forEach((f, i) => {
      const s = decoder.decode(raw.subarray(6 + i * 8, 14 + i * 8));
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw archiveError(archive, ArchiveProblem.BadHeader, `the header at byte ${offset} has ${f} "${s}", not 8 hex digits.`);
      h[f] = parseInt(s, 16);
    });
    if (h.nameSize < 1 || h.nameSize > NAME_BYTES_MAX) throw archiveError(archive, ArchiveProblem.BadHeader, `the header at byte ${offset} has a name of ${h.nameSize} bytes.`);
    const nameOffset = offset + HEADER_BYTES;
    if (nameOffset + h.nameSize > source.sizeBytes) throw archiveError(archive, ArchiveProblem.Truncated, `ends inside a name at byte ${nameOffset}.`);
    const nameBytes = new Uint8Array(h.nameSize);
    source.read(nameOffset, nameBytes);
    if (nameBytes[h.nameSize - 1] !== 0) throw archiveError(archive, ArchiveProblem.BadHeader, `the name at byte ${nameOffset} is not NUL-terminated.`);
    const path = decoder.decode(nameBytes.subarray(0, h.nameSize - 1));
    const dataOffset = pad4(nameOffset + h.nameSize);
    if (path === TRAILER) {
      ended = true;
      break;
    }
    if (h.fileSize > source.sizeBytes - dataOffset) {
      throw archiveError(archive, ArchiveProblem.Truncated, `declares ${h.fileSize} bytes of data but the archive ends ${Math.max(0, source.sizeBytes - dataOffset)} bytes after its name.`, path);
    }
    const type = h.mode & S_IFMT;
    // 070702: the sum of a regular file's data bytes (GNU cpio leaves it 0 for other entries).
    if (magic === '070702' && type === TYPE.file) {
      let sum = 0;
      const chunk = new Uint8Array(Math.min(CHUNK_BYTES, h.fileSize));
      for (let at = 0; at < h.fileSize; at += chunk.length) {
        const part = chunk.subarray(0, Math.min(chunk.length, h.fileSize - at));
        source.read(dataOffset + at, part);
        for (const b of part) sum = (sum + b) >>> 0;
      }
      if (sum !== h.check) throw archiveError(archive, ArchiveProblem.BadChecksum, `its data sums to ${sum.toString(16)}, the header says ${h.check.toString(16)} (the archive is damaged).`, path);
    }
    offset = pad4(dataOffset + h.fileSize);
    const common = { path, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtimeSeconds: h.mtime };
    if (type === TYPE.dir) {
      pending.push({ record: { kind: 'dir', ...common }, dataSizeBytes: 0, dataOffset });
    } else if (type === TYPE.symlink) {
      if (h.fileSize > NAME_BYTES_MAX) throw archiveError(archive, ArchiveProblem.BadHeader, `is a symlink with a ${h.fileSize}-byte target.`, path);
      const target = new Uint8Array(h.fileSize);
      source.read(dataOffset, target);
      pending.push({ record: { kind: 'symlink', ...common, target: decoder.decode(target) }, dataSizeBytes: 0, dataOffset });
    } else if (type === TYPE.file) {
      const linkKey = h.nlink > 1 ? `${h.devMajor}:${h.devMinor}:${h.ino}` : undefined;
      const record: ArchiveRecord = { kind: 'file', ...common, sizeBytes: h.fileSize, read: sliceSource(source, dataOffset, h.fileSize).read };
      pending.push({ record, dataSizeBytes: h.fileSize, dataOffset, ...(linkKey ? { linkKey } : {}) });
    } else {
      throw archiveError(archive, ArchiveProblem.UnsupportedEntry, `is a ${OTHER[type] ?? `file of type ${type.toString(8)}`}; content archives hold files, directories and symlinks.`, path);
    }
  }
  if (!ended) throw archiveError(archive, ArchiveProblem.Truncated, `ends without its ${TRAILER} entry.`);
  // Hard links: every name of one inode gets the bytes of the one that carries them.
  const dataOf = new Map<string, Pending>();
  for (const p of pending) if (p.linkKey && (p.dataSizeBytes > 0 || !dataOf.has(p.linkKey))) dataOf.set(p.linkKey, p);
  const tree = new ArchiveTreeBuilder(archive);
  for (const p of pending) {
    const data = p.linkKey ? dataOf.get(p.linkKey)! : p;
    if (p.record.kind === 'file' && data !== p) {
      tree.add({ ...p.record, sizeBytes: data.dataSizeBytes, read: sliceSource(source, data.dataOffset, data.dataSizeBytes).read });
    } else tree.add(p.record);
  }
  return tree.finish(name);
}
