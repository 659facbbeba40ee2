/**
 * The input tree an ISO is built from (a flat list of paths, streamed through `read`) and its shape
 * in the image: implicit parent directories, ISO 9660 and Joliet names, and the orders the standard
 * wants (path table order: by level, then parent, then name).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { compareIsoIdentifiers, compareUcs2, IsoNameAllocator, JolietNameAllocator } from './names.ts';

/** One file, directory or symlink; its bytes are pulled in chunks so callers stream from disk or OPFS. */
export interface IsoEntryInput {
  /** Slash-separated path inside the image, e.g. `isolinux/isolinux.bin` (a leading `/` is ignored). */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** File size; 0 for directories and symlinks. */
  sizeBytes: number;
  /** Permission bits (0o7777); type bits, if present, are ignored. */
  mode: number;
  uid: number;
  gid: number;
  /** Unix seconds; used when timestamps are kept (otherwise every date is sourceDateEpoch). */
  mtimeSeconds?: number;
  /** Symlink target. */
  target?: string;
  /** Fill `target` with the file's bytes at `offsetBytes`. */
  read?(offsetBytes: number, target: Uint8Array): void;
}

export interface IsoNode {
  /** The real (Rock Ridge) name; '' for the root. */
  name: string;
  /** Path without a leading slash; '' for the root. */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  input?: IsoEntryInput;
  sizeBytes: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeSeconds?: number;
  parent?: IsoNode;
  children: IsoNode[];
  isoName: string;
  jolietName: string;
  /** Inode number for PX (1 = root, then in tree order). */
  serial: number;
  /** The boot catalog's entry in the tree (its data is the catalog sector). */
  isCatalog?: boolean;
}

const DEFAULT_DIR_MODE = 0o755;

function splitPath(path: string): string[] {
  const parts = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') {
      throw new PartwrightError(ErrorCode.InvalidSpec, `ISO path "${path}" has an empty, "." or ".." component.`, { where: path });
    }
  }
  return parts;
}

/** Build the tree; throws for duplicate paths, a file used as a directory, or bad entries. */
export function buildIsoTree(entries: readonly IsoEntryInput[], catalogPath: string | undefined): IsoNode {
  const root: IsoNode = { name: '', path: '', kind: 'dir', sizeBytes: 0, mode: DEFAULT_DIR_MODE, uid: 0, gid: 0, children: [], isoName: '', jolietName: '', serial: 0 };
  const byPath = new Map<string, IsoNode>([['', root]]);
  const explicit = new Set<string>();
  const ensureDir = (parts: string[]): IsoNode => {
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const path = parts.slice(0, i + 1).join('/');
      let next = byPath.get(path);
      if (!next) {
        next = { name: parts[i]!, path, kind: 'dir', sizeBytes: 0, mode: DEFAULT_DIR_MODE, uid: 0, gid: 0, parent: node, children: [], isoName: '', jolietName: '', serial: 0 };
        node.children.push(next);
        byPath.set(path, next);
      } else if (next.kind !== 'dir') {
        throw new PartwrightError(ErrorCode.InvalidSpec, `ISO path "${path}" is a ${next.kind} but other entries are inside it.`, { where: path });
      }
      node = next;
    }
    return node;
  };
  const all = [...entries];
  if (catalogPath !== undefined) {
    all.push({ path: catalogPath, kind: 'file', sizeBytes: 2048, mode: 0o444, uid: 0, gid: 0 });
  }
  all.forEach((e, index) => {
    const parts = splitPath(e.path);
    const path = parts.join('/');
    if (explicit.has(path)) throw new PartwrightError(ErrorCode.InvalidSpec, `ISO path "${path}" is listed twice.`, { where: path });
    explicit.add(path);
    const isCatalog = catalogPath !== undefined && index === all.length - 1;
    checkEntry(e, path);
    if (e.kind === 'dir') {
      const node = ensureDir(parts);
      Object.assign(node, { input: e, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtimeSeconds: e.mtimeSeconds });
      return;
    }
    const parent = ensureDir(parts.slice(0, -1));
    if (byPath.has(path)) throw new PartwrightError(ErrorCode.InvalidSpec, `ISO path "${path}" is a directory and a ${e.kind}.`, { where: path });
    const node: IsoNode = {
      name: parts.at(-1)!, path, kind: e.kind, input: e, sizeBytes: e.kind === 'file' ? e.sizeBytes : 0, mode: e.mode & 0o7777,
      uid: e.uid, gid: e.gid, mtimeSeconds: e.mtimeSeconds, parent, children: [], isoName: '', jolietName: '', serial: 0, isCatalog,
    };
    parent.children.push(node);
    byPath.set(path, node);
  });
  nameTree(root);
  let serial = 1;
  for (const n of walk(root)) n.serial = serial++;
  return root;
}

function checkEntry(e: IsoEntryInput, path: string): void {
  const bad = (what: string) => new PartwrightError(ErrorCode.InvalidSpec, `ISO entry "${path}": ${what}.`, { where: path });
  for (const [k, v] of [['uid', e.uid], ['gid', e.gid], ['mode', e.mode]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bad(`${k} ${v} is not a 32-bit number`);
  }
  if (e.kind === 'file' && (!Number.isSafeInteger(e.sizeBytes) || e.sizeBytes < 0)) throw bad(`size ${e.sizeBytes} is not a byte count`);
  if (e.kind === 'symlink' && !e.target) throw bad('a symlink needs a target');
  if (new TextEncoder().encode(path.split('/').at(-1)!).length > 255) throw bad('the name is longer than 255 bytes');
}

/** Allocate ISO and Joliet names per directory, from children sorted by their real names (input order never matters). */
function nameTree(dir: IsoNode): void {
  dir.children.sort((a, b) => compareUcs2(a.name, b.name));
  const iso = new IsoNameAllocator();
  const joliet = new JolietNameAllocator();
  for (const c of dir.children) {
    c.isoName = iso.allocate(c.name, c.kind === 'dir');
    if (c.kind !== 'symlink') c.jolietName = joliet.allocate(c.name, c.kind === 'dir');
    if (c.kind === 'dir') nameTree(c);
  }
}

/** Depth-first, children in ISO record order. */
export function* walk(node: IsoNode): Generator<IsoNode> {
  yield node;
  for (const c of isoChildren(node)) yield* walk(c);
}

/** Children in ISO 9660 record order (§9.3). */
export function isoChildren(dir: IsoNode): IsoNode[] {
  return [...dir.children].sort((a, b) => compareIsoIdentifiers(a.isoName, b.isoName));
}

/** Children in Joliet record order (symlinks have no Joliet form). */
export function jolietChildren(dir: IsoNode): IsoNode[] {
  return dir.children.filter((c) => c.kind !== 'symlink').sort((a, b) => compareUcs2(a.jolietName, b.jolietName));
}

/** Directories in path table order (ECMA-119 §9.4.4): breadth first, children in record order. */
export function pathTableOrder(root: IsoNode, children: (d: IsoNode) => IsoNode[]): IsoNode[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...children(out[i]!).filter((c) => c.kind === 'dir'));
  return out;
}
