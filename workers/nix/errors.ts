/**
 * What can go wrong while fetching a Nix closure from binary caches, as coded errors. Every failure
 * is a `NixError` (a `PartwrightError`) with `problem` naming the case; messages name the store path
 * and, for signatures, the key, so a user knows which cache or key to fix.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

export const NixProblem = {
  /** A store path or its name is not well formed. */
  BadStorePath: 'bad-store-path',
  /** A `NAME:BASE64` trusted key is malformed. */
  BadKey: 'bad-key',
  /** `nix-cache-info` or a `.narinfo` is not well formed. */
  BadNarInfo: 'bad-narinfo',
  /** A cache's `StoreDir` is not `/nix/store`. */
  WrongStoreDir: 'wrong-store-dir',
  /** The narinfo carries no `Sig:` line. */
  Unsigned: 'unsigned',
  /** The narinfo is signed, but by no trusted key. */
  UntrustedKey: 'untrusted-key',
  /** A signature by a trusted key does not verify over the fingerprint. */
  BadSignature: 'bad-signature',
  /** The narinfo's `StorePath` is not the path that was asked for. */
  StorePathMismatch: 'store-path-mismatch',
  /** The decompressed NAR's SHA-256 is not the narinfo's `NarHash`. */
  NarHashMismatch: 'nar-hash-mismatch',
  /** The decompressed NAR's length is not the narinfo's `NarSize`. */
  NarSizeMismatch: 'nar-size-mismatch',
  /** The downloaded file's length is not the narinfo's `FileSize`. */
  FileSizeMismatch: 'file-size-mismatch',
  /** The NAR stream is malformed (bad token, bad padding, truncated, trailing bytes). */
  BadNar: 'bad-nar',
  /** A NAR entry name is empty, `.`, `..`, or holds `/` or NUL. */
  BadEntryName: 'bad-entry-name',
  /** A NAR directory holds the same name twice. */
  DuplicateEntry: 'duplicate-entry',
  /** A NAR directory's entries are not in byte order. */
  UnsortedEntries: 'unsorted-entries',
  /** Decompression failed (corrupt zstd/xz stream). */
  Decompress: 'decompress',
  /** The narinfo's `Compression` is one this client cannot decompress. */
  UnsupportedCompression: 'unsupported-compression',
  /** No configured cache has the path. */
  NotFound: 'not-found',
  /** An HTTP request failed (status other than 200/404, or a network error). */
  Http: 'http',
  /** The caller aborted. */
  Aborted: 'aborted',
} as const;
export type NixProblem = (typeof NixProblem)[keyof typeof NixProblem];

const BASE_CODE: Record<NixProblem, ErrorCode> = {
  'bad-store-path': ErrorCode.InvalidSpec,
  'bad-key': ErrorCode.InvalidSpec,
  'bad-narinfo': ErrorCode.Io,
  'wrong-store-dir': ErrorCode.Unsupported,
  unsigned: ErrorCode.Io,
  'untrusted-key': ErrorCode.Io,
  'bad-signature': ErrorCode.Io,
  'store-path-mismatch': ErrorCode.Io,
  'nar-hash-mismatch': ErrorCode.Io,
  'nar-size-mismatch': ErrorCode.Io,
  'file-size-mismatch': ErrorCode.Io,
  'bad-nar': ErrorCode.Io,
  'bad-entry-name': ErrorCode.Io,
  'duplicate-entry': ErrorCode.Io,
  'unsorted-entries': ErrorCode.Io,
  decompress: ErrorCode.Io,
  'unsupported-compression': ErrorCode.Unsupported,
  'not-found': ErrorCode.Io,
  http: ErrorCode.Io,
  aborted: ErrorCode.Io,
};

export class NixError extends PartwrightError {
  readonly problem: NixProblem;
  constructor(problem: NixProblem, message: string, detail: Record<string, unknown> = {}) {
    super(BASE_CODE[problem], message, { ...detail, problem });
    this.name = 'NixError';
    this.problem = problem;
  }
}

export function isNixError(e: unknown): e is NixError {
  return e instanceof NixError;
}
