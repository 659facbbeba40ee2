/**
 * ext4 filesystems made by the real mke2fs (e2fsprogs 1.47.0, wasm/e2fsprogs/mke2fs.wasm) under the
 * WASI host: the partition is a window onto the SparseImage (never a dense copy), the input tree is
 * preopened as /in and read lazily, and modes/owners/mtimes reach the image through the metadata
 * manifest of wasm/e2fsprogs/patches/0002. The same inputs give the same bytes: UUID, hash seed,
 * root owner, E2FSPROGS_FAKE_TIME, the clock and mke2fs.conf are all fixed here.
 */
import type { InputDir, InputEntry } from '../build/input-tree.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import { ErrorCode, isPartwrightError, PartwrightError } from '../model/errors.ts';
import { deriveUuid, normalizeUuid } from '../plan/uuid.ts';
import { MKE2FS_CONF } from './mke2fs-conf.ts';
import { Errno, memoryDirectory, memoryFile, runWasi, type VfsDirectory, type VfsFile, type VfsNode, type WasiGuest } from './wasi-host.ts';

/** systemd's EXT4_MINIMAL_SIZE (src/shared/resize-fs.h, v252): repart never makes a smaller ext4. */
export const EXT4_SIZE_MIN_BYTES = 1 << 20;
const DEFAULT_MODE = { file: 0o644, dir: 0o755, symlink: 0o777 } as const;

export interface Ext4Owner {
  uid: number;
  gid: number;
}

export interface FormatExt4Options {
  /** mke2fs.wasm compiled once by the host (Node: from disk; browser: fetched). */
  module: WebAssembly.Module;
  /** Where the partition starts in the image. */
  offsetBytes: number;
  /** Partition size; a multiple of the block size. */
  sizeBytes: number;
  /** Volume label (≤ 16 bytes; repart mangles longer ones before this). */
  label?: string;
  /** Filesystem UUID (repart: ext4UuidFromPartitionUuid of the partition's UUID). */
  uuid: string;
  /** Directory-hash seed (`-E hash_seed=`). */
  hashSeed: string;
  /** Owner of the root directory; default 0:0. */
  rootOwner?: Ext4Owner;
  /** Filesystem timestamps and the upper bound of every file time (SOURCE_DATE_EPOCH). */
  sourceDateEpoch: number;
  /** Contents copied in (`mke2fs -d`). Missing modes default to 0644/0755/0777, owners to 0:0. */
  tree?: InputDir;
  /** 4096 unless told (repart and Debian's mke2fs.conf default). */
  blockSizeBytes?: 1024 | 2048 | 4096;
}

export interface FormatExt4Result {
  uuid: string;
  blockSizeBytes: number;
  blockCount: number;
  /** mke2fs's own output (warnings), for logs. */
  stdout: string;
  stderr: string;
}

/** repart's filesystem UUID: v4(HMAC-SHA256(key = partition UUID, "file-system-uuid")). */
export function ext4UuidFromPartitionUuid(partitionUuid: string): string {
  return deriveUuid(partitionUuid, 'file-system-uuid');
}

/**
 * True when every byte is zero. mke2fs zeroes inode tables and the journal in large writes, so this
 * runs over tens of MiB: an indexed loop over 32-bit words, OR-ed in blocks of 256 so non-zero data
 * exits early (a for…of over a typed array was 12.6% of an ext4 build's profile).
 */
