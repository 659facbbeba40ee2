/**
 * Reads an ISO 9660 image: volume descriptors, the El Torito catalog, and the directory tree with
 * Rock Ridge names, modes, owners, times and symlinks (following CE continuation areas), or the Joliet
 * or plain ISO names. Multi-extent files come back as one entry with several extents. Used by the
 * tests and `partwright inspect`; reads through a callback so images stay on disk.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { ReadBytes } from '../table-region.ts';
import { decodeDirRecord, FILE_FLAG, type DecodedDirRecord } from './directory-record.ts';
import { decodeBootCatalog, type DecodedBootEntry } from './el-torito.ts';
import { getUcs2 } from './fields.ts';
import { decodeSuspEntries, NM_FLAGS, ROCK_RIDGE_IDS, slTarget, type SuspEntry } from './rock-ridge.ts';
import { decodeVolumeDescriptor, FIRST_DESCRIPTOR_LBA, SECTOR_BYTES, type VolumeInfo } from './volume-descriptor.ts';
import type { IsoExtent } from './writer.ts';

/** Stable names for what is wrong, in `detail.problem` of a `corrupt-table` error. */
export const IsoProblem = {
  NoPrimary: 'no-primary-descriptor',
  NoTerminator: 'no-terminator',
  BadRecord: 'bad-directory-record',
  BadSusp: 'bad-system-use',
  DirectoryLoop: 'directory-loop',
  Truncated: 'truncated',
} as const;
export type IsoProblem = (typeof IsoProblem)[keyof typeof IsoProblem];

function corrupt(problem: IsoProblem, message: string, where: string): PartwrightError {
  return new PartwrightError(ErrorCode.CorruptTable, message, { where, problem });
}

export interface IsoReadEntry {
  /** Path without a leading slash. */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  sizeBytes: number;
  /** Permission bits (Rock Ridge PX; 0o555/0o444 without Rock Ridge). */
  mode: number;
  uid: number;
  gid: number;
  mtimeSeconds: number;
  target?: string;
  extents: IsoExtent[];
}

export interface DecodedIso {
  primary: VolumeInfo;
  joliet?: VolumeInfo;
  /** An ER entry or Rock Ridge entries were found in the root. */
  rockRidge: boolean;
  bootCatalogLba?: number;
  bootEntries: DecodedBootEntry[];
  entries: IsoReadEntry[];
}

export interface DecodeIsoOptions {
  /** Which names to list: Rock Ridge (default; falls back to ISO names without it), Joliet, or ISO. */
  tree?: 'rock-ridge' | 'joliet' | 'iso';
}

const MAX_DESCRIPTORS = 64;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function readBlocks(read: ReadBytes, lba: number, sizeBytes: number, where: string): Uint8Array {
  const bytes = read(lba * SECTOR_BYTES, sizeBytes);
  if (bytes.length < sizeBytes) throw corrupt(IsoProblem.Truncated, `${where}: the image ends before block ${lba} + ${sizeBytes} bytes (truncated image?)`, where);
  return bytes;
}

/**
 * Decode an ISO 9660 image's descriptors and directory tree. Every malformed input gives a coded
 * `corrupt-table` error (a stray RangeError from a short field is one too, never a plain exception).
 */
export function decodeIso(read: ReadBytes, options: DecodeIsoOptions = {}): DecodedIso {
  try {
    return decodeIsoUnchecked(read, options);
  } catch (e) {
    if (e instanceof PartwrightError) throw e;
    if (e instanceof RangeError || e instanceof TypeError) throw corrupt(IsoProblem.BadRecord, `The ISO image is corrupt: ${(e as Error).message}.`, 'iso9660');
    throw e;
  }
}

