/**
 * Reads a FAT12/16/32 volume: boot sector, directory tree with long names, file contents. Used by the
 * tests, by base-image mode and by `partwright inspect`. Reads go through a callback so the volume can
 * be an image file, a SparseImage or OPFS; the FAT is read in blocks as needed, not whole.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { ReadBytes } from '../table-region.ts';
import { decodeFatBootSector, decodeFatFsInfo, type FatBootSector, type FatFsInfo } from './boot-sector.ts';
import { ATTR, DELETED_ENTRY, DIR_ENTRY_BYTES, END_OF_DIR, decodeLfnEntry, decodeShortEntry, dosToEpochSeconds, shortNameChecksum } from './dir-entry.ts';
import { decodeFatEntry, isEndOfChain } from './fat-table.ts';
import { shortNameText } from './short-name.ts';

export interface FatDirEntryInfo {
  /** The long name when there is one, else the 8.3 name with its case bits applied. */
  name: string;
  /** The 8.3 name as stored ("LONGFI~1.TXT"). */
  shortName: string;
  /** Whether VFAT long-name entries precede the short entry. */
  hasLongName: boolean;
  /** NT case bits of the short entry. */
  caseBits: number;
  /** Full path from the root, "/" separated ("/EFI/BOOT/BOOTX64.EFI"). */
  path: string;
  kind: 'file' | 'dir';
  sizeBytes: number;
  firstCluster: number;
  attr: number;
  mtimeSeconds: number;
}

export interface FatVolume {
  boot: FatBootSector;
  fsInfo?: FatFsInfo;
  clusterCount: number;
  clusterBytes: number;
  /** The entries of one directory (root when `path` is "/" or empty). */
  listDir(path?: string): FatDirEntryInfo[];
  /** Every file and directory, depth first, in directory order. */
  walk(): FatDirEntryInfo[];
  /** The clusters of a chain, in order. */
  chain(firstCluster: number): number[];
  /** Read `target.length` bytes of a file from `offsetBytes`. */
  readFile(entry: FatDirEntryInfo, offsetBytes: number, target: Uint8Array): void;
  /** The whole content of a (small) file, looked up by path (case-insensitive, like FAT). */
  extract(path: string): Uint8Array;
}

const FAT_BLOCK_BYTES = 64 * 1024;
/** Deeper than any real tree (Linux's PATH_MAX allows ~2,000 one-letter levels). */
const MAX_DIR_DEPTH = 1024;

function corrupt(message: string, problem: string): PartwrightError {
  return new PartwrightError(ErrorCode.CorruptTable, message, { problem });
}

