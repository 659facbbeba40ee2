/**
 * Content archives (tar, cpio, zip, optionally gzip- or zstd-compressed) read as content trees: the
 * same shape as the engine's input trees (workers/build/input-tree.ts), declared here structurally so
 * formats/ imports nothing from build/. Readers are synchronous and read the archive through a
 * ByteSource at offsets, so an archive is never one buffer; decompressed bytes go to a host-given
 * ScratchStore (an OPFS file in the browser, memory in tests).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

/** Random-access bytes: the archive file (a Blob read with FileReaderSync, a file, memory). */
export interface ByteSource {
  readonly sizeBytes: number;
  /** Fill `target` with the bytes at `offsetBytes` (never past sizeBytes). */
  read(offsetBytes: number, target: Uint8Array): void;
}

/** Append-only space for decompressed bytes, read back at offsets. */
export interface ScratchStore {
  readonly sizeBytes: number;
  /** Appends `data` and returns the offset it was written at. */
  append(data: Uint8Array): number;
  read(offsetBytes: number, target: Uint8Array): void;
}

interface ArchiveMeta {
  name: string;
  /** Permission bits with setuid/setgid/sticky (the type is `kind`). */
  mode?: number;
  uid?: number;
  gid?: number;
  mtimeSeconds?: number;
}

export interface ArchiveFile extends ArchiveMeta {
  kind: 'file';
  sizeBytes: number;
  read(offsetBytes: number, target: Uint8Array): void;
}

export interface ArchiveDir extends ArchiveMeta {
  kind: 'dir';
  children: ArchiveEntry[];
}

export interface ArchiveSymlink extends ArchiveMeta {
  kind: 'symlink';
  target: string;
}

export type ArchiveEntry = ArchiveFile | ArchiveDir | ArchiveSymlink;

export type ArchiveFormat = 'tar' | 'cpio' | 'zip';
export type ArchiveCompression = 'none' | 'gzip' | 'zstd';

/** A streaming decompressor: push() the compressed bytes (any size), then end(); throws on bad input. */
export interface StreamDecoder {
  push(chunk: Uint8Array): void;
  end(): void;
}

/**
 * Decoders the host supplies, since formats/ loads no WASM: `zstd(onData)` makes one that hands each
 * decompressed block to `onData` as it is decoded (hosts: tools/zstd.ts's ZstdDecompressor).
 */
export interface ArchiveCodecs {
  zstd?: (onData: (block: Uint8Array) => void) => StreamDecoder;
}

/** What went wrong, as `detail.problem` of a `corrupt-archive` error. */
export const ArchiveProblem = {
  /** Not a tar, cpio or zip (after decompression). */
  UnknownFormat: 'unknown-format',
  /** A header's checksum (tar), magic (cpio) or CRC-32 (zip, cpio 070702) does not match. */
  BadChecksum: 'bad-checksum',
  /** The archive ends inside a header or an entry's data. */
  Truncated: 'truncated',
  /** A header field that cannot be read (not octal/hex, a size larger than the archive, …). */
  BadHeader: 'bad-header',
  /** An absolute path, a `..` component, or a path through a symlink: it would land outside the tree. */
  UnsafePath: 'unsafe-path',
  /** Two entries with the same path (a directory named twice is allowed). */
  Duplicate: 'duplicate',
  /** A device, FIFO, socket, sparse file or encrypted entry, which content trees cannot hold. */
  UnsupportedEntry: 'unsupported-entry',
  /** The gzip/zstd/deflate stream is corrupt. */
  Decompress: 'decompress',
} as const;
export type ArchiveProblem = (typeof ArchiveProblem)[keyof typeof ArchiveProblem];

/** A coded error naming the archive, the entry (when there is one) and the problem. */
export function archiveError(archive: string, problem: ArchiveProblem, message: string, entry?: string): PartwrightError {
  const where = entry === undefined ? archive : `${archive}: ${entry}`;
  return new PartwrightError(ErrorCode.CorruptArchive, `${where}: ${message}`, { where: archive, archive, problem, ...(entry !== undefined ? { entry } : {}) });
}

/** A ByteSource over bytes in memory (tests, small archives). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    sizeBytes: bytes.length,
    read(offsetBytes, target) {
      target.set(bytes.subarray(offsetBytes, offsetBytes + target.length));
    },
  };
}

/** A ScratchStore in memory, in chunks (tests; small archives in hosts without files). */
export function memoryScratch(): ScratchStore {
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  let sizeBytes = 0;
  return {
    get sizeBytes() {
      return sizeBytes;
    },
    append(data) {
      const at = sizeBytes;
      chunks.push({ at, bytes: data.slice() });
      sizeBytes += data.length;
      return at;
    },
    read(offsetBytes, target) {
      // Binary search for the first chunk holding offsetBytes.
      let lo = 0;
      let hi = chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (chunks[mid]!.at <= offsetBytes) lo = mid;
        else hi = mid - 1;
      }
      let done = 0;
      for (let i = lo; i < chunks.length && done < target.length; i++) {
        const c = chunks[i]!;
        const from = offsetBytes + done - c.at;
        const n = Math.min(c.bytes.length - from, target.length - done);
        if (n <= 0) continue;
        target.set(c.bytes.subarray(from, from + n), done);
        done += n;
      }
    },
  };
}

/** A window of a source (one entry's data inside the archive). */
export function sliceSource(source: ByteSource, offsetBytes: number, sizeBytes: number): ByteSource {
  return {
    sizeBytes,
    read(at, target) {
      source.read(offsetBytes + at, target);
    },
  };
}

/**
 * A source read through a window of `windowBytes`: the many small header reads of a tar or cpio
 * (512 or 110 bytes each) and sequential file reads become one read of the window each, which
 * matters where every read is a call into the host (FileReaderSync on a Blob slice). Reads as large
 * as the window go straight through.
 */
export function bufferedSource(source: ByteSource, windowBytes = 1 << 20): ByteSource {
  let window = new Uint8Array(0);
  let windowAt = 0;
  return {
    sizeBytes: source.sizeBytes,
    read(offsetBytes, target) {
      if (target.length >= windowBytes) return source.read(offsetBytes, target);
      if (offsetBytes < windowAt || offsetBytes + target.length > windowAt + window.length) {
        windowAt = offsetBytes;
        window = new Uint8Array(Math.min(windowBytes, source.sizeBytes - offsetBytes));
        source.read(windowAt, window);
      }
      target.set(window.subarray(offsetBytes - windowAt, offsetBytes - windowAt + target.length));
    },
  };
}
