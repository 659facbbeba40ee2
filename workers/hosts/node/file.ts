/**
 * The Node host's storage: files as read sources, seekable sinks and byte stores. Holes stay holes:
 * nothing here writes zeros it was not given.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { ExtentMap } from '../../disk/extent-map.ts';
import type { ByteRange } from '../../plan/types.ts';
import type { ByteStore, FileCopy } from '../../disk/byte-store.ts';
import { copyFilesInto } from './copy-files.ts';
import type { SeekableSink } from '../../disk/raw-output.ts';
import type { ReadSource } from '../../disk/sparse-image.ts';
import { createOwnedFile, EXCLUSIVE_W } from './scratch.ts';

/** An I/O failure on a descriptor, with the path it belongs to (errors from fds carry none). */
function ioError(e: unknown, what: string, file: string): PartwrightError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOSPC' ? 'no space left on the device' : err.code === 'EDQUOT' ? 'disk quota exceeded' : err.message;
  return new PartwrightError(ErrorCode.Io, `Cannot ${what} ${file}: ${why}.`, { where: file });
}

function readFully(fd: number, offsetBytes: number, target: Uint8Array, file = 'the input'): void {
  let done = 0;
  while (done < target.length) {
    let n: number;
    try {
      n = fs.readSync(fd, target, done, target.length - done, offsetBytes + done);
    } catch (e) {
      throw ioError(e, 'read', file);
    }
    if (n === 0) {
      target.fill(0, done);
      return;
    }
    done += n;
  }
}

function writeFully(fd: number, offsetBytes: number, data: Uint8Array, file: string): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += fs.writeSync(fd, data, done, data.length - done, offsetBytes + done);
    } catch (e) {
      throw ioError(e, 'write', file);
    }
  }
}