function decodeIsoUnchecked(read: ReadBytes, options: DecodeIsoOptions): DecodedIso {
  let primary: { info: VolumeInfo; rootRecord: Uint8Array } | undefined;
  let joliet: { info: VolumeInfo; rootRecord: Uint8Array } | undefined;
  let catalogLba: number | undefined;
  let terminated = false;
  for (let i = 0; i < MAX_DESCRIPTORS && !terminated; i++) {
    const d = decodeVolumeDescriptor(readBlocks(read, FIRST_DESCRIPTOR_LBA + i, SECTOR_BYTES, 'volume descriptors'));
    if (!d) break;
    if (d.type === 'primary' && !primary) primary = d;
    else if (d.type === 'joliet' && !joliet) joliet = d;
    else if (d.type === 'boot-record' && d.bootSystemId.startsWith('EL TORITO')) catalogLba = d.catalogLba;
    else if (d.type === 'terminator') terminated = true;
  }
  if (!primary) throw corrupt(IsoProblem.NoPrimary, 'No ISO 9660 primary volume descriptor ("CD001", type 1) from sector 16 on: not an ISO image.', 'volume descriptors');
  if (!terminated) throw corrupt(IsoProblem.NoTerminator, 'The volume descriptor set has no terminator (type 255).', 'volume descriptors');
  const bootEntries = catalogLba !== undefined ? decodeBootCatalog(readBlocks(read, catalogLba, SECTOR_BYTES, 'El Torito catalog')) : [];

  const tree = options.tree ?? 'rock-ridge';
  const useJoliet = tree === 'joliet';
  if (useJoliet && !joliet) throw new PartwrightError(ErrorCode.Unsupported, 'The image has no Joliet tree.');
  let rootRecord: DecodedDirRecord | undefined;
  try {
    rootRecord = decodeDirRecord((useJoliet ? joliet! : primary).rootRecord, 0);
  } catch (e) {
    throw corrupt(IsoProblem.BadRecord, `The root directory record is corrupt: ${(e as Error).message}.`, 'root');
  }
  if (!rootRecord) throw corrupt(IsoProblem.BadRecord, 'The root directory record is empty.', 'root');

  // SUSP: the SP entry in the root's "." record says SUSP is used and how many bytes to skip.
  let rockRidge = false;
  let skipBytes = 0;
  if (!useJoliet) {
    const first = readDirectory(read, rootRecord, '/')[0];
    const sp = first && first.systemUse.length >= 7 && first.systemUse[0] === 0x53 && first.systemUse[1] === 0x50 && first.systemUse[4] === 0xbe && first.systemUse[5] === 0xef;
    if (sp) {
      skipBytes = first.systemUse[6]!;
      const entries = systemUseEntries(read, first.systemUse, 0, '/');
      rockRidge = entries.some((e) => (e.sig === 'ER' && ROCK_RIDGE_IDS.includes(e.id)) || e.sig === 'PX');
    }
  }
  const useRr = tree === 'rock-ridge' && rockRidge;

  const entries: IsoReadEntry[] = [];
  const seen = new Set<number>();
  const walk = (dir: DecodedDirRecord, path: string) => {
    if (seen.has(dir.extentLba)) throw corrupt(IsoProblem.DirectoryLoop, `Directory "${path || '/'}" at block ${dir.extentLba} was already visited: the tree loops.`, path || '/');
    seen.add(dir.extentLba);
    const records = readDirectory(read, dir, path || '/').slice(2);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const extents: IsoExtent[] = [{ lba: r.extentLba, sizeBytes: r.dataLengthBytes }];
      // Multi-extent (§6.5.1): records with the flag continue into the next one of the same name.
      let last = r;
      while (last.flags & FILE_FLAG.multiExtent && i + 1 < records.length) {
        last = records[++i]!;
        extents.push({ lba: last.extentLba, sizeBytes: last.dataLengthBytes });
      }
      const isDir = (r.flags & FILE_FLAG.directory) !== 0;
      let name = useJoliet ? getUcs2(r.identifier, 0, r.identifier.length) : String.fromCharCode(...r.identifier);
      if (!isDir) name = name.replace(/;\d+$/, '').replace(/\.$/, '');
      let kind: IsoReadEntry['kind'] = isDir ? 'dir' : 'file';
      let mode = isDir ? 0o555 : 0o444;
      let uid = 0;
      let gid = 0;
      let mtimeSeconds = r.dateSeconds;
      let target: string | undefined;
      if (useRr) {
        const su = systemUseEntries(read, r.systemUse, skipBytes, `${path}/${name}`);
        const nm = su.filter((e): e is Extract<SuspEntry, { sig: 'NM' }> => e.sig === 'NM' && !(e.flags & (NM_FLAGS.current | NM_FLAGS.parent)));
        if (nm.length > 0) {
          const all = new Uint8Array(nm.reduce((s, e) => s + e.name.length, 0));
          let at = 0;
          for (const e of nm) { all.set(e.name, at); at += e.name.length; }
          name = new TextDecoder().decode(all);
        }
        for (const e of su) {
          if (e.sig === 'PX') {
            mode = e.mode & 0o7777;
            uid = e.uid;
            gid = e.gid;
            if ((e.mode & S_IFMT) === S_IFLNK) kind = 'symlink';
            else if ((e.mode & S_IFMT) === S_IFDIR) kind = 'dir';
          } else if (e.sig === 'TF' && e.modifySeconds !== undefined) {
            mtimeSeconds = e.modifySeconds;
          }
        }
        const sl = su.filter((e): e is Extract<SuspEntry, { sig: 'SL' }> => e.sig === 'SL');
        if (sl.length > 0) target = slTarget(sl.flatMap((e) => e.components));
      }
      const childPath = path ? `${path}/${name}` : name;
      const sizeBytes = kind === 'file' ? extents.reduce((s, e) => s + e.sizeBytes, 0) : kind === 'dir' ? r.dataLengthBytes : 0;
      entries.push({ path: childPath, kind, sizeBytes, mode, uid, gid, mtimeSeconds, target, extents: kind === 'file' ? extents : [] });
      if (kind === 'dir') walk(r, childPath);
    }
  };
  walk(rootRecord, '');
  return { primary: primary.info, joliet: joliet?.info, rockRidge, bootCatalogLba: catalogLba, bootEntries, entries };
}

