/**
 * The content tree a FAT volume is populated from, and its layout: short names, directory sizes and
 * contiguous cluster runs. Pure: no bytes are read or written here, so minimize.ts can ask "how many
 * clusters at this cluster size?" cheaply.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { DIR_ENTRY_BYTES, lfnEntryCount } from './dir-entry.ts';
import { ShortNameAllocator, type ShortName } from './short-name.ts';

/** A regular file: its bytes are pulled in chunks through `read`, so callers can stream from disk or OPFS. */
export interface FatFileInput {
  kind: 'file';
  name: string;
  sizeBytes: number;
  /** Unix seconds; used when timestamps are kept from the input. */
  mtimeSeconds?: number;
  /** Fill `target` with the file's bytes at `offsetBytes`. */
  read(offsetBytes: number, target: Uint8Array): void;
  /** Where the sink can open the file itself (FatSink.copyFiles): the host's InputFile.ref. */
  ref?: unknown;
}

export interface FatDirInput {
  kind: 'dir';
  name: string;
  mtimeSeconds?: number;
  children: FatEntryInput[];
}

export type FatEntryInput = FatFileInput | FatDirInput;

/** FAT's file size field is 32 bits. */
export const MAX_FILE_BYTES = 0xffffffff;
/** A directory may have at most 65536 entries (fatgen103 §6: 2 MiB). */
const MAX_DIR_SLOTS = 65536;
const ROOT_PATH = '/';

export interface LaidOutEntry {
  input: FatEntryInput;
  path: string;
  shortName: ShortName;
  /** Directory slots it takes (long-name entries + 1). */
  slots: number;
  /** Set for directories. */
  dir?: LaidOutDir;
}

export interface LaidOutDir {
  path: string;
  mtimeSeconds?: number;
  entries: LaidOutEntry[];
  /** Slots including "." and ".." (and the volume label in the root). */
  slots: number;
}

/**
 * Names every entry (short names per directory, in input order) and counts directory slots.
 * Throws for names FAT cannot hold and files of 4 GiB or more, naming the path.
 */
export function nameTree(root: readonly FatEntryInput[], hasLabel: boolean): LaidOutDir {
  return nameDir(root, ROOT_PATH, undefined, hasLabel);
}

function nameDir(children: readonly FatEntryInput[], path: string, mtimeSeconds: number | undefined, isRootWithLabel: boolean): LaidOutDir {
  const isRoot = path === ROOT_PATH;
  const allocator = new ShortNameAllocator();
  let slots = isRoot ? (isRootWithLabel ? 1 : 0) : 2;
  const entries: LaidOutEntry[] = [];
  for (const input of children) {
    const childPath = isRoot ? `/${input.name}` : `${path}/${input.name}`;
    let shortName: ShortName;
    try {
      shortName = allocator.allocate(input.name);
    } catch (e) {
      if (e instanceof PartwrightError) throw new PartwrightError(e.code, e.message.replace(`"${input.name}"`, `"${childPath}"`), { where: childPath });
      throw e;
    }
    const entrySlots = 1 + (shortName.needsLongName ? lfnEntryCount(input.name) : 0);
    slots += entrySlots;
    const entry: LaidOutEntry = { input, path: childPath, shortName, slots: entrySlots };
    if (input.kind === 'file') {
      if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes < 0) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `"${childPath}" has an invalid size ${input.sizeBytes}.`, { where: childPath });
      }
      if (input.sizeBytes > MAX_FILE_BYTES) {
        throw new PartwrightError(ErrorCode.DoesNotFit,
          `"${childPath}" is ${input.sizeBytes} bytes; a FAT file can hold at most ${MAX_FILE_BYTES} bytes (4 GiB − 1).`,
          { where: childPath, sizeBytes: input.sizeBytes });
      }
    } else {
      entry.dir = nameDir(input.children, childPath, input.mtimeSeconds, false);
    }
    entries.push(entry);
  }
  if (slots > MAX_DIR_SLOTS) {
    throw new PartwrightError(ErrorCode.DoesNotFit,
      `Directory "${path}" needs ${slots} directory entries; FAT allows at most ${MAX_DIR_SLOTS} (long names take more than one).`,
      { where: path });
  }
  return { path, mtimeSeconds, entries, slots };
}

/** Clusters a directory of `slots` entries takes (at least one). */
export function dirClusters(slots: number, clusterBytes: number): number {
  return Math.max(1, Math.ceil((slots * DIR_ENTRY_BYTES) / clusterBytes));
}

export function fileClusters(sizeBytes: number, clusterBytes: number): number {
  return Math.ceil(sizeBytes / clusterBytes);
}

/**
 * Clusters the tree needs at a cluster size. With `rootInClusters` (FAT32) the root directory is
 * counted too; on FAT12/16 it lives in the fixed root region instead.
 */
export function clustersNeeded(root: LaidOutDir, clusterBytes: number, rootInClusters: boolean): number {
  let n = rootInClusters ? dirClusters(root.slots, clusterBytes) : 0;
  const walk = (dir: LaidOutDir): void => {
    for (const e of dir.entries) {
      if (e.dir) {
        n += dirClusters(e.dir.slots, clusterBytes);
        walk(e.dir);
      } else n += fileClusters((e.input as FatFileInput).sizeBytes, clusterBytes);
    }
  };
  walk(root);
  return n;
}

/** Sum of file sizes (for messages and lower bounds). */
export function contentBytes(root: LaidOutDir): number {
  let n = 0;
  const walk = (dir: LaidOutDir): void => {
    for (const e of dir.entries) {
      if (e.dir) walk(e.dir);
      else n += (e.input as FatFileInput).sizeBytes;
    }
  };
  walk(root);
  return n;
}
