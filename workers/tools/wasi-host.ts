/**
 * A small WASI preview1 host for the C tools in wasm/ (mke2fs first). Synchronous, DOM-free and
 * Node-free: it runs in a Web Worker and in Node alike. Its file system is virtual: directories,
 * files and symlinks are objects the caller provides (VfsNode), so an image can be a window onto a
 * SparseImage and input files are read only when the tool asks for their bytes.
 *
 * It implements the 28 imports mke2fs uses (wasi_snapshot_preview1, no threads, no sockets), plus
 * what a caller adds in the module "partwright" (`extensions`: mke2fs's host data copy). Reads
 * and writes always move the whole requested length (e2fsprogs' unix_io treats a short transfer as
 * an I/O error, and create_inode's copy loop silently skips the rest of a short read). One compiled
 * WebAssembly.Module can run many times: each run makes a fresh instance (C tools keep global state
 * and call exit()).
 */
import { wasmApi, type WasmImports } from './wasm-api.ts';

/** WASI errno values (wasi_snapshot_preview1 `errno`). */
export const Errno = {
  SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, FBIG: 22, INVAL: 28, IO: 29, ISDIR: 31, LOOP: 32, NAMETOOLONG: 37,
  NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76,
} as const;

/** `filetype` values. */
const FileType = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4, SYMBOLIC_LINK: 7 } as const;

const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
const LOOKUP_SYMLINK_FOLLOW = 1;
const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;
/** Every right bit preview1 defines (bits 0–29): this host does its own checks. */
const ALL_RIGHTS = (1n << 30n) - 1n;
/** wasi-libc asks for this right when a file is opened O_WRONLY or O_RDWR. */
const RIGHT_FD_WRITE = 1n << 6n;
/** Byte offsets in `filestat` (64 bytes). */
const FILESTAT = { dev: 0, ino: 8, filetype: 16, nlink: 24, size: 32, atim: 40, mtim: 48, ctim: 56 } as const;
/** Byte offsets in `dirent` (24 bytes, then the name). */
const DIRENT = { next: 0, ino: 8, namlen: 16, type: 20, headerBytes: 24 } as const;
const SYMLINK_DEPTH_MAX = 32;
/** Output kept from stdout/stderr (the tail is what explains a failure). */
const CAPTURE_BYTES_MAX = 1 << 20;

export interface VfsFile {
  readonly kind: 'file';
  readonly sizeBytes: number;
  readonly mtimeSeconds?: number;
  /** Fill `target` with the bytes at `offsetBytes`; the host never reads past sizeBytes. */
  read(offsetBytes: number, target: Uint8Array): void;
  /** Absent for read-only files. `data` is a view into the tool's memory: copy it if kept. */
  write?(offsetBytes: number, data: Uint8Array): void;
  /**
   * Present on files that may change size (a tool's output whose size only the tool knows, as
   * mkfs.erofs's image): ftruncate, O_TRUNC and writes past the end call it. Absent: fixed size.
   */
  resize?(sizeBytes: number): void;
}

export interface VfsSymlink {
  readonly kind: 'symlink';
  readonly target: string;
  readonly mtimeSeconds?: number;
}

export interface VfsDirectory {
  readonly kind: 'directory';
  readonly mtimeSeconds?: number;
  /** Entry names in the order readdir reports them. */
  names(): readonly string[];
  lookup(name: string): VfsNode | undefined;
}

export type VfsNode = VfsFile | VfsSymlink | VfsDirectory;

/** A read-only file held in memory (configuration, manifests). */
export function memoryFile(bytes: Uint8Array | string): VfsFile {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return {
    kind: 'file',
    sizeBytes: data.length,
    read: (offsetBytes, target) => target.set(data.subarray(offsetBytes, offsetBytes + target.length)),
  };
}

/** A directory whose entries are fixed when it is made. */
export function memoryDirectory(entries: Record<string, VfsNode>): VfsDirectory {
  const map = new Map(Object.entries(entries));
  const names = [...map.keys()];
  return { kind: 'directory', names: () => names, lookup: (name) => map.get(name) };
}

