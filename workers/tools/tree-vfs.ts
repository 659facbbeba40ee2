/**
 * A content tree (workers/build/input-tree.ts) as the WASI host's directories, and the metadata
 * manifest the patched tools read instead of lstat()'s missing modes, owners and times
 * (wasm/erofs-utils/patches/0001; wasm/e2fsprogs/patches/0002 has the same record format).
 */
import type { InputDir, InputEntry } from '../build/input-tree.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { VfsDirectory, VfsNode } from './wasi-host.ts';

export const DEFAULT_MODE = { file: 0o644, dir: 0o755, symlink: 0o777 } as const;

/** A time as the image records it: whole seconds, never after SOURCE_DATE_EPOCH (repart's clamping). */
export function clampTime(seconds: number | undefined, epoch: number): number {
  return seconds === undefined ? epoch : Math.min(Math.max(0, Math.floor(seconds)), epoch);
}

/** Names a file system can hold: not empty, not "." or "..", no "/"; unique within a directory. */
export function checkNames(dir: InputDir, what: string): void {
  const seen = new Set<string>();
  for (const c of dir.children) {
    if (c.name === '' || c.name === '.' || c.name === '..' || c.name.includes('/')) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `"${c.name}" is not a valid file name in ${what}.`);
    }
    if (seen.has(c.name)) throw new PartwrightError(ErrorCode.InvalidSpec, `Two entries named "${c.name}" in one directory of ${what}.`);
    seen.add(c.name);
  }
}

/** The tree as WASI directories (children looked up by name, built on first use). */
export function treeDirectory(dir: InputDir, epoch: number, what: string): VfsDirectory {
  let children: Map<string, VfsNode> | undefined;
  const table = () => {
    if (!children) {
      checkNames(dir, what);
      children = new Map(dir.children.map((c) => [c.name, treeNode(c, epoch, what)]));
    }
    return children;
  };
  return { kind: 'directory', mtimeSeconds: clampTime(dir.mtimeSeconds, epoch), names: () => [...table().keys()], lookup: (name) => table().get(name) };
}

function treeNode(entry: InputEntry, epoch: number, what: string): VfsNode {
  const mtimeSeconds = clampTime(entry.mtimeSeconds, epoch);
  if (entry.kind === 'dir') return treeDirectory(entry, epoch, what);
  if (entry.kind === 'symlink') return { kind: 'symlink', target: entry.target, mtimeSeconds };
  return { kind: 'file', sizeBytes: entry.sizeBytes, mtimeSeconds, read: (pos, target) => entry.read(pos, target) };
}

/**
 * "<octal mode> <uid> <gid> <mtime> <path>\0" for every entry below the root (and the root itself as
 * "/" when `withRoot`), times clamped to SOURCE_DATE_EPOCH, missing modes 0644/0755/0777, owners 0:0.
 */
export function encodeMetadataManifest(root: InputDir, sourceDateEpoch: number, withRoot: boolean): Uint8Array {
  const parts: string[] = [];
  const record = (e: InputEntry, path: string) => {
    const mode = (e.mode ?? DEFAULT_MODE[e.kind]) & 0o7777;
    parts.push(`${mode.toString(8)} ${e.uid ?? 0} ${e.gid ?? 0} ${clampTime(e.mtimeSeconds, sourceDateEpoch)} ${path}\0`);
  };
  const visit = (dir: InputDir, prefix: string) => {
    for (const e of dir.children) {
      const path = `${prefix}/${e.name}`;
      record(e, path);
      if (e.kind === 'dir') visit(e, path);
    }
  };
  if (withRoot) record(root, '/');
  visit(root, '');
  return new TextEncoder().encode(parts.join(''));
}
