/**
 * The contents a layout puts into a file system: trees of files, directories and symlinks whose
 * bytes are read lazily (from disk in the CLI, from OPFS in the browser). `composeTree` lays the
 * `CopyFiles=` sources at their targets (minus `ExcludeFiles=` / `ExcludeFilesTarget=`) and adds
 * `MakeDirectories=` and `MakeSymlinks=`, in that order, as systemd-repart's partition_populate does.
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
  /** The `CopyFiles=` source path as written (for `ExcludeFiles=`); absent for generated trees. */
  source?: string;
}

/** What besides the copies shapes a file system's tree (repart.d keys of the same names). */
export interface TreeExtras {
  makeDirectories?: readonly string[];
  /** `MakeSymlinks=` (v257): made after the copies and directories; parents are created. */
  makeSymlinks?: readonly { path: string; target: string }[];
  /** `ExcludeFiles=` (v254): source paths not copied; a trailing `/` keeps the directory, empty. */
  excludeFiles?: readonly string[];
  /** `ExcludeFilesTarget=` (v254): file-system paths nothing is copied into; trailing `/` as above. */
  excludeFilesTarget?: readonly string[];
}

/** An exclusion path split into parts, and whether only its contents go (trailing `/`). */
function exclusion(p: string, what: string): { parts: string[]; contentsOnly: boolean } {
  return { parts: splitPath(p, what), contentsOnly: p.length > 1 && p.endsWith('/') };
}

/** Remove `parts` (relative to `dir`) from a tree; `contentsOnly` empties a directory instead. Returns a new tree. */
function prune(dir: InputDir, parts: readonly string[], contentsOnly: boolean): InputDir {
  if (parts.length === 0) return contentsOnly ? { ...dir, children: [] } : dir;
  const [head, ...rest] = parts;
  const children: InputEntry[] = [];
  for (const c of dir.children) {
    if (c.name !== head) children.push(c);
    else if (rest.length > 0) children.push(c.kind === 'dir' ? prune(c, rest, contentsOnly) : c);
    else if (contentsOnly && c.kind === 'dir') children.push({ ...c, children: [] });
    // else: the excluded entry itself is left out
  }
  return { ...dir, children };
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
 * contents into the target, a file or symlink lands at the target path), then `MakeDirectories=` and
 * `MakeSymlinks=`. `ExcludeFiles=` prunes a copy by its source path, `ExcludeFilesTarget=` the copied
 * tree by its path in the file system (repart passes both to its copy as deny lists). Children are
 * sorted by name so the same inputs give the same image.
 */
export function composeTree(copies: readonly TreeCopy[], extras: readonly string[] | TreeExtras = []): InputDir {
  const opts: TreeExtras = Array.isArray(extras) ? { makeDirectories: extras as readonly string[] } : (extras as TreeExtras);
  const excludes = (opts.excludeFiles ?? []).map((p) => ({ path: p, ...exclusion(p, 'ExcludeFiles=') }));
  let root = emptyDir('');
  for (const copy of copies) {
    const { target } = copy;
    let entry = copy.entry;
    // ExcludeFiles=: source paths at or under this copy's source.
    if (copy.source !== undefined && excludes.length > 0 && copy.source.startsWith('/')) {
      const sourceParts = splitPath(copy.source, 'CopyFiles= source');
      for (const x of excludes) {
        const within = sourceParts.every((s, i) => x.parts[i] === s);
        if (!within) continue;
        const rel = x.parts.slice(sourceParts.length);
        if (rel.length === 0 && !x.contentsOnly) entry = undefined as unknown as InputEntry;
        else if (entry.kind === 'dir') entry = prune(entry, rel, x.contentsOnly);
        if (!entry) break;
      }
      if (!entry) continue;
    }
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
  for (const p of opts.excludeFilesTarget ?? []) {
    const x = exclusion(p, 'ExcludeFilesTarget=');
    root = prune(root, x.parts, x.contentsOnly);
  }
  for (const d of opts.makeDirectories ?? []) ensureDir(root, splitPath(d, 'MakeDirectories='), `MakeDirectories=${d}`);
  for (const l of opts.makeSymlinks ?? []) {
    const parts = splitPath(l.path, 'MakeSymlinks=');
    if (parts.length === 0) throw new PartwrightError(ErrorCode.InvalidSpec, `MakeSymlinks=${l.path}:${l.target}: the root directory cannot be a symlink.`);
    const parent = ensureDir(root, parts.slice(0, -1), `MakeSymlinks=${l.path}`);
    const name = parts.at(-1)!;
    const clash = parent.children.find((c) => c.name === name);
    if (clash && !(clash.kind === 'symlink' && clash.target === l.target)) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `MakeSymlinks=${l.path}:${l.target}: ${l.path} already exists in the file system (a ${clash.kind} from CopyFiles=/MakeDirectories=).`);
    }
    if (!clash) parent.children.push({ kind: 'symlink', name, target: l.target, mode: 0o777, uid: 0, gid: 0 });
  }
  return sortTree(root);
}

/** Bytes of file data in a tree (progress totals). */
export function treeFileBytes(dir: InputDir): number {
  let n = 0;
  for (const c of dir.children) n += c.kind === 'file' ? c.sizeBytes : c.kind === 'dir' ? treeFileBytes(c) : 0;
  return n;
}

/** Where a definition's sources come from (the host's file access; BuildInputs in build-image.ts). */
export interface TreeSources {
  openTree?(path: string, what: string): InputEntry;
}

/** What a definition's keys put into its file system (CopyFiles=, Exclude*, MakeDirectories=, MakeSymlinks=), plus generated trees. */
export interface DefinitionContents {
  copyFiles?: readonly { source: string; target: string }[];
  makeDirectories?: readonly string[];
  makeSymlinks?: readonly { path: string; target: string }[];
  excludeFiles?: readonly string[];
  excludeFilesTarget?: readonly string[];
}

/** The tree of one definition: the one place the disk and ISO builders turn repart.d keys into contents. */
export function definitionTree(ps: DefinitionContents, inputs: TreeSources, extra: readonly TreeCopy[] = []): InputDir {
  return composeTree(
    [
      ...(ps.copyFiles ?? []).map((c) => {
        if (!inputs.openTree) throw new PartwrightError(ErrorCode.Unsupported, 'This host cannot read CopyFiles= sources.');
        return { target: c.target, source: c.source, entry: inputs.openTree(c.source, `CopyFiles=${c.source}`) };
      }),
      ...extra,
    ],
    {
      makeDirectories: ps.makeDirectories ?? [],
      makeSymlinks: ps.makeSymlinks ?? [],
      excludeFiles: ps.excludeFiles ?? [],
      excludeFilesTarget: ps.excludeFilesTarget ?? [],
    },
  );
}