/** A file opened read-only as a ReadSource. */
export class FileSource implements ReadSource {
  readonly sizeBytes: number;
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
    const st = fs.fstatSync(this.fd);
    // Block devices report size 0 through stat: ask for the end instead.
    this.sizeBytes = st.isBlockDevice() ? blockDeviceSize(this.fd) : st.size;
  }
  read(offsetBytes: number, target: Uint8Array): void {
    readFully(this.fd, offsetBytes, target, this.path);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

function blockDeviceSize(fd: number): number {
  // No ioctl from Node: binary-search the last readable byte.
  const one = new Uint8Array(1);
  let lo = 0;
  let hi = 2 ** 52;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    let ok = false;
    try {
      ok = fs.readSync(fd, one, 0, 1, mid - 1) === 1;
    } catch {
      ok = false;
    }
    if (ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Give the bytes of `ranges` back to the file system (fallocate PUNCH_HOLE|KEEP_SIZE, which Node
 * lacks: asked of python3 through ctypes, one process for all ranges). False when it cannot.
 */
function punchHoles(fd: number, ranges: readonly ByteRange[]): boolean {
  const script = `import ctypes, ctypes.util, json, os, sys
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
for off, n in json.load(sys.stdin):
    if libc.fallocate(3, 3, off, n) != 0: sys.exit(1)`;
  const r = spawnSync('python3', ['-c', script], {
    input: JSON.stringify(ranges.map((x) => [x.offsetBytes, x.sizeBytes])),
    stdio: ['pipe', 'ignore', 'ignore', fd],
  });
  return r.status === 0;
}

/** Past this many discarded-but-stored bytes, holes are punched at once instead of at the end. */
const STALE_LIMIT_BYTES = 32 << 20;

/**
 * A file as the image's backing store (large content goes to disk, not memory). Created
 * exclusively and removed when the process ends unless renamed (node-scratch.ts). Discarding a
 * range only records it as a hole (nothing is written); bytes it held are punched out of the file
 * in batches, and before the file becomes an output (`setSize`).
 */
export class FileStore implements ByteStore {
  private readonly fd: number;
  private readonly written = new ExtentMap();
  /** Discarded ranges the file still holds bytes for. */
  private readonly stale = new ExtentMap();
  private peakStoredBytes = 0;
  /** `shared`: open the store file another thread created (its share() handle) to write a range of it. */
  constructor(readonly path: string, shared = false) {
    this.fd = shared ? fs.openSync(path, 'r+') : createOwnedFile(path, 0o644);
  }
  share() {
    // Holes are punched now: batches punched later must not reach ranges other threads write.
    this.clearStale();
    return {
      handle: this.path,
      adopt: (ranges: readonly ByteRange[]) => {
        for (const r of ranges) {
          this.written.add(r.offsetBytes, r.sizeBytes);
          this.stale.remove(r.offsetBytes, r.sizeBytes);
        }
      },
    };
  }
  read(offsetBytes: number, target: Uint8Array): void {
    target.fill(0);
    for (const r of this.written.ranges(offsetBytes, target.length)) {
      readFully(this.fd, r.offsetBytes, target.subarray(r.offsetBytes - offsetBytes, r.offsetBytes - offsetBytes + r.sizeBytes), this.path);
    }
  }
  write(offsetBytes: number, data: Uint8Array): void {
    writeFully(this.fd, offsetBytes, data, this.path);
    this.written.add(offsetBytes, data.length);
    this.stale.remove(offsetBytes, data.length);
  }
  /** Files by path (the Node host's refs), copied by several threads at once for much data (copy-files.ts). */
  copyFiles(copies: readonly FileCopy[]): boolean {
    if (!copies.every((c) => typeof c.ref === 'string')) return false;
    copyFilesInto(this.fd, this.path, copies.map((c) => ({ offsetBytes: c.offsetBytes, path: c.ref as string, sizeBytes: c.sizeBytes, paddedBytes: c.paddedBytes })));
    for (const c of copies) {
      this.written.add(c.offsetBytes, c.paddedBytes);
      this.stale.remove(c.offsetBytes, c.paddedBytes);
    }
    return true;
  }
  discard(offsetBytes: number, sizeBytes: number): void {
    for (const r of this.written.ranges(offsetBytes, sizeBytes)) this.stale.add(r.offsetBytes, r.sizeBytes);
    this.written.remove(offsetBytes, sizeBytes);
    if (this.stale.mappedBytes > STALE_LIMIT_BYTES) this.clearStale();
  }
  /** Punch out discarded bytes (or, where the file system cannot, overwrite them with zeros). */
  private clearStale(): void {
    const ranges = this.stale.ranges();
    if (ranges.length === 0) return;
    this.notePeak();
    if (!punchHoles(this.fd, ranges)) {
      const zeros = new Uint8Array(1 << 20);
      for (const r of ranges) {
        for (let done = 0; done < r.sizeBytes; done += zeros.length) {
          writeFully(this.fd, r.offsetBytes + done, zeros.subarray(0, Math.min(zeros.length, r.sizeBytes - done)), this.path);
        }
      }
    }
    for (const r of ranges) this.stale.remove(r.offsetBytes, r.sizeBytes);
  }
  private notePeak(): void {
    this.peakStoredBytes = Math.max(this.peakStoredBytes, fs.fstatSync(this.fd).blocks * 512);
  }
  get storedBytes(): number {
    this.notePeak();
    return fs.fstatSync(this.fd).blocks * 512;
  }
  /** Make the file this long (a hole at the end): the store is then the raw image itself. */
  setSize(sizeBytes: number): void {
    this.clearStale();
    fs.ftruncateSync(this.fd, sizeBytes);
  }
  /**
   * Nothing to do: the written bytes are in the file already. No fsync, as for every other output
   * (outputs.ts) and as mkfs and cp do: the store is scratch until it is renamed into the output
   * whole, so the output name never holds half an image; making it durable is the caller's choice
   * (sync). The fsync cost a quarter of a 256 MiB FAT build.
   */
  flush(): void {}
  /** Closing twice is allowed (a host that renamed the store into the output closed it already). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
  private closed = false;
}

/**
 * A file written as a raw image: data at offsets, size set with ftruncate (holes stay holes).
 * `'w'` creates a new file exclusively (never through an existing path or symlink; removed when
 * the process ends unless renamed); `'r+'` opens an existing one (an in-place base, a device).
 */
export class FileSink implements SeekableSink {
  private readonly fd: number;
  constructor(readonly path: string, flags: 'w' | 'r+' | { fd: number } = 'w') {
    if (typeof flags === 'object') this.fd = flags.fd;
    else if (flags === 'w') this.fd = createOwnedFile(path, 0o644, EXCLUSIVE_W);
    else {
      try {
        this.fd = fs.openSync(path, 'r+');
      } catch (e) {
        throw new PartwrightError(ErrorCode.Io, `Cannot open ${path} for writing: ${(e as Error).message}`, { where: path });
      }
    }
  }
  /** A sink over a descriptor the caller opened and closes. */
  static fromFd(fd: number, path: string): FileSink {
    return new FileSink(path, { fd });
  }
  write(offsetBytes: number, data: Uint8Array): void {
    writeFully(this.fd, offsetBytes, data, this.path);
  }
  setSize(sizeBytes: number): void {
    fs.ftruncateSync(this.fd, sizeBytes);
  }
  flush(): void {
    // Block devices and regular files both take fsync; a pipe does not, and needs nothing.
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw ioError(e, 'sync', this.path);
    }
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}