export interface WasiRunOptions {
  /** argv, including argv[0]. */
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Absolute guest paths ("/in") and the directories they show. */
  preopens: Readonly<Record<string, VfsDirectory>>;
  /** What clock_time_get returns (seconds since the epoch); fixed so runs are reproducible. */
  clockSeconds?: number;
  /** Source of random_get bytes; defaults to crypto.getRandomValues. */
  randomFill?: (target: Uint8Array) => void;
  /**
   * Imports beyond WASI, in the module "partwright" (a patched tool's shortcuts, as mke2fs's host
   * data copy), made per run with access to the guest. Each returns a WASI errno. Anything the
   * module imports from "partwright" that is not given answers ENOSYS, so the tool can fall back.
   */
  extensions?: (guest: WasiGuest) => Record<string, (...args: never[]) => number>;
}

/** What an extension sees of the running guest. */
export interface WasiGuest {
  /** A view of guest memory (valid until the guest next grows its memory). */
  bytes(ptr: number, length: number): Uint8Array;
  /** Store a little-endian 32-bit integer in guest memory. */
  setInt32(ptr: number, value: number): void;
  /** The file open as `fd`, if that is a regular file. */
  file(fd: number): VfsFile | undefined;
}

export interface WasiRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Thrown by proc_exit to unwind the guest. */
class WasiExit {
  constructor(readonly code: number) {}
}

interface OpenFile {
  node: VfsNode;
  /** Guest path of a preopen (fd_prestat_dir_name), else undefined. */
  preopenPath?: string;
  /** Ancestors of `node` up to its preopen root, for "..". */
  ancestors: VfsDirectory[];
  position: number;
  append: boolean;
  writable: boolean;
  /** Names snapshot for fd_readdir, taken at the first readdir. */
  names?: readonly string[];
}

class Capture {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private dropped = 0;
  push(data: Uint8Array): void {
    this.chunks.push(data.slice());
    this.bytes += data.length;
    while (this.bytes > CAPTURE_BYTES_MAX && this.chunks.length > 1) {
      const first = this.chunks.shift()!;
      this.bytes -= first.length;
      this.dropped += first.length;
    }
  }
  text(): string {
    const all = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    const body = new TextDecoder().decode(all);
    return this.dropped > 0 ? `[${this.dropped} bytes dropped]\n${body}` : body;
  }
}

const inodeNumbers = new WeakMap<object, bigint>();
let nextInode = 1n;
function inodeOf(node: object): bigint {
  let ino = inodeNumbers.get(node);
  if (ino === undefined) {
    ino = nextInode++;
    inodeNumbers.set(node, ino);
  }
  return ino;
}

function fileTypeOf(node: VfsNode): number {
  return node.kind === 'file' ? FileType.REGULAR_FILE : node.kind === 'directory' ? FileType.DIRECTORY : FileType.SYMBOLIC_LINK;
}

function sizeOf(node: VfsNode): number {
  return node.kind === 'file' ? node.sizeBytes : node.kind === 'symlink' ? new TextEncoder().encode(node.target).length : 4096;
}

type Resolved = { node: VfsNode; ancestors: VfsDirectory[] } | { errno: number };

