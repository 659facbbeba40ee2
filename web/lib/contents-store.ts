/**
 * Partition contents staged in the Origin Private File System, so dropped files and folders survive
 * a reload without ever being held in memory: `contents/<layout>/<source>/…`, one directory per
 * `CopyFiles=` source path (named `encodeURIComponent(source)`, as workers/hosts/opfs/tree.ts reads
 * it). Files are streamed in with `createWritable()`.
 */

/** One staged file: its path below the staged source folder and its size. */
export interface StagedFile {
  path: string;
  sizeBytes: number;
}

/** What is staged for one `CopyFiles=` source. */
export interface StagedContent {
  files: StagedFile[];
  totalBytes: number;
}

/** A file to stage, with its path below the source folder (`EFI/BOOT/BOOTX64.EFI`). */
export interface FileToStage {
  path: string;
  file: File;
}

const ROOT = 'contents';

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

async function describe(dir: FileSystemDirectoryHandle): Promise<StagedContent> {
  const files: StagedFile[] = [];
  await list(dir, '', files);
  return { files, totalBytes: files.reduce((n, f) => n + f.sizeBytes, 0) };
}

export class ContentsStore {
  /** Everything staged for a layout, by source path. */
  async load(layout: string): Promise<Record<string, StagedContent>> {
    const root = await optionalDir(contentsDir(layout));
    const out: Record<string, StagedContent> = {};
    if (!root) return out;
    for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'directory') continue;
      out[decodeURIComponent(name)] = await describe(handle as FileSystemDirectoryHandle);
    }
    return out;
  }

  /** Stages files under a source path (added to what is there; same paths are replaced). */
  async stage(layout: string, source: string, files: readonly FileToStage[], onFile?: (done: number, total: number) => void): Promise<StagedContent> {
    const dir = await dirAt(`${contentsDir(layout)}/${encodeURIComponent(source)}`, true);
    let done = 0;
    for (const { path, file } of files) {
      const clean = cleanRelativePath(path);
      if (!clean) continue;
      const parts = clean.split('/');
      let parent = dir;
      for (const name of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(name, { create: true });
      const handle = await parent.getFileHandle(parts.at(-1)!, { create: true });
      const writable = await handle.createWritable();
      await file.stream().pipeTo(writable);
      onFile?.(++done, files.length);
    }
    return describe(dir);
  }

  /** Removes one file below a source (and the directories it leaves empty); returns what is left. */
  async removeFile(layout: string, source: string, path: string): Promise<StagedContent> {
    const dir = await dirAt(`${contentsDir(layout)}/${encodeURIComponent(source)}`, false);
    const parts = path.split('/');
    const chain = [dir];
    for (const name of parts.slice(0, -1)) chain.push(await chain.at(-1)!.getDirectoryHandle(name));
    await chain.at(-1)!.removeEntry(parts.at(-1)!);
    for (let i = chain.length - 1; i > 0; i--) {
      const entries = (chain[i] as unknown as { keys(): AsyncIterableIterator<string> }).keys();
      if (!(await entries.next()).done) break;
      await chain[i - 1]!.removeEntry(parts[i - 1]!);
    }
    return describe(dir);
  }

  async remove(layout: string, source: string): Promise<void> {
    const root = await optionalDir(contentsDir(layout));
    await root?.removeEntry(encodeURIComponent(source), { recursive: true }).catch(() => undefined);
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
  const walk = async (e: FileSystemEntry, prefix: string): Promise<void> => {
    if (e.isFile) files.push({ path: `${prefix}${e.name}`, file: await fileOf(e as FileSystemFileEntry) });
    else if (e.isDirectory) for (const c of await readAll(e as FileSystemDirectoryEntry)) await walk(c, `${prefix}${e.name}/`);
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