/** Open the FAT volume that starts at `offsetBytes`. */
export function readFat(read: ReadBytes, offsetBytes = 0): FatVolume {
  const readExact = (at: number, n: number): Uint8Array => {
    const got = read(offsetBytes + at, n);
    if (got.length < n) {
      const full = new Uint8Array(n);
      full.set(got);
      return full;
    }
    return got;
  };
  const boot = decodeFatBootSector(readExact(0, 512));
  const ss = boot.bytesPerSector;
  const fatOffset = boot.reservedSectors * ss;
  const rootDirOffset = fatOffset + boot.fatCount * boot.sectorsPerFat * ss;
  const rootDirSectors = Math.ceil((boot.rootEntryCount * 32) / ss);
  const dataOffset = rootDirOffset + rootDirSectors * ss;
  const clusterBytes = boot.sectorsPerCluster * ss;
  const clusterCount = Math.floor((boot.totalSectors - dataOffset / ss) / boot.sectorsPerCluster);
  const type = boot.fatType;
  const fsInfo = type === 32 && boot.fsInfoSector ? decodeFatFsInfo(readExact(boot.fsInfoSector * ss, 512)) : undefined;

  const blocks = new Map<number, Uint8Array>();
  const fatByte = (at: number): number => {
    const index = Math.floor(at / FAT_BLOCK_BYTES);
    let block = blocks.get(index);
    if (!block) {
      block = readExact(fatOffset + index * FAT_BLOCK_BYTES, FAT_BLOCK_BYTES);
      blocks.set(index, block);
    }
    return block[at - index * FAT_BLOCK_BYTES]!;
  };
  const maxCluster = clusterCount + 1;
  const chain = (firstCluster: number): number[] => {
    const out: number[] = [];
    let c = firstCluster;
    while (c >= 2 && !isEndOfChain(type, c)) {
      if (c > maxCluster) throw corrupt(`FAT chain from cluster ${firstCluster} points past the last cluster (${c}).`, 'fat-chain');
      if (out.length > clusterCount) throw corrupt(`FAT chain from cluster ${firstCluster} loops.`, 'fat-chain');
      out.push(c);
      c = decodeFatEntry(type, c, fatByte);
      if (c < 2) throw corrupt(`FAT chain from cluster ${firstCluster} runs into a free cluster.`, 'fat-chain');
    }
    return out;
  };
  const clusterOffset = (c: number): number => dataOffset + (c - 2) * clusterBytes;

  const dirBytes = (firstCluster: number): Uint8Array => {
    if (firstCluster === 0 && type !== 32) return readExact(rootDirOffset, rootDirSectors * ss);
    const clusters = chain(firstCluster === 0 ? boot.rootCluster : firstCluster);
    const out = new Uint8Array(clusters.length * clusterBytes);
    clusters.forEach((c, i) => out.set(readExact(clusterOffset(c), clusterBytes), i * clusterBytes));
    return out;
  };

  const parseDir = (firstCluster: number, parentPath: string): FatDirEntryInfo[] => {
    const bytes = dirBytes(firstCluster);
    const out: FatDirEntryInfo[] = [];
    let lfnUnits: number[][] = [];
    let lfnChecksum = -1;
    let lfnExpected = 0;
    for (let at = 0; at + DIR_ENTRY_BYTES <= bytes.length; at += DIR_ENTRY_BYTES) {
      const first = bytes[at]!;
      if (first === END_OF_DIR) break;
      if (first === DELETED_ENTRY) {
        lfnUnits = [];
        continue;
      }
      const attr = bytes[at + 11]!;
      if ((attr & 0x3f) === ATTR.longName) {
        const part = decodeLfnEntry(bytes, at);
        if (part.last) {
          lfnUnits = [];
          lfnExpected = part.order;
          lfnChecksum = part.checksum;
        } else if (part.order !== lfnExpected - 1 || part.checksum !== lfnChecksum) {
          lfnUnits = [];
          continue;
        } else lfnExpected = part.order;
        lfnUnits[part.order - 1] = part.units;
        continue;
      }
      const e = decodeShortEntry(bytes, at);
      let longName: string | undefined;
      if (lfnUnits.length > 0 && lfnExpected === 1 && lfnChecksum === shortNameChecksum(e.name)) {
        const units: number[] = [];
        for (const part of lfnUnits) for (const u of part ?? []) units.push(u);
        const end = units.indexOf(0);
        longName = String.fromCharCode(...(end >= 0 ? units.slice(0, end) : units.filter((u) => u !== 0xffff)));
      }
      lfnUnits = [];
      if (attr & ATTR.volumeId) continue;
      const short = shortNameText(e.name);
      if (short === '.' || short === '..') continue;
      const name = longName ?? shortNameText(e.name, e.caseBits);
      const isDir = (attr & ATTR.directory) !== 0;
      out.push({
        name,
        shortName: short,
        hasLongName: longName !== undefined,
        caseBits: e.caseBits,
        path: parentPath === '/' ? `/${name}` : `${parentPath}/${name}`,
        kind: isDir ? 'dir' : 'file',
        sizeBytes: isDir ? 0 : e.sizeBytes,
        firstCluster: e.firstCluster,
        attr,
        mtimeSeconds: dosToEpochSeconds(e.modified.date, e.modified.time),
      });
    }
    return out;
  };

  const find = (path: string): FatDirEntryInfo | undefined => {
    const parts = path.split('/').filter((p) => p.length > 0);
    let entries = parseDir(0, '/');
    let found: FatDirEntryInfo | undefined;
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!.toLowerCase();
      found = entries.find((e) => e.name.toLowerCase() === want || e.shortName.toLowerCase() === want);
      if (!found) return undefined;
      if (i < parts.length - 1) {
        if (found.kind !== 'dir') return undefined;
        entries = parseDir(found.firstCluster, found.path);
      }
    }
    return found;
  };

  const readFile = (entry: FatDirEntryInfo, from: number, target: Uint8Array): void => {
    if (from + target.length > entry.sizeBytes) throw new PartwrightError(ErrorCode.Io, `Read past the end of "${entry.path}".`);
    if (target.length === 0) return;
    const clusters = chain(entry.firstCluster);
    if (clusters.length * clusterBytes < entry.sizeBytes) {
      throw corrupt(`"${entry.path}" is ${entry.sizeBytes} bytes but its chain has ${clusters.length} clusters.`, 'fat-chain');
    }
    let done = 0;
    while (done < target.length) {
      const pos = from + done;
      const index = Math.floor(pos / clusterBytes);
      const within = pos - index * clusterBytes;
      // Merge physically contiguous clusters into one read.
      let run = 1;
      while (index + run < clusters.length && clusters[index + run] === clusters[index]! + run &&
             run * clusterBytes - within < target.length - done) run++;
      const n = Math.min(run * clusterBytes - within, target.length - done);
      target.set(readExact(clusterOffset(clusters[index]!) + within, n), done);
      done += n;
    }
  };

  return {
    boot,
    fsInfo,
    clusterCount,
    clusterBytes,
    listDir(path = '/') {
      if (path === '/' || path === '') return parseDir(0, '/');
      const dir = find(path);
      if (!dir || dir.kind !== 'dir') throw new PartwrightError(ErrorCode.Io, `No directory "${path}" on the FAT volume.`);
      return parseDir(dir.firstCluster, dir.path);
    },
    walk() {
      const out: FatDirEntryInfo[] = [];
      // A directory whose cluster was already visited (a corrupt or hostile volume) would recurse forever.
      const seen = new Set<number>([0, type === 32 ? boot.rootCluster : 0]);
      const visit = (cluster: number, path: string, depth: number): void => {
        if (depth > MAX_DIR_DEPTH) throw corrupt(`"${path}" is nested more than ${MAX_DIR_DEPTH} directories deep (a loop?).`, 'dir-loop');
        for (const e of parseDir(cluster, path)) {
          out.push(e);
          if (e.kind !== 'dir') continue;
          if (seen.has(e.firstCluster)) throw corrupt(`Directory "${e.path}" points at cluster ${e.firstCluster}, already visited: the directory tree loops.`, 'dir-loop');
          seen.add(e.firstCluster);
          visit(e.firstCluster, e.path, depth + 1);
        }
      };
      visit(0, '/', 0);
      return out;
    },
    chain,
    readFile,
    extract(path: string) {
      const e = find(path);
      if (!e || e.kind !== 'file') throw new PartwrightError(ErrorCode.Io, `No file "${path}" on the FAT volume.`);
      const out = new Uint8Array(e.sizeBytes);
      readFile(e, 0, out);
      return out;
    },
  };
}
