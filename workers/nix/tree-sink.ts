/**
 * An in-memory tree of unpacked store paths, shaped like the build's `InputDir` (kind, name, mode,
 * mtimeSeconds, children / sizeBytes + read / target) so an ext4 or erofs populate step can take
 * `sink.root` as a `CopyFiles=` source for `/`. Modes and times are the store's: directories and
 * executables 0555, other files 0444, mtime 1 (what Nix sets after unpacking).
 *
 * It only ever creates a name inside a directory it created itself, once: a second store path with
 * the same name, or a path whose parent is not one of its directories, is refused.
 */
import { NixError, NixProblem } from './errors.ts';
import type { NarFileWriter, NarSink } from './nar.ts';

/** Nix resets store file times to 1 (canonicalisePathMetaData). */
export const STORE_MTIME_SECONDS = 1;
const MODE_DIR = 0o555;
const MODE_EXECUTABLE = 0o555;
const MODE_FILE = 0o444;

export interface StoreTreeFile {
  kind: 'file';
  name: string;
  mode: number;
  mtimeSeconds: number;
  sizeBytes: number;
  read(offsetBytes: number, target: Uint8Array): void;
}
export interface StoreTreeSymlink {
  kind: 'symlink';
  name: string;
  mode: number;
  mtimeSeconds: number;
  target: string;
}
export interface StoreTreeDir {
  kind: 'dir';
  name: string;
  mode: number;
  mtimeSeconds: number;
  children: StoreTreeEntry[];
}
export type StoreTreeEntry = StoreTreeFile | StoreTreeSymlink | StoreTreeDir;

function dir(name: string, mode = MODE_DIR): StoreTreeDir {
  return { kind: 'dir', name, mode, mtimeSeconds: STORE_MTIME_SECONDS, children: [] };
}

export class MemoryTreeSink implements NarSink {
  /** The file system root; store paths land in `/nix/store`. Children in NAR (sorted) order. */
  readonly root: StoreTreeDir = dir('', 0o755);
  private readonly dirs = new Map<string, StoreTreeDir>([['', this.root]]);

  constructor() {
    // /nix and /nix/store as NixOS has them (root:nixbld 1775 on a live system; plain 0755 here).
    const nix = dir('nix', 0o755);
    const store = dir('store', 0o755);
    nix.children.push(store);
    this.root.children.push(nix);
    this.dirs.set('/nix', nix).set('/nix/store', store);
  }

  /** Put `entry` at `path` (its parent must be a directory this sink created; each path once). */
  protected add(path: string, entry: StoreTreeEntry): void {
    const slash = path.lastIndexOf('/');
    const parentPath = path.slice(0, slash);
    const name = path.slice(slash + 1);
    const parent = this.dirs.get(parentPath);
    if (!parent || name === '' || name === '.' || name === '..') {
      throw new NixError(NixProblem.BadEntryName, `refusing to create ${path}: its parent is not a directory of the unpacked tree.`, { path });
    }
    if (parent.children.some((c) => c.name === name)) {
      throw new NixError(NixProblem.DuplicateEntry, `refusing to create ${path} twice.`, { path });
    }
    parent.children.push({ ...entry, name });
    if (entry.kind === 'dir') this.dirs.set(path, parent.children.at(-1) as StoreTreeDir);
  }

  directory(path: string): void {
    this.add(path, dir(''));
  }

  discard(path: string): void {
    const slash = path.lastIndexOf('/');
    const parent = this.dirs.get(path.slice(0, slash));
    const name = path.slice(slash + 1);
    if (parent) parent.children = parent.children.filter((c) => c.name !== name);
    for (const key of [...this.dirs.keys()]) if (key === path || key.startsWith(`${path}/`)) this.dirs.delete(key);
  }

  symlink(path: string, target: string): void {
    this.add(path, { kind: 'symlink', name: '', mode: 0o777, mtimeSeconds: STORE_MTIME_SECONDS, target });
  }

  file(path: string, executable: boolean, sizeBytes: number): NarFileWriter {
    const data = new Uint8Array(sizeBytes);
    let written = 0;
    this.add(path, {
      kind: 'file',
      name: '',
      mode: executable ? MODE_EXECUTABLE : MODE_FILE,
      mtimeSeconds: STORE_MTIME_SECONDS,
      sizeBytes,
      read(offsetBytes: number, target: Uint8Array) {
        target.set(data.subarray(offsetBytes, offsetBytes + target.length));
      },
    });
    return {
      write(chunk) {
        data.set(chunk, written);
        written += chunk.length;
      },
      close() {},
    };
  }
}
