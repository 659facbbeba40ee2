/**
 * Node host for content trees: a file or directory on disk as an InputEntry, with modes, owners,
 * mtimes and symlink targets from lstat, and file bytes read only when a writer asks for them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { InputEntry } from '../../build/input-tree.ts';

function readAt(file: string, offsetBytes: number, target: Uint8Array): void {
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    while (done < target.length) {
      const n = fs.readSync(fd, target, done, target.length - done, offsetBytes + done);
      if (n === 0) throw new PartwrightError(ErrorCode.Io, `${file} became shorter while it was being copied.`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function readTree(file: string, name = path.basename(file)): InputEntry {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    throw new PartwrightError(ErrorCode.Io, `Cannot read ${file}: it does not exist or is not accessible.`);
  }
  const meta = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
  if (st.isSymbolicLink()) return { kind: 'symlink', ...meta, target: fs.readlinkSync(file) };
  if (st.isDirectory()) {
    const names = fs.readdirSync(file);
    return { kind: 'dir', ...meta, children: names.map((n) => readTree(path.join(file, n), n)) };
  }
  if (st.isFile()) {
    return { kind: 'file', ...meta, sizeBytes: st.size, read: (offsetBytes, target) => readAt(file, offsetBytes, target) };
  }
  throw new PartwrightError(ErrorCode.InvalidSpec, `${file} is a device, socket or FIFO; CopyFiles= copies files, directories and symlinks.`);
}