/** Run a WASI command module once, in a fresh instance. */
export function runWasi(module: WebAssembly.Module, options: WasiRunOptions): WasiRunResult {
  const encoder = new TextEncoder();
  const args = options.args.map((a) => encoder.encode(`${a}\0`));
  const env = Object.entries(options.env ?? {}).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  const stdout = new Capture();
  const stderr = new Capture();
  const clockNs = options.clockSeconds === undefined ? undefined : BigInt(options.clockSeconds) * 1_000_000_000n;
  const randomFill = options.randomFill ?? ((t: Uint8Array) => crypto.getRandomValues(t));

  const fds = new Map<number, OpenFile>();
  let nextFd = 3;
  for (const [path, dir] of Object.entries(options.preopens)) {
    fds.set(nextFd++, { node: dir, preopenPath: path, ancestors: [], position: 0, append: false, writable: false });
  }

  let memory: { readonly buffer: ArrayBuffer } | undefined;
  const mem = () => {
    if (!memory) throw new Error('WASI host: the module exports no memory');
    return memory.buffer;
  };
  // One view over guest memory, made again only when the guest grew it (the old buffer is then
  // detached: length 0): reading memory.buffer on every call was a tenth of an ext4 build.
  let cached: DataView | undefined;
  const view = () => {
    if (!cached || cached.buffer.byteLength === 0 || !(cached.buffer instanceof ArrayBuffer)) cached = new DataView(mem());
    return cached;
  };
  const bytes = (ptr: number, len: number) => new Uint8Array(view().buffer, ptr, len);
  const readString = (ptr: number, len: number) => new TextDecoder().decode(bytes(ptr, len));

  /** The (ptr, len) pairs of an iovec array. */
  function iovecs(iovsPtr: number, iovsLen: number): Array<[number, number]> {
    const dv = view();
    const out: Array<[number, number]> = [];
    for (let i = 0; i < iovsLen; i++) out.push([dv.getUint32(iovsPtr + i * 8, true), dv.getUint32(iovsPtr + i * 8 + 4, true)]);
    return out;
  }

  function resolve(dirFd: number, path: string, followLast: boolean): Resolved {
    const base = fds.get(dirFd);
    if (!base) return { errno: Errno.BADF };
    if (base.node.kind !== 'directory') return { errno: Errno.NOTDIR };
    if (path.startsWith('/')) return { errno: Errno.NOTCAPABLE };
    return walk(base.node, [...base.ancestors], path.split('/'), followLast, 0);
  }

  function walk(start: VfsDirectory, ancestors: VfsDirectory[], parts: string[], followLast: boolean, depth: number): Resolved {
    let node: VfsNode = start;
    const stack = ancestors;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (part === '' || part === '.') continue;
      if (node.kind !== 'directory') return { errno: Errno.NOTDIR };
      if (part === '..') {
        const parent = stack.pop();
        if (!parent) return { errno: Errno.NOTCAPABLE };
        node = parent;
        continue;
      }
      const child: VfsNode | undefined = node.lookup(part);
      if (!child) return { errno: Errno.NOENT };
      if (child.kind === 'symlink' && (!last || followLast)) {
        if (depth >= SYMLINK_DEPTH_MAX) return { errno: Errno.LOOP };
        if (child.target.startsWith('/')) return { errno: Errno.NOTCAPABLE };
        const r = walk(node, [...stack], child.target.split('/'), true, depth + 1);
        if ('errno' in r) return r;
        if (last) return r;
        if (r.node.kind !== 'directory') return { errno: Errno.NOTDIR };
        stack.splice(0, stack.length, ...r.ancestors);
        node = r.node;
        continue;
      }
      if (child.kind === 'directory') stack.push(node);
      node = child;
    }
    // `stack` now holds the directories above `node`, up to the preopen root.
    return { node, ancestors: stack };
  }

  function writeFilestat(ptr: number, node: VfsNode): void {
    const dv = view();
    bytes(ptr, 64).fill(0);
    const t = BigInt(node.mtimeSeconds ?? 0) * 1_000_000_000n;
    dv.setBigUint64(ptr + FILESTAT.dev, 1n, true);
    dv.setBigUint64(ptr + FILESTAT.ino, inodeOf(node), true);
    dv.setUint8(ptr + FILESTAT.filetype, fileTypeOf(node));
    dv.setBigUint64(ptr + FILESTAT.nlink, 1n, true);
    dv.setBigUint64(ptr + FILESTAT.size, BigInt(sizeOf(node)), true);
    dv.setBigUint64(ptr + FILESTAT.atim, t, true);
    dv.setBigUint64(ptr + FILESTAT.mtim, t, true);
    dv.setBigUint64(ptr + FILESTAT.ctim, t, true);
  }

  /** Read `len` bytes at `offset` into guest memory; returns bytes moved (short only at EOF). */
  function readFile(file: VfsFile, offset: number, ptr: number, len: number): number {
    const n = Math.max(0, Math.min(len, file.sizeBytes - offset));
    if (n > 0) file.read(offset, bytes(ptr, n));
    return n;
  }

  function doRead(f: OpenFile, iovs: Array<[number, number]>, offset: number): number | { errno: number } {
    if (f.node.kind === 'directory') return { errno: Errno.ISDIR };
    if (f.node.kind !== 'file') return { errno: Errno.INVAL };
    let total = 0;
    for (const [ptr, len] of iovs) {
      const n = readFile(f.node, offset + total, ptr, len);
      total += n;
      if (n < len) break;
    }
    return total;
  }

  function doWrite(f: OpenFile, iovs: Array<[number, number]>, offset: number): number | { errno: number } {
    if (f.node.kind !== 'file') return { errno: Errno.BADF };
    const file = f.node;
    if (!f.writable || !file.write) return { errno: Errno.BADF };
    let total = 0;
    for (const [ptr, len] of iovs) {
      if (len === 0) continue;
      if (offset + total + len > file.sizeBytes) {
        if (!file.resize) return { errno: Errno.FBIG };
        file.resize(offset + total + len);
      }
      file.write(offset + total, bytes(ptr, len));
      total += len;
    }
    return total;
  }

  const stdio = (fd: number) => fd === 1 ? stdout : fd === 2 ? stderr : undefined;

  const wasi: Record<string, (...a: never[]) => number | void> = {
    args_get(argvPtr: number, bufPtr: number): number {
      const dv = view();
      for (const a of args) {
        dv.setUint32(argvPtr, bufPtr, true);
        argvPtr += 4;
        bytes(bufPtr, a.length).set(a);
        bufPtr += a.length;
      }
      return Errno.SUCCESS;
    },
    args_sizes_get(countPtr: number, sizePtr: number): number {
      view().setUint32(countPtr, args.length, true);
      view().setUint32(sizePtr, args.reduce((n, a) => n + a.length, 0), true);
      return Errno.SUCCESS;
    },
    environ_get(envPtr: number, bufPtr: number): number {
      const dv = view();
      for (const e of env) {
        dv.setUint32(envPtr, bufPtr, true);
        envPtr += 4;
        bytes(bufPtr, e.length).set(e);
        bufPtr += e.length;
      }
      return Errno.SUCCESS;
    },
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      view().setUint32(countPtr, env.length, true);
      view().setUint32(sizePtr, env.reduce((n, e) => n + e.length, 0), true);
      return Errno.SUCCESS;
    },
    clock_time_get(_id: number, _precision: bigint, timePtr: number): number {
      const ns = clockNs ?? BigInt(Date.now()) * 1_000_000n;
      view().setBigUint64(timePtr, ns, true);
      return Errno.SUCCESS;
    },
    fd_advise(): number {
      return Errno.SUCCESS;
    },
    fd_close(fd: number): number {
      const f = fds.get(fd);
      if (!f || f.preopenPath !== undefined) return f ? Errno.SUCCESS : Errno.BADF;
      fds.delete(fd);
      return Errno.SUCCESS;
    },
    fd_fdstat_get(fd: number, ptr: number): number {
      const dv = view();
      let type: number;
      if (fd <= 2) type = FileType.CHARACTER_DEVICE;
      else {
        const f = fds.get(fd);
        if (!f) return Errno.BADF;
        type = fileTypeOf(f.node);
      }
      bytes(ptr, 24).fill(0);
      dv.setUint8(ptr, type);
      // All rights, so wasi-libc's isatty() (a character device without seek/tell) says "no".
      dv.setBigUint64(ptr + 8, ALL_RIGHTS, true);
      dv.setBigUint64(ptr + 16, ALL_RIGHTS, true);
      return Errno.SUCCESS;
    },
    fd_fdstat_set_flags(): number {
      return Errno.SUCCESS;
    },
    fd_filestat_get(fd: number, ptr: number): number {
      if (fd <= 2) {
        bytes(ptr, 64).fill(0);
        view().setUint8(ptr + FILESTAT.filetype, FileType.CHARACTER_DEVICE);
        return Errno.SUCCESS;
      }
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      writeFilestat(ptr, f.node);
      return Errno.SUCCESS;
    },
    fd_filestat_set_size(fd: number, size: bigint): number {
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      if (f.node.kind !== 'file') return Errno.INVAL;
      if (BigInt(f.node.sizeBytes) === size) return Errno.SUCCESS;
      if (!f.node.resize || !f.writable) return Errno.NOTSUP;
      f.node.resize(Number(size));
      return Errno.SUCCESS;
    },
    fd_pread(fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nreadPtr: number): number {
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      const r = doRead(f, iovecs(iovsPtr, iovsLen), Number(offset));
      if (typeof r !== 'number') return r.errno;
      view().setUint32(nreadPtr, r, true);
      return Errno.SUCCESS;
    },
    fd_pwrite(fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number {
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      const r = doWrite(f, iovecs(iovsPtr, iovsLen), Number(offset));
      if (typeof r !== 'number') return r.errno;
      view().setUint32(nwrittenPtr, r, true);
      return Errno.SUCCESS;
    },
    fd_read(fd: number, iovsPtr: number, iovsLen: number, nreadPtr: number): number {
      if (fd === 0) {
        view().setUint32(nreadPtr, 0, true);
        return Errno.SUCCESS;
      }
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      const r = doRead(f, iovecs(iovsPtr, iovsLen), f.position);
      if (typeof r !== 'number') return r.errno;
      f.position += r;
      view().setUint32(nreadPtr, r, true);
      return Errno.SUCCESS;
    },
    fd_write(fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): number {
      const capture = stdio(fd);
      if (capture) {
        let total = 0;
        for (const [ptr, len] of iovecs(iovsPtr, iovsLen)) {
          capture.push(bytes(ptr, len));
          total += len;
        }
        view().setUint32(nwrittenPtr, total, true);
        return Errno.SUCCESS;
      }
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      if (f.append && f.node.kind === 'file') f.position = f.node.sizeBytes;
      const r = doWrite(f, iovecs(iovsPtr, iovsLen), f.position);
      if (typeof r !== 'number') return r.errno;
      f.position += r;
      view().setUint32(nwrittenPtr, r, true);
      return Errno.SUCCESS;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
      const f = fds.get(fd);
      if (!f) return fd <= 2 ? Errno.SPIPE : Errno.BADF;
      if (f.node.kind !== 'file') return Errno.INVAL;
      const base = whence === WHENCE.SET ? 0 : whence === WHENCE.CUR ? f.position : whence === WHENCE.END ? f.node.sizeBytes : NaN;
      const pos = base + Number(offset);
      if (!Number.isSafeInteger(pos) || pos < 0) return Errno.INVAL;
      f.position = pos;
      view().setBigUint64(newOffsetPtr, BigInt(pos), true);
      return Errno.SUCCESS;
    },
    fd_sync(fd: number): number {
      return fds.has(fd) ? Errno.SUCCESS : Errno.BADF;
    },
    fd_prestat_get(fd: number, ptr: number): number {
      const f = fds.get(fd);
      if (!f || f.preopenPath === undefined) return Errno.BADF;
      view().setUint32(ptr, 0, true);
      view().setUint32(ptr + 4, encoder.encode(f.preopenPath).length, true);
      return Errno.SUCCESS;
    },
    fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
      const f = fds.get(fd);
      if (!f || f.preopenPath === undefined) return Errno.BADF;
      const name = encoder.encode(f.preopenPath);
      bytes(ptr, Math.min(len, name.length)).set(name.subarray(0, len));
      return Errno.SUCCESS;
    },
    fd_readdir(fd: number, bufPtr: number, bufLen: number, cookie: bigint, usedPtr: number): number {
      const f = fds.get(fd);
      if (!f) return Errno.BADF;
      if (f.node.kind !== 'directory') return Errno.NOTDIR;
      const dir = f.node;
      const names = (f.names ??= ['.', '..', ...dir.names()]);
      let used = 0;
      for (let i = Number(cookie); i < names.length && used < bufLen; i++) {
        const name = encoder.encode(names[i]!);
        const child = i === 0 ? dir : i === 1 ? (f.ancestors.at(-1) ?? dir) : dir.lookup(names[i]!);
        const entry = new Uint8Array(DIRENT.headerBytes + name.length);
        const dv = new DataView(entry.buffer);
        dv.setBigUint64(DIRENT.next, BigInt(i + 1), true);
        dv.setBigUint64(DIRENT.ino, child ? inodeOf(child) : 0n, true);
        dv.setUint32(DIRENT.namlen, name.length, true);
        dv.setUint8(DIRENT.type, child ? fileTypeOf(child) : FileType.UNKNOWN);
        entry.set(name, DIRENT.headerBytes);
        const n = Math.min(entry.length, bufLen - used);
        bytes(bufPtr + used, n).set(entry.subarray(0, n));
        used += n;
      }
      view().setUint32(usedPtr, used, true);
      return Errno.SUCCESS;
    },
    path_filestat_get(fd: number, flags: number, pathPtr: number, pathLen: number, ptr: number): number {
      const r = resolve(fd, readString(pathPtr, pathLen), (flags & LOOKUP_SYMLINK_FOLLOW) !== 0);
      if ('errno' in r) return r.errno;
      writeFilestat(ptr, r.node);
      return Errno.SUCCESS;
    },
    path_open(fd: number, dirFlags: number, pathPtr: number, pathLen: number, oflags: number,
      rightsBase: bigint, _rightsInheriting: bigint, fdFlags: number, fdPtr: number): number {
      const path = readString(pathPtr, pathLen);
      const r = resolve(fd, path, (dirFlags & LOOKUP_SYMLINK_FOLLOW) !== 0);
      if ('errno' in r) {
        if (r.errno === Errno.NOENT && (oflags & OFLAGS.CREAT) !== 0) return Errno.ROFS;
        return r.errno;
      }
      // O_EXCL without O_CREAT is how e2fsprogs opens its target ("not mounted elsewhere"): allowed.
      if ((oflags & OFLAGS.CREAT) !== 0 && (oflags & OFLAGS.EXCL) !== 0) return Errno.EXIST;
      if ((oflags & OFLAGS.DIRECTORY) !== 0 && r.node.kind !== 'directory') return Errno.NOTDIR;
      const wantsWrite = (rightsBase & RIGHT_FD_WRITE) !== 0n;
      if ((oflags & OFLAGS.TRUNC) !== 0) {
        if (r.node.kind !== 'file' || !r.node.write) return Errno.ROFS;
        if (r.node.sizeBytes !== 0) {
          if (!r.node.resize) return Errno.NOTSUP;
          r.node.resize(0);
        }
      }
      const writable = r.node.kind === 'file' && r.node.write !== undefined && wantsWrite;
      const newFd = nextFd++;
      fds.set(newFd, { node: r.node, ancestors: r.ancestors, position: 0, append: (fdFlags & 1) !== 0, writable });
      view().setUint32(fdPtr, newFd, true);
      return Errno.SUCCESS;
    },
    path_readlink(fd: number, pathPtr: number, pathLen: number, bufPtr: number, bufLen: number, usedPtr: number): number {
      const r = resolve(fd, readString(pathPtr, pathLen), false);
      if ('errno' in r) return r.errno;
      if (r.node.kind !== 'symlink') return Errno.INVAL;
      const target = encoder.encode(r.node.target);
      const n = Math.min(bufLen, target.length);
      bytes(bufPtr, n).set(target.subarray(0, n));
      view().setUint32(usedPtr, n, true);
      return Errno.SUCCESS;
    },
    path_link: () => Errno.ROFS,
    path_rename: () => Errno.ROFS,
    path_unlink_file: () => Errno.ROFS,
    proc_exit(code: number): void {
      throw new WasiExit(code);
    },
    random_get(ptr: number, len: number): number {
      for (let done = 0; done < len; done += 65536) randomFill(bytes(ptr + done, Math.min(65536, len - done)));
      return Errno.SUCCESS;
    },
  };

  const guest: WasiGuest = {
    bytes,
    setInt32: (ptr, value) => view().setInt32(ptr, value, true),
    file: (fd) => {
      const node = fds.get(fd)?.node;
      return node?.kind === 'file' ? node : undefined;
    },
  };
  const extensions: Record<string, unknown> = options.extensions?.(guest) ?? {};
  const imports: WasmImports = {
    // Anything the module imports beyond these answers ENOSYS instead of failing to instantiate.
    wasi_snapshot_preview1: new Proxy(wasi, { get: (target, name: string) => target[name] ?? (() => Errno.NOSYS) }),
    partwright: new Proxy(extensions, { get: (target, name: string) => target[name] ?? (() => Errno.NOSYS) }),
  };
  const instance = new wasmApi.Instance(module, imports);
  memory = instance.exports['memory'] as { readonly buffer: ArrayBuffer };
  let exitCode = 0;
  try {
    (instance.exports['_start'] as () => void)();
  } catch (e) {
    if (e instanceof WasiExit) exitCode = e.code;
    else {
      const err = e instanceof Error ? e : new Error(String(e));
      throw Object.assign(err, { wasiStdout: stdout.text(), wasiStderr: stderr.text() });
    }
  }
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}
