/**
 * A host folder as a PlainEntry tree (modes, owners, times, symlink targets, bytes): what the
 * browser tests post to a worker so it builds from the same tree as Node. Node only (node:fs); the
 * worker side imports verity-sample.ts, which must stay free of it.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PlainEntry } from './verity-sample.ts';

export function readPlain(path: string, name: string): PlainEntry {
  const st = lstatSync(path);
  const meta = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
  if (st.isSymbolicLink()) return { ...meta, kind: 'symlink', target: readlinkSync(path) };
  if (st.isDirectory()) return { ...meta, kind: 'dir', children: readdirSync(path).sort().map((n) => readPlain(join(path, n), n)) };
  return { ...meta, kind: 'file', bytes: new Uint8Array(readFileSync(path)) };
}
