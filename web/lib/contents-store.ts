/**
 * Partition contents staged in the Origin Private File System, so dropped files and folders survive
 * a reload without ever being held in memory: `contents/<layout>/<source>/…`, one directory per
 * `CopyFiles=` source path (named `encodeURIComponent(source)`, as workers/hosts/opfs/tree.ts reads
 * it). Files are streamed in with `createWritable()`. What the browser knows beyond the bytes (each
 * file's modification time, entries it could not read, or that the source is one archive to unpack
 * at build time) is kept beside it in `<source>#meta.json` (workers/model/staged-contents.ts).
 */
import { CONTENT_ARCHIVE_NAME, parseStagedMeta, stagedMetaName, stagedSourceName, type StagedMeta } from '../../workers/model/staged-contents.ts';

/** One staged file: its path below the staged source folder and its size. */
export interface StagedFile {
  path: string;
  sizeBytes: number;
}

/** What is staged for one `CopyFiles=` source. */
export interface StagedContent {
  files: StagedFile[];
  totalBytes: number;
  /** The source is this archive, unpacked at build time with its modes, owners, times and symlinks. */
  archive?: string;
  /** Entries the browser reported but could not read (symlinks, special files, no permission). */
  unreadable?: string[];
}

/** A file to stage, with its path below the source folder (`EFI/BOOT/BOOTX64.EFI`). */
export interface FileToStage {
  path: string;
  file: File;
  /** The file is an archive that becomes the whole source (unpacked at build time). */
  archive?: boolean;
  /** The browser listed this entry but could not read it: recorded, not staged. */
  unreadable?: boolean;
}

const ROOT = 'contents';
/**
 * Beside the sources of a layout: files a change removed, kept until that change can no longer be
 * undone. Source folders are `encodeURIComponent('/…')` (`%2F…`), so no source is named this.
 */
const TRASH = '.trash';

/** A staged file moved aside by a removal, so Undo can put it back (ContentsStore.trashFile). */
export interface TrashedFile {
  layout: string;
  source: string;
  /** Its path below the source. */
  path: string;
  /** Its name in the layout's trash folder. */
  name: string;
  /** It was the source's archive. */
  wasArchive: boolean;
}

let trashCount = 0;

/** One line of a staged folder drawn as a tree: directories before their files, sizes summed. */
export interface TreeRow {
  depth: number;
  name: string;
  /** Path below the source folder (`EFI/BOOT/BOOTX64.EFI`; a directory without a slash at the end). */
  path: string;
  kind: 'dir' | 'file';
  sizeBytes: number;
  /** Files below a directory (1 for a file). */
  fileCount: number;
}

/** The staged files as tree rows, each directory followed by its children, both in name order. */
export function treeRows(files: readonly StagedFile[]): TreeRow[] {
  interface Node { name: string; path: string; size: number; count: number; dirs: Map<string, Node>; files: StagedFile[] }
  const node = (name: string, path: string): Node => ({ name, path, size: 0, count: 0, dirs: new Map(), files: [] });
  const root = node('', '');
  for (const f of files) {
    const parts = f.path.split('/');
    let dir = root;
    dir.size += f.sizeBytes;
    dir.count++;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i]!;
      let next = dir.dirs.get(name);
      if (!next) dir.dirs.set(name, (next = node(name, parts.slice(0, i + 1).join('/'))));
      next.size += f.sizeBytes;
      next.count++;
      dir = next;
    }
    dir.files.push(f);
  }
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const rows: TreeRow[] = [];
  const walk = (dir: Node, depth: number): void => {
    for (const d of [...dir.dirs.values()].sort(byName)) {
      rows.push({ depth, name: d.name, path: d.path, kind: 'dir', sizeBytes: d.size, fileCount: d.count });
      walk(d, depth + 1);
    }
    for (const f of dir.files.map((f) => ({ ...f, name: f.path.split('/').pop()! })).sort(byName)) {
      rows.push({ depth, name: f.name, path: f.path, kind: 'file', sizeBytes: f.sizeBytes, fileCount: 1 });
    }
  };
  walk(root, 0);
  return rows;
}

/** The OPFS path the engine gets as `contentsDir`. */
export function contentsDir(layout: string): string {
  return `${ROOT}/${encodeURIComponent(layout)}`;
}

async function dirAt(path: string, create: boolean): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const name of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(name, { create });
  return dir;
}

async function optionalDir(path: string): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    return await dirAt(path, false);
  } catch {
    return undefined;
  }
}

/** Only names a FAT or ext4 can hold and that cannot climb out of the folder. */
export function cleanRelativePath(path: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || /[\x00-\x1f]/.test(p))) return undefined;
  return parts.join('/');
}

