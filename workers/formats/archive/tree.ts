/**
 * Builds one content tree from an archive's records, in archive order, refusing what could land
 * outside the tree or silently lose an entry: absolute paths, `..`, paths through a symlink or a
 * file, and two entries with one path. Directories missing from the archive are made with no
 * metadata (the writers' defaults); hard links become copies of their target file.
 */
import { ArchiveProblem, archiveError, type ArchiveDir, type ArchiveEntry, type ArchiveFile } from './types.ts';

interface RecordMeta {
  mode?: number;
  uid?: number;
  gid?: number;
  mtimeSeconds?: number;
}

export type ArchiveRecord = RecordMeta &
  (
    | { kind: 'file'; path: string; sizeBytes: number; read(offsetBytes: number, target: Uint8Array): void }
    | { kind: 'dir'; path: string }
    | { kind: 'symlink'; path: string; target: string }
    | { kind: 'hardlink'; path: string; target: string }
  );

interface DirNode {
  entry: ArchiveDir;
  byName: Map<string, Node>;
  /** Made because a deeper path needed it, not named by the archive (yet). */
  implicit: boolean;
}
type Node = DirNode | { entry: Exclude<ArchiveEntry, ArchiveDir> };

function isDir(n: Node): n is DirNode {
  return n.entry.kind === 'dir';
}

function metaOf(r: RecordMeta): RecordMeta {
  const m: RecordMeta = {};
  if (r.mode !== undefined) m.mode = r.mode & 0o7777;
  if (r.uid !== undefined) m.uid = r.uid;
  if (r.gid !== undefined) m.gid = r.gid;
  if (r.mtimeSeconds !== undefined) m.mtimeSeconds = r.mtimeSeconds;
  return m;
}

export class ArchiveTreeBuilder {
  private readonly root: DirNode;

  constructor(private readonly archive: string) {
    this.root = { entry: { kind: 'dir', name: '', children: [] }, byName: new Map(), implicit: true };
  }

  /** The path's components, or a coded error when it is absolute or climbs with `..`. */
  private parts(path: string, entry: string): string[] {
    if (path.startsWith('/')) throw archiveError(this.archive, ArchiveProblem.UnsafePath, 'is an absolute path; archives of a tree hold relative paths (tar -C DIR -cf … .).', entry);
    if (path.includes('\0')) throw archiveError(this.archive, ArchiveProblem.BadHeader, 'has a NUL byte in its name.', entry);
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw archiveError(this.archive, ArchiveProblem.UnsafePath, 'climbs out of the tree with "..".', entry);
    return parts;
  }

  /** The directory holding `parts`' last component, making missing directories on the way. */
  private parentOf(parts: string[], entry: string): DirNode {
    let dir = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i]!;
      let next = dir.byName.get(name);
      if (!next) {
        next = { entry: { kind: 'dir', name, children: [] }, byName: new Map(), implicit: true };
        dir.byName.set(name, next);
      }
      if (!isDir(next)) {
        const through = parts.slice(0, i + 1).join('/');
        throw archiveError(this.archive, ArchiveProblem.UnsafePath, `goes through ${through}, which is a ${next.entry.kind} in the archive, not a directory.`, entry);
      }
      dir = next;
    }
    return dir;
  }

  private lookup(parts: string[]): Node | undefined {
    let node: Node = this.root;
    for (const name of parts) {
      if (!isDir(node)) return undefined;
      const next = node.byName.get(name);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  add(record: ArchiveRecord): void {
    const entry = record.path;
    const parts = this.parts(record.path, entry);
    const meta = metaOf(record);
    if (parts.length === 0) {
      if (record.kind !== 'dir') throw archiveError(this.archive, ArchiveProblem.BadHeader, `names the tree's root but is a ${record.kind}.`, entry);
      Object.assign(this.root.entry, meta);
      return;
    }
    const parent = this.parentOf(parts, entry);
    const name = parts.at(-1)!;
    const existing = parent.byName.get(name);
    if (record.kind === 'dir') {
      if (existing && isDir(existing)) {
        // A directory named again (or after its contents): its metadata is the last one given.
        Object.assign(existing.entry, meta);
        existing.implicit = false;
        return;
      }
      if (existing) throw this.duplicate(entry, existing.entry.kind);
      parent.byName.set(name, { entry: { kind: 'dir', name, ...meta, children: [] }, byName: new Map(), implicit: false });
      return;
    }
    if (existing) throw this.duplicate(entry, existing.entry.kind);
    let made: Exclude<ArchiveEntry, ArchiveDir>;
    switch (record.kind) {
      case 'file':
        made = { kind: 'file', name, ...meta, sizeBytes: record.sizeBytes, read: record.read };
        break;
      case 'symlink':
        if (record.target === '') throw archiveError(this.archive, ArchiveProblem.BadHeader, 'is a symlink with an empty target.', entry);
        made = { kind: 'symlink', name, ...meta, target: record.target };
        break;
      case 'hardlink': {
        const target = this.lookup(this.parts(record.target, entry));
        if (!target || target.entry.kind !== 'file') {
          throw archiveError(this.archive, ArchiveProblem.BadHeader, `is a hard link to ${record.target}, which is not a regular file earlier in the archive.`, entry);
        }
        const file: ArchiveFile = target.entry;
        // A hard link is the same inode: the copy has the target's bytes and, unless given, its metadata.
        made = { kind: 'file', name, ...metaOf(file), ...meta, sizeBytes: file.sizeBytes, read: file.read };
        break;
      }
    }
    parent.byName.set(name, { entry: made });
  }

  private duplicate(entry: string, kind: string) {
    return archiveError(this.archive, ArchiveProblem.Duplicate, `is in the archive twice (the first is a ${kind}); keep one.`, entry);
  }

  /** The tree, children in archive order (the engine sorts when it composes). */
  finish(name: string): ArchiveDir {
    const build = (node: DirNode): ArchiveDir => ({
      ...node.entry,
      children: [...node.byName.values()].map((c) => (isDir(c) ? build(c) : c.entry)),
    });
    return { ...build(this.root), name };
  }
}