function isAllZero(data: Uint8Array): boolean {
  let i = 0;
  if (data.byteOffset % 4 === 0) {
    const words = new Int32Array(data.buffer, data.byteOffset, data.length >>> 2);
    const n = words.length;
    let w = 0;
    while (w < n) {
      const end = Math.min(n, w + 256);
      let acc = 0;
      for (; w < end; w++) acc |= words[w]!;
      if (acc !== 0) return false;
    }
    i = n * 4;
  }
  for (; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** Granularity of the write-back buffer (ext4's block size; smaller blocks share a page). */
const PAGE_BYTES = 4096;
/** Written bytes held back before they go to the image, sorted and merged. */
const PENDING_BYTES_MAX = 32 << 20;
/** Largest single write the image is given. */
const BATCH_BYTES_MAX = 1 << 20;
/** Writes this large (file data placed by patch 0003) go to the image as they are. */
const DIRECT_BYTES_MIN = 64 << 10;

/**
 * The partition as a WASI file over the SparseImage (which copies what it is given). mke2fs writes
 * one 4 KiB metadata block at a time, most of them many times over (an inode table block once per
 * file it holds), and reads some back; file data arrives in runs (patch 0003). Writes smaller than
 * 64 KiB go into a write-back buffer of 4 KiB pages first, reads are answered from it, and up to
 * 32 MiB at a time it goes to the image in address order, adjacent pages merged into writes of up
 * to 1 MiB, so a file- or OPFS-backed store sees few, large writes and no rewrites; larger writes
 * that touch no held page go straight to the image. A write of zeros into a range that holds
 * no data (pending or stored) is skipped: it reads back the same, and mke2fs zeroes its journal (up
 * to 1 GiB) and every block it allocates that way. Call flush() when the tool is done.
 */
export class PartitionFile implements VfsFile {
  readonly kind = 'file';
  private readonly pages = new Map<number, Uint8Array>();
  private readonly spare: Uint8Array[] = [];
  private batch: Uint8Array | undefined;

  constructor(private readonly image: SparseImage, private readonly offsetBytes: number, readonly sizeBytes: number) {}

  read(pos: number, target: Uint8Array): void {
    if (this.pages.size === 0) {
      this.image.readInto(this.offsetBytes + pos, target);
      return;
    }
    let done = 0;
    while (done < target.length) {
      const at = pos + done;
      const index = Math.floor(at / PAGE_BYTES);
      const within = at - index * PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - within, target.length - done);
      const page = this.pages.get(index);
      if (page) {
        target.set(page.subarray(within, within + n), done);
        done += n;
        continue;
      }
      // Pages not held here are read from the image together.
      let end = done + n;
      while (end < target.length && !this.pages.has(Math.floor((pos + end) / PAGE_BYTES))) end = Math.min(target.length, end + PAGE_BYTES);
      this.image.readInto(this.offsetBytes + at, target.subarray(done, end));
      done = end;
    }
  }

  write(pos: number, data: Uint8Array): void {
    const held = this.holdsAny(pos, data.length);
    if (!held && isAllZero(data) && this.image.dataRanges(this.offsetBytes + pos, data.length).length === 0) return;
    if (!held && data.length >= DIRECT_BYTES_MIN) {
      this.image.write(this.offsetBytes + pos, data);
      return;
    }
    let done = 0;
    while (done < data.length) {
      const at = pos + done;
      const index = Math.floor(at / PAGE_BYTES);
      const within = at - index * PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - within, data.length - done);
      let page = this.pages.get(index);
      if (!page) {
        page = this.spare.pop() ?? new Uint8Array(PAGE_BYTES);
        // A page written in part keeps what the image holds around the write.
        if (n < PAGE_BYTES) {
          const have = Math.min(PAGE_BYTES, this.sizeBytes - index * PAGE_BYTES);
          this.image.readInto(this.offsetBytes + index * PAGE_BYTES, page.subarray(0, have));
          page.fill(0, have);
        }
        this.pages.set(index, page);
      }
      page.set(data.subarray(done, done + n), within);
      done += n;
    }
    if (this.pages.size * PAGE_BYTES >= PENDING_BYTES_MAX) this.flush();
  }

  /** Send everything held back to the image. */
  flush(): void {
    if (this.pages.size === 0) return;
    const batch = (this.batch ??= new Uint8Array(BATCH_BYTES_MAX));
    const indexes = [...this.pages.keys()].sort((a, b) => a - b);
    for (let i = 0; i < indexes.length;) {
      const first = indexes[i]!;
      let n = 0;
      for (; i < indexes.length && indexes[i] === first + n / PAGE_BYTES && n < BATCH_BYTES_MAX; i++, n += PAGE_BYTES) {
        const page = this.pages.get(indexes[i]!)!;
        batch.set(page, n);
        this.spare.push(page);
      }
      const start = first * PAGE_BYTES;
      this.image.write(this.offsetBytes + start, batch.subarray(0, Math.min(n, this.sizeBytes - start)));
    }
    this.pages.clear();
  }

  /** Whether any byte of the range is held back here. */
  private holdsAny(pos: number, length: number): boolean {
    if (this.pages.size === 0 || length === 0) return false;
    const first = Math.floor(pos / PAGE_BYTES);
    const last = Math.floor((pos + length - 1) / PAGE_BYTES);
    if (last - first < this.pages.size) {
      for (let i = first; i <= last; i++) if (this.pages.has(i)) return true;
      return false;
    }
    for (const i of this.pages.keys()) if (i >= first && i <= last) return true;
    return false;
  }
}

/** The most a data_scan call reads (patch 0003's PW_CHUNK_BYTES). */
const DATA_CHUNK_BYTES_MAX = 1 << 20;

/**
 * The host half of wasm/e2fsprogs/patches/0003: file contents go from the input straight to the
 * partition without passing through the guest. data_scan reads a chunk of an open input file into
 * a host buffer and marks its all-zero blocks (mke2fs leaves those as holes); the guest allocates
 * the other blocks and data_place writes slices of the buffer where they went. The last block of a
 * file is padded with zeros, as ext2fs_file_write pads it.
 */
export function hostDataCopy(partition: VfsFile & { write(offsetBytes: number, data: Uint8Array): void }) {
  const chunk = new Uint8Array(DATA_CHUNK_BYTES_MAX);
  let chunkBytes = 0;
  return (guest: WasiGuest) => ({
    data_scan(fd: number, offset: bigint, length: number, blockBytes: number, zeroMapPtr: number, gotPtr: number): number {
      const file = guest.file(fd);
      if (!file) return Errno.BADF;
      const pos = Number(offset);
      if (length < 0 || length > DATA_CHUNK_BYTES_MAX || blockBytes <= 0 || blockBytes > DATA_CHUNK_BYTES_MAX || pos < 0) return Errno.INVAL;
      const got = Math.max(0, Math.min(length, file.sizeBytes - pos));
      const blocks = Math.ceil(got / blockBytes);
      chunkBytes = Math.min(DATA_CHUNK_BYTES_MAX, blocks * blockBytes);
      file.read(pos, chunk.subarray(0, got));
      chunk.fill(0, got, chunkBytes);
      const zeroMap = guest.bytes(zeroMapPtr, blocks);
      for (let b = 0; b < blocks; b++) zeroMap[b] = isAllZero(chunk.subarray(b * blockBytes, Math.min(got, (b + 1) * blockBytes))) ? 1 : 0;
      guest.setInt32(gotPtr, got);
      return Errno.SUCCESS;
    },
    data_place(chunkOffset: number, length: number, deviceOffset: bigint): number {
      const at = Number(deviceOffset);
      if (chunkOffset < 0 || length < 0 || chunkOffset + length > chunkBytes) return Errno.INVAL;
      if (at < 0 || at + length > partition.sizeBytes) return Errno.FBIG;
      partition.write(at, chunk.subarray(chunkOffset, chunkOffset + length));
      return Errno.SUCCESS;
    },
  });
}

function clampTime(seconds: number | undefined, epoch: number): number {
  return seconds === undefined ? epoch : Math.min(Math.max(0, Math.floor(seconds)), epoch);
}

/** The input tree as WASI directories (children looked up by name, built on first use). */
function treeDirectory(dir: InputDir, epoch: number): VfsDirectory {
  let children: Map<string, VfsNode> | undefined;
  const mtimeSeconds = clampTime(dir.mtimeSeconds, epoch);
  const table = () => {
    if (!children) {
      children = new Map();
      for (const c of dir.children) {
        if (c.name === '' || c.name === '.' || c.name === '..' || c.name.includes('/')) {
          throw new PartwrightError(ErrorCode.InvalidSpec, `"${c.name}" is not a valid file name in an ext4 file system.`);
        }
        if (children.has(c.name)) throw new PartwrightError(ErrorCode.InvalidSpec, `Two entries named "${c.name}" in one directory.`);
        children.set(c.name, treeNode(c, epoch));
      }
    }
    return children;
  };
  return { kind: 'directory', mtimeSeconds, names: () => [...table().keys()], lookup: (name) => table().get(name) };
}

function treeNode(entry: InputEntry, epoch: number): VfsNode {
  const mtimeSeconds = clampTime(entry.mtimeSeconds, epoch);
  if (entry.kind === 'dir') return treeDirectory(entry, epoch);
  if (entry.kind === 'symlink') return { kind: 'symlink', target: entry.target, mtimeSeconds };
  return { kind: 'file', sizeBytes: entry.sizeBytes, mtimeSeconds, read: (pos, target) => entry.read(pos, target) };
}

/**
 * The metadata manifest patch 0002 reads: "<octal mode> <uid> <gid> <mtime> <path>\0" for every
 * entry below the root, times clamped to SOURCE_DATE_EPOCH.
 */
export function encodeMetadataManifest(root: InputDir, sourceDateEpoch: number): Uint8Array {
  const parts: string[] = [];
  const visit = (dir: InputDir, prefix: string) => {
    for (const e of dir.children) {
      const path = `${prefix}/${e.name}`;
      const mode = (e.mode ?? DEFAULT_MODE[e.kind]) & 0o7777;
      parts.push(`${mode.toString(8)} ${e.uid ?? 0} ${e.gid ?? 0} ${clampTime(e.mtimeSeconds, sourceDateEpoch)} ${path}\0`);
      if (e.kind === 'dir') visit(e, path);
    }
  };
  visit(root, '');
  return new TextEncoder().encode(parts.join(''));
}

/** The mke2fs command line: systemd-repart's (mkfs-util.c, v252) plus what makes it reproducible. */
export function mke2fsArgs(options: Omit<FormatExt4Options, 'module'>, devicePath: string, sourcePath?: string): string[] {
  const blockSizeBytes = options.blockSizeBytes ?? 4096;
  const owner = options.rootOwner ?? { uid: 0, gid: 0 };
  const extended = ['nodiscard', 'lazy_itable_init=1', `hash_seed=${normalizeUuid(options.hashSeed)}`, `root_owner=${owner.uid}:${owner.gid}`];
  return [
    '-t', 'ext4', '-q', '-F',
    '-L', options.label ?? '',
    '-U', normalizeUuid(options.uuid),
    '-I', '256', '-O', 'has_journal', '-m', '0',
    '-E', extended.join(','),
    '-T', 'default', '-b', String(blockSizeBytes),
    ...(sourcePath ? ['-d', sourcePath] : []),
    devicePath, String(options.sizeBytes / blockSizeBytes),
  ];
}

function validate(image: SparseImage, o: FormatExt4Options): void {
  const blockSizeBytes = o.blockSizeBytes ?? 4096;
  if (!Number.isSafeInteger(o.offsetBytes) || o.offsetBytes < 0 || !Number.isSafeInteger(o.sizeBytes) || o.offsetBytes + o.sizeBytes > image.sizeBytes) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `ext4 partition at ${o.offsetBytes} of ${o.sizeBytes} bytes does not lie inside the ${image.sizeBytes}-byte image.`);
  }
  if (o.sizeBytes % blockSizeBytes !== 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `ext4 partition size ${o.sizeBytes} is not a multiple of the ${blockSizeBytes}-byte block size.`);
  }
  if (o.sizeBytes < EXT4_SIZE_MIN_BYTES) {
    throw new PartwrightError(ErrorCode.DoesNotFit, `An ext4 file system needs at least ${EXT4_SIZE_MIN_BYTES} bytes; the partition has ${o.sizeBytes}.`);
  }
  if (new TextEncoder().encode(o.label ?? '').length > 16) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `ext4 label "${o.label}" is longer than 16 bytes.`);
  }
  if (!Number.isSafeInteger(o.sourceDateEpoch) || o.sourceDateEpoch < 0 || o.sourceDateEpoch > 0xffffffff) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `SOURCE_DATE_EPOCH ${o.sourceDateEpoch} is not a time mke2fs can record.`);
  }
}