async function list(dir: FileSystemDirectoryHandle, prefix: string, out: StagedFile[]): Promise<void> {
  const entries: [string, FileSystemHandle][] = [];
  for await (const entry of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) entries.push(entry);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, handle] of entries) {
    if (handle.kind === 'directory') await list(handle as FileSystemDirectoryHandle, `${prefix}${name}/`, out);
    else out.push({ path: `${prefix}${name}`, sizeBytes: (await (handle as FileSystemFileHandle).getFile()).size });
  }
}

async function describe(dir: FileSystemDirectoryHandle, meta: StagedMeta): Promise<StagedContent> {
  const files: StagedFile[] = [];
  await list(dir, '', files);
  const out: StagedContent = { files, totalBytes: files.reduce((n, f) => n + f.sizeBytes, 0) };
  if (meta.archive !== undefined) out.archive = meta.archive;
  if (meta.unreadable?.length) out.unreadable = meta.unreadable;
  return out;
}

async function readMeta(root: FileSystemDirectoryHandle, source: string): Promise<StagedMeta> {
  try {
    return parseStagedMeta(await (await (await root.getFileHandle(stagedMetaName(source))).getFile()).text());
  } catch {
    return {};
  }
}

async function writeMeta(root: FileSystemDirectoryHandle, source: string, meta: StagedMeta): Promise<void> {
  const w = await (await root.getFileHandle(stagedMetaName(source), { create: true })).createWritable();
  await w.write(JSON.stringify(meta));
  await w.close();
}