function readDirectory(read: ReadBytes, dir: DecodedDirRecord, where: string): DecodedDirRecord[] {
  const bytes = readBlocks(read, dir.extentLba, Math.ceil(dir.dataLengthBytes / SECTOR_BYTES) * SECTOR_BYTES, `directory ${where}`);
  const out: DecodedDirRecord[] = [];
  for (let sector = 0; sector < dir.dataLengthBytes; sector += SECTOR_BYTES) {
    let at = sector;
    while (at < sector + SECTOR_BYTES) {
      let r: DecodedDirRecord | undefined;
      try {
        r = decodeDirRecord(bytes, at);
      } catch (e) {
        throw corrupt(IsoProblem.BadRecord, `Directory ${where}: ${(e as Error).message}.`, where);
      }
      if (!r) break;
      if (at + r.lengthBytes > sector + SECTOR_BYTES) throw corrupt(IsoProblem.BadRecord, `Directory ${where}: a record at byte ${at} crosses a sector boundary.`, where);
      out.push(r);
      at += r.lengthBytes;
    }
  }
  return out;
}

/** The entries of a system use area, following CE continuation areas (at most 32 hops). */
function systemUseEntries(read: ReadBytes, area: Uint8Array, skipBytes: number, where: string): SuspEntry[] {
  const out: SuspEntry[] = [];
  let current = area.subarray(skipBytes);
  for (let hops = 0; hops < 32; hops++) {
    let entries: SuspEntry[];
    try {
      entries = decodeSuspEntries(current);
    } catch (e) {
      throw corrupt(IsoProblem.BadSusp, `${where}: ${(e as Error).message}.`, where);
    }
    out.push(...entries);
    const ce = entries.find((e): e is Extract<SuspEntry, { sig: 'CE' }> => e.sig === 'CE');
    if (!ce) return out;
    if (ce.offsetBytes + ce.lengthBytes > SECTOR_BYTES * 16) throw corrupt(IsoProblem.BadSusp, `${where}: continuation area of ${ce.lengthBytes} bytes at offset ${ce.offsetBytes} is implausible.`, where);
    current = readBlocks(read, ce.block, ce.offsetBytes + ce.lengthBytes, `${where} continuation`).subarray(ce.offsetBytes);
  }
  throw corrupt(IsoProblem.BadSusp, `${where}: more than 32 continuation areas (a loop?).`, where);
}

/** Fill `target` with a file's bytes from `offsetBytes` (across its extents). */
export function readIsoFile(read: ReadBytes, entry: IsoReadEntry, offsetBytes: number, target: Uint8Array): void {
  let pos = 0; // start of the current extent within the file
  let done = 0;
  for (const e of entry.extents) {
    const from = Math.max(offsetBytes + done, pos);
    const to = Math.min(offsetBytes + target.length, pos + e.sizeBytes);
    if (from < to) {
      const bytes = read(e.lba * SECTOR_BYTES + (from - pos), to - from);
      if (bytes.length < to - from) throw corrupt(IsoProblem.Truncated, `${entry.path}: the image ends inside the file's data.`, entry.path);
      target.set(bytes, from - offsetBytes);
      done = to - offsetBytes;
    }
    pos += e.sizeBytes;
  }
  if (done < target.length) throw new PartwrightError(ErrorCode.Io, `${entry.path}: read past the end (${offsetBytes + target.length} > ${entry.sizeBytes})`, { where: entry.path });
}