/** Make an ext4 filesystem in `image` at `offsetBytes` and copy `tree` into it. Throws with mke2fs's output on failure. */
export function formatExt4(image: SparseImage, options: FormatExt4Options): FormatExt4Result {
  validate(image, options);
  const blockSizeBytes = options.blockSizeBytes ?? 4096;
  // Start from a hole: the result must not depend on what the window held before (mke2fs with
  // nodiscard would leave old bytes in unused blocks and uninitialised inode tables). Only ranges
  // holding data are discarded: a file store zeroes what it is told to discard.
  for (const r of image.dataRanges(options.offsetBytes, options.sizeBytes)) image.discard(r.offsetBytes, r.sizeBytes);
  const partition = new PartitionFile(image, options.offsetBytes, options.sizeBytes);
  const control = memoryDirectory({
    'mke2fs.conf': memoryFile(MKE2FS_CONF),
    ...(options.tree ? { metadata: memoryFile(encodeMetadataManifest(options.tree, options.sourceDateEpoch)) } : {}),
    partition,
  });
  const preopens: Record<string, VfsDirectory> = { '/pw': control };
  if (options.tree) preopens['/in'] = treeDirectory(options.tree, options.sourceDateEpoch);
  const env: Record<string, string> = {
    MKE2FS_CONFIG: '/pw/mke2fs.conf',
    E2FSPROGS_FAKE_TIME: String(options.sourceDateEpoch),
    LC_ALL: 'C',
    TZ: 'UTC',
  };
  if (options.tree) env['E2FS_METADATA'] = '/pw/metadata';
  const args = ['mke2fs', ...mke2fsArgs(options, '/pw/partition', options.tree ? '/in' : undefined)];

  let result;
  try {
    result = runWasi(options.module, { args, env, preopens, clockSeconds: options.sourceDateEpoch, extensions: hostDataCopy(partition) });
  } catch (e) {
    // The image store or an input failed (already a PartwrightError), or the tool trapped (abort()).
    if (isPartwrightError(e)) throw e;
    const stderr = String((e as { wasiStderr?: string }).wasiStderr ?? '').trim();
    throw new PartwrightError(ErrorCode.Io, `mke2fs stopped with an internal error (${e instanceof Error ? e.message : String(e)})${stderr ? `: ${stderr}` : ''}`, { tool: 'mke2fs', stderr, args });
  } finally {
    partition.flush();
  }
  if (result.exitCode !== 0) {
    const output = [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join('\n');
    throw new PartwrightError(
      ErrorCode.Io,
      `mke2fs failed (exit status ${result.exitCode}) making ext4 "${options.label ?? ''}": ${output || 'no output'}`,
      { tool: 'mke2fs', exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, args },
    );
  }
  return {
    uuid: normalizeUuid(options.uuid),
    blockSizeBytes,
    blockCount: options.sizeBytes / blockSizeBytes,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