export class ContentsStore {
  /** Everything staged for a layout, by source path. */
  async load(layout: string): Promise<Record<string, StagedContent>> {
    const root = await optionalDir(contentsDir(layout));
    const out: Record<string, StagedContent> = {};
    if (!root) return out;
    for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'directory' || name === TRASH) continue;
      const source = decodeURIComponent(name);
      out[source] = await describe(handle as FileSystemDirectoryHandle, await readMeta(root, source));
    }
    return out;
  }

  /**
   * Stages files under a source path (added to what is there; same paths are replaced), keeping each
   * file's modification time. An archive (`archive: true`) replaces the whole source.
   */
  async stage(layout: string, source: string, files: readonly FileToStage[], onFile?: (done: number, total: number) => void): Promise<StagedContent> {
    const root = await dirAt(contentsDir(layout), true);
    const archive = files.find((f) => f.archive);
    let meta = await readMeta(root, source);
    if (archive || meta.archive !== undefined) {
      // An archive is the whole source; files added to an archive source replace it.
      await root.removeEntry(stagedSourceName(source), { recursive: true }).catch(() => undefined);
      meta = {};
    }
    const dir = await root.getDirectoryHandle(stagedSourceName(source), { create: true });
    if (archive) {
      const name = cleanRelativePath(archive.file.name)?.split('/').pop() ?? 'archive';
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await archive.file.stream().pipeTo(writable);
      meta = { archive: name };
      await writeMeta(root, source, meta);
      onFile?.(1, 1);
      return describe(dir, meta);
    }
    const mtimes = { ...meta.mtimes };
    const unreadable = new Set(meta.unreadable);
    let done = 0;
    for (const { path, file, unreadable: lost } of files) {
      const clean = cleanRelativePath(path);
      if (!clean) continue;
      if (lost) {
        unreadable.add(clean);
        continue;
      }
      const parts = clean.split('/');
      let parent = dir;
      for (const name of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(name, { create: true });
      const handle = await parent.getFileHandle(parts.at(-1)!, { create: true });
      const writable = await handle.createWritable();
      await file.stream().pipeTo(writable);
      mtimes[clean] = Math.floor(file.lastModified / 1000);
      unreadable.delete(clean);
      onFile?.(++done, files.length);
    }
    meta = { mtimes, ...(unreadable.size ? { unreadable: [...unreadable].sort() } : {}) };
    await writeMeta(root, source, meta);
    return describe(dir, meta);
  }

  /** Removes one file below a source (and the directories it leaves empty); returns what is left. */
  async removeFile(layout: string, source: string, path: string): Promise<StagedContent> {
    const root = await dirAt(contentsDir(layout), false);
    const dir = await root.getDirectoryHandle(stagedSourceName(source));
    const parts = path.split('/');
    const chain = [dir];
    for (const name of parts.slice(0, -1)) chain.push(await chain.at(-1)!.getDirectoryHandle(name));
    await chain.at(-1)!.removeEntry(parts.at(-1)!);
    for (let i = chain.length - 1; i > 0; i--) {
      const entries = (chain[i] as unknown as { keys(): AsyncIterableIterator<string> }).keys();
      if (!(await entries.next()).done) break;
      await chain[i - 1]!.removeEntry(parts[i - 1]!);
    }
    const meta = await readMeta(root, source);
    if (meta.archive === path) {
      delete meta.archive;
      await writeMeta(root, source, meta);
    }
    return describe(dir, meta);
  }

  /**
   * Removes one file below a source as removeFile() does, but moves it into the layout's trash
   * instead of deleting it: restoreFile() puts it back, purgeFile() deletes it for good.
   */
  async trashFile(layout: string, source: string, path: string): Promise<{ staged: StagedContent; trashed: TrashedFile }> {
    const root = await dirAt(contentsDir(layout), false);
    const dir = await root.getDirectoryHandle(stagedSourceName(source));
    const parts = path.split('/');
    const chain = [dir];
    for (const name of parts.slice(0, -1)) chain.push(await chain.at(-1)!.getDirectoryHandle(name));
    const handle = await chain.at(-1)!.getFileHandle(parts.at(-1)!);
    const trash = await root.getDirectoryHandle(TRASH, { create: true });
    const name = `${Date.now().toString(36)}-${++trashCount}`;
    await (handle as unknown as { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }).move(trash, name);
    for (let i = chain.length - 1; i > 0; i--) {
      const entries = (chain[i] as unknown as { keys(): AsyncIterableIterator<string> }).keys();
      if (!(await entries.next()).done) break;
      await chain[i - 1]!.removeEntry(parts[i - 1]!);
    }
    const meta = await readMeta(root, source);
    const wasArchive = meta.archive === path;
    if (wasArchive) {
      delete meta.archive;
      await writeMeta(root, source, meta);
    }
    return { staged: await describe(dir, meta), trashed: { layout, source, path, name, wasArchive } };
  }

  /** Puts a trashed file back where it was; returns its source as it is then. */
  async restoreFile(t: TrashedFile): Promise<StagedContent> {
    const root = await dirAt(contentsDir(t.layout), false);
    const handle = await (await root.getDirectoryHandle(TRASH)).getFileHandle(t.name);
    const dir = await root.getDirectoryHandle(stagedSourceName(t.source), { create: true });
    const parts = t.path.split('/');
    let parent = dir;
    for (const name of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(name, { create: true });
    await (handle as unknown as { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }).move(parent, parts.at(-1)!);
    const meta = await readMeta(root, t.source);
    if (t.wasArchive) {
      meta.archive = t.path;
      await writeMeta(root, t.source, meta);
    }
    return describe(dir, meta);
  }

  /** Deletes a trashed file for good (its removal can no longer be undone). */
  async purgeFile(t: TrashedFile): Promise<void> {
    const root = await optionalDir(`${contentsDir(t.layout)}/${TRASH}`);
    await root?.removeEntry(t.name).catch(() => undefined);
  }

  /**
   * A layout just opened (no history): empties its trash and deletes the sources `keep` does not
   * name (left by removals that could be undone until now). Returns the sources deleted.
   */
  async prune(layout: string, keep: ReadonlySet<string>): Promise<string[]> {
    const root = await optionalDir(contentsDir(layout));
    if (!root) return [];
    await root.removeEntry(TRASH, { recursive: true }).catch(() => undefined);
    const gone: string[] = [];
    for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'directory') continue;
      const source = decodeURIComponent(name);
      if (!keep.has(source)) gone.push(source);
    }
    for (const source of gone) await this.remove(layout, source);
    return gone;
  }

  async remove(layout: string, source: string): Promise<void> {
    const root = await optionalDir(contentsDir(layout));
    await root?.removeEntry(stagedSourceName(source), { recursive: true }).catch(() => undefined);
    await root?.removeEntry(stagedMetaName(source)).catch(() => undefined);
  }

  async removeLayout(layout: string): Promise<void> {
    const root = await optionalDir(ROOT);
    await root?.removeEntry(encodeURIComponent(layout), { recursive: true }).catch(() => undefined);
  }

  /** Copies a layout's contents to another layout name (rename, "save as"). */
  async copyLayout(from: string, to: string): Promise<void> {
    const src = await optionalDir(contentsDir(from));
    if (!src) return;
    const copy = async (a: FileSystemDirectoryHandle, b: FileSystemDirectoryHandle): Promise<void> => {
      for await (const [name, handle] of (a as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (handle.kind === 'directory') await copy(handle as FileSystemDirectoryHandle, await b.getDirectoryHandle(name, { create: true }));
        else {
          const w = await (await b.getFileHandle(name, { create: true })).createWritable();
          await (await (handle as FileSystemFileHandle).getFile()).stream().pipeTo(w);
        }
      }
    };
    await copy(src, await dirAt(contentsDir(to), true));
  }
}

