/**
 * The contents a layout puts into a file system: trees of files, directories and symlinks whose
 * bytes are read lazily (from disk in the CLI, from OPFS in the browser). `composeTree` lays the
 * `CopyFiles=` sources at their targets and adds `MakeDirectories=`, as systemd-repart does.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

interface EntryMeta {
  name: string;
  /** Permission bits (and setuid/setgid/sticky); file type comes from `kind`. */
  mode?: number;
  uid?: number;
  gid?: number;
  mtimeSeconds?: number;
}

export interface InputFile extends EntryMeta {
  kind: 'file';
  sizeBytes: number;
  /** Fill `target` with the file's bytes at `offsetBytes`. */
  read(offsetBytes: number, target: Uint8Array): void;
  /**
   * Where the host's workers can open the same bytes (structured-cloneable: the Node host's file
   * path): a partition built in a worker reads its files through it (parallel-filesystems.ts).
   */
  ref?: unknown;
}

export interface InputDir extends EntryMeta {
  kind: 'dir';
  children: InputEntry[];
}

export interface InputSymlink extends EntryMeta {
  kind: 'symlink';
  target: string;
}

export type InputEntry = InputFile | InputDir | InputSymlink;

/** One `CopyFiles=` entry resolved: what to copy and where it goes inside the file system. */
export interface TreeCopy {
  /** Absolute path inside the file system, e.g. `/` or `/EFI/BOOT/BOOTX64.EFI`. */
  target: string;
  entry: InputEntry;
}

function splitPath(p: string, what: string): string[] {
  if (!p.startsWith('/')) throw new PartwrightError(ErrorCode.InvalidSpec, `${what} ${p} must be an absolute path inside the file system.`);
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new PartwrightError(ErrorCode.InvalidSpec, `${what} ${p} must not contain "..".`);
  return parts;
}

function emptyDir(name: string): InputDir {
  return { kind: 'dir', name, children: [] };
}

/** Walk (creating directories) to the directory at `parts`. */
function ensureDir(root: InputDir, parts: string[], what: string): InputDir {
  let dir = root;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    let child = dir.children.find((c) => c.name === name);
    if (!child) {
      child = emptyDir(name);
      dir.children.push(child);
    }
    if (child.kind !== 'dir') {
      throw new PartwrightError(ErrorCode.InvalidSpec, `${what}: /${parts.slice(0, i + 1).join('/')} is a ${child.kind} in the file system, not a directory.`);
    }
    dir = child;
  }
  return dir;
}

/** Put `entry` into `dir` under `name`: directories merge, anything else replaces (later copies win). */
function place(dir: InputDir, name: string, entry: InputEntry): void {
  const existing = dir.children.findIndex((c) => c.name === name);
  const renamed = { ...entry, name } as InputEntry;
  if (existing < 0) {
    dir.children.push(renamed.kind === 'dir' ? { ...renamed, children: [...renamed.children] } : renamed);
    return;
  }
  const old = dir.children[existing]!;
  if (old.kind === 'dir' && renamed.kind === 'dir') {
    const merged: InputDir = { ...old, ...metaOf(renamed), name, children: [...old.children] };
    for (const c of renamed.children) place(merged, c.name, c);
    dir.children[existing] = merged;
    return;
  }
  dir.children[existing] = renamed;
}

function metaOf(e: InputEntry): EntryMeta {
  const m: EntryMeta = { name: e.name };
  if (e.mode !== undefined) m.mode = e.mode;
  if (e.uid !== undefined) m.uid = e.uid;
  if (e.gid !== undefined) m.gid = e.gid;
  if (e.mtimeSeconds !== undefined) m.mtimeSeconds = e.mtimeSeconds;
  return m;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function sortTree(dir: InputDir): InputDir {
  // Byte order of the UTF-8 names (what `ls` in the C locale and NixOS's sorted copies give); each
  // name encoded once, not on every comparison.
  const enc = new TextEncoder();
  const children = dir.children
    .map((c) => ({ entry: c.kind === 'dir' ? sortTree(c) : c, key: enc.encode(c.name) }))
    .sort((a, b) => compareBytes(a.key, b.key))
    .map((c) => c.entry);
  return { ...dir, children };
}

/**
 * The root directory of a file system from `CopyFiles=` (in order; a directory source copies its
 * contents into the target, a file or symlink lands at the target path) and `MakeDirectories=`.
 * Children are sorted by name so the same inputs give the same image.
 */
export function composeTree(copies: readonly TreeCopy[], makeDirectories: readonly string[] = []): InputDir {
  const root = emptyDir('');
  for (const { target, entry } of copies) {
    const parts = splitPath(target, 'CopyFiles= target');
    if (entry.kind === 'dir') {
      const dir = ensureDir(root, parts, `CopyFiles= target ${target}`);
      if (parts.length === 0) {
        Object.assign(root, { ...metaOf(entry), name: '' });
      } else {
        Object.assign(dir, metaOf({ ...entry, name: dir.name }));
      }
      for (const c of entry.children) place(dir, c.name, c);
    } else {
      if (parts.length === 0) throw new PartwrightError(ErrorCode.InvalidSpec, `CopyFiles=: a ${entry.kind} cannot be copied onto the root directory; give a target path.`);
      const parent = ensureDir(root, parts.slice(0, -1), `CopyFiles= target ${target}`);
      place(parent, parts.at(-1)!, entry);
    }
  }
  for (const d of makeDirectories) ensureDir(root, splitPath(d, 'MakeDirectories='), `MakeDirectories=${d}`);
  return sortTree(root);
}

/** Bytes of file data in a tree (progress totals). */
export function treeFileBytes(dir: InputDir): number {
  let n = 0;
  for (const c of dir.children) n += c.kind === 'file' ? c.sizeBytes : c.kind === 'dir' ? treeFileBytes(c) : 0;
  return n;
}
