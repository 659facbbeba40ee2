/**
 * Node host for content trees: a file or directory on disk as an InputEntry, with modes, owners,
 * mtimes and symlink targets from lstat, and file bytes read only when a writer asks for them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { InputEntry } from '../../build/input-tree.ts';

/**
 * The file last read stays open: writers read a file in chunks one after another (mke2fs 64 KiB at
 * a time), so each pass over a file opens it once rather than once per chunk. One descriptor at most.
 */
let lastOpen: { file: string; fd: number } | undefined;

function readAt(file: string, offsetBytes: number, target: Uint8Array): void {
  // A read from the start opens the file afresh (it may have been replaced since an earlier pass).
  if (lastOpen?.file !== file || offsetBytes === 0) {
    const fd = fs.openSync(file, 'r');
    if (lastOpen) fs.closeSync(lastOpen.fd);
    lastOpen = { file, fd };
  }
  const { fd } = lastOpen;
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, target.length - done, offsetBytes + done);
    if (n === 0) throw new PartwrightError(ErrorCode.Io, `${file} became shorter while it was being copied.`);
    done += n;
  }
}

/** The bytes of `file` (a worker opens a tree's files through their paths: InputFile.ref). */
export function fileReader(file: string): (offsetBytes: number, target: Uint8Array) => void {
  return (offsetBytes, target) => readAt(file, offsetBytes, target);
}

/** Largest content taken from a file that reports size 0 (a /proc-like file). */
const MAX_SIZE_ZERO_CONTENT_BYTES = 1 << 20;

function readSizeZeroFile(file: string): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = new Uint8Array(MAX_SIZE_ZERO_CONTENT_BYTES + 1);
    let done = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, done, buf.length - done, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw new PartwrightError(ErrorCode.Io, `Cannot read ${file}: ${(e as Error).message}.`, { where: file });
      }
      if (n === 0) break;
      done += n;
      if (done > MAX_SIZE_ZERO_CONTENT_BYTES) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `${file} reports size 0 but holds more than ${MAX_SIZE_ZERO_CONTENT_BYTES} bytes (a /proc-like file); copy it to a regular file first.`, { where: file });
      }
    }
    return buf.slice(0, done);
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
    if (st.size === 0) {
      // /proc and some /sys files say size 0 and still have content: take a snapshot of it.
      const snapshot = readSizeZeroFile(file);
      if (snapshot.length > 0) {
        return { kind: 'file', ...meta, sizeBytes: snapshot.length, read: (offsetBytes, target) => target.set(snapshot.subarray(offsetBytes, offsetBytes + target.length)) };
      }
    }
    return { kind: 'file', ...meta, sizeBytes: st.size, read: fileReader(file), ref: file };
  }
  throw new PartwrightError(ErrorCode.InvalidSpec, `${file} is a device, socket or FIFO; CopyFiles= copies files, directories and symlinks.`);
}