/** Files of a drop (folders walked recursively), each with its path relative to what was dropped. */
export async function filesFromDrop(items: DataTransferItemList): Promise<{ folders: string[]; files: FileToStage[] }> {
  const entries = [...items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  const files: FileToStage[] = [];
  const folders: string[] = [];
  const fileOf = (e: FileSystemFileEntry) => new Promise<File>((resolve, reject) => e.file(resolve, reject));
  const readAll = async (dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> => {
    const reader = dir.createReader();
    const out: FileSystemEntry[] = [];
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) return out;
      out.push(...batch);
    }
  };
  // An entry the browser lists but cannot read (a dangling symlink, a special file, no permission)
  // is recorded as unreadable rather than failing the whole drop.
  const walk = async (e: FileSystemEntry, prefix: string): Promise<void> => {
    const path = `${prefix}${e.name}`;
    try {
      if (e.isFile) files.push({ path, file: await fileOf(e as FileSystemFileEntry) });
      else if (e.isDirectory) for (const c of await readAll(e as FileSystemDirectoryEntry)) await walk(c, `${path}/`);
      else files.push({ path, file: new File([], e.name), unreadable: true });
    } catch {
      files.push({ path, file: new File([], e.name), unreadable: true });
    }
  };
  for (const e of entries) {
    if (e.isDirectory) folders.push(e.name);
    await walk(e, '');
  }
  return { folders, files };
}

/** Files from an `<input type=file webkitdirectory>` or a plain multi-file input. */
export function filesFromInput(list: FileList): FileToStage[] {
  return [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/**
 * Splits a drop or a picked folder into one source per top-level folder (its contents copied into
 * the target) and loose files (copied into the target directly).
 */
export function groupByTopFolder(files: readonly FileToStage[], folders?: readonly string[]): { name: string | undefined; files: FileToStage[] }[] {
  const groups = new Map<string | undefined, FileToStage[]>();
  for (const f of files) {
    const parts = f.path.split('/');
    const top = parts.length > 1 && (folders === undefined || folders.includes(parts[0]!)) ? parts[0]! : undefined;
    const path = top === undefined ? f.path : parts.slice(1).join('/');
    const list = groups.get(top) ?? [];
    list.push({ path, file: f.file });
    groups.set(top, list);
  }
  return [...groups].map(([name, files]) => ({ name, files }));
}

/** A dropped or picked file that is a content archive (.tar, .tar.gz, .tgz, .tar.zst, .cpio, .zip). */
export function isContentArchive(file: File): boolean {
  return CONTENT_ARCHIVE_NAME.test(file.name);
}

/** Directories of a merged-/usr root that are symlinks (`bin → usr/bin`): a folder picker drops them. */
const MERGED_USR_LINKS = ['bin', 'sbin', 'lib', 'lib64'];

/**
 * Why a staged source will not carry what the file system can hold, for a partition of `format`
 * where the source lands at `target`: empty when it is an archive, or the file system keeps no
 * modes, owners or symlinks (vfat).
 */
export function metadataWarnings(staged: StagedContent, format: string | undefined, target = '/'): string[] {
  if (staged.archive !== undefined || format === undefined || format === 'vfat') return [];
  const out: string[] = [];
  const sizes = new Map(staged.files.map((f) => [f.path, f.sizeBytes]));
  const tops = new Set(staged.files.map((f) => f.path.split('/')[0]!));
  const under = (dir: string) => staged.files.filter((f) => f.path.startsWith(`${dir}/`));
  // A symlink the picker dropped (bin missing beside usr/bin) or followed (bin a copy of usr/bin).
  const lost = MERGED_USR_LINKS.filter((d) => {
    const usr = under(`usr/${d}`);
    if (usr.length === 0) return false;
    const top = under(d);
    return top.length === 0 || top.every((f) => sizes.get(`usr/${f.path}`) === f.sizeBytes);
  }).map((d) => `/${d}`);
  // A root file system (etc/ at the target /) without bin/ or usr/: Chromium's picker drops a
  // symlink and the folder it points to (bin → usr/bin takes both).
  if (target.replace(/\/+$/, '') === '' && tops.has('etc')) {
    for (const d of ['/bin', '/usr']) if (!tops.has(d.slice(1)) && !lost.includes(d)) lost.push(d);
  }
  out.push(
    `Picked in the browser, this folder lost its modes, owners and symlinks: every file will be 0644 and owned by root${
      lost.length ? `; ${lost.join(', ')} ${lost.length === 1 ? 'is' : 'are'} missing or copied (a picker drops or follows symlinks like bin → usr/bin)` : ''
    }. To keep them, drop an archive of the folder instead (tar -C DIR -czf rootfs.tar.gz . — or .tar, .tar.zst, .cpio, .zip).`,
  );
  if (staged.unreadable?.length) {
    const shown = staged.unreadable.slice(0, 5).join(', ');
    out.push(`The browser could not read ${staged.unreadable.length} entr${staged.unreadable.length === 1 ? 'y' : 'ies'} (${shown}${staged.unreadable.length > 5 ? ', …' : ''}), often symlinks: they are left out. An archive keeps them.`);
  }
  return out;
}
