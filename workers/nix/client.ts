/**
 * A Nix binary-cache client (what `nix copy --from` / substitution does, without Nix): narinfo
 * lookups across several caches in order, signature and `StorePath` checks, the closure over
 * `References`, then each NAR downloaded, decompressed and unpacked into a tree sink while its
 * `NarHash`/`NarSize` are checked. Fetch, streams and WebCrypto only: runs in a worker and in Node.
 */
import { decompressNarStream, type ZstdLoader } from './decompress.ts';
import { NixError, NixProblem } from './errors.ts';
import { unpackNar, type IncrementalHash, type NarSink } from './nar.ts';
import { formatSha256, parseNarInfo, parseNixCacheInfo, type NarInfo, type NixCacheInfo } from './narinfo.ts';
import { importTrustedKeys, verifyNarInfoSignature, type TrustedKey } from './signature.ts';
import { NIX_STORE_DIR, parseStorePath } from './store-path.ts';

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface NixCacheClientOptions {
  /** Cache base URLs (`substituters`), tried in this order. */
  substituters: readonly string[];
  /** `NAME:BASE64` Ed25519 public keys (`trusted-public-keys`). */
  trustedPublicKeys: readonly string[];
  fetch?: FetchLike;
  /** Narinfo requests in flight at once while walking a closure (default 8). */
  narInfoConcurrency?: number;
  /**
   * NAR downloads in flight at once (default 4; nix's `http-connections` bounds the same thing).
   * Unpacking stays in store-path order (sinks write one path at a time); the next NARs download
   * ahead, each buffering at most `NAR_READ_AHEAD_BYTES`.
   */
  narConcurrency?: number;
  /** A faster incremental SHA-256 the host has for NarHash (Node's crypto); the built-in one otherwise. */
  createSha256?: () => IncrementalHash;
  /** The compiled wasm/zstd/zstd.wasm for zstd NARs (Node: loadNodeTool('zstd')); fetched next to the engine otherwise. */
  loadZstd?: ZstdLoader;
}

/** A narinfo that passed every check, and where it came from. */
export interface ValidPathInfo extends NarInfo {
  cacheUrl: string;
  /** Name of the trusted key whose signature verified. */
  signedBy: string;
}

export interface ClosureProgress {
  phase: 'narinfo' | 'nar' | 'done';
  storePath: string;
  /** NAR (uncompressed) bytes of this path read so far, and its NarSize. */
  pathBytesDone: number;
  pathBytesTotal: number;
  pathsDone: number;
  pathsTotal: number;
  /** NAR bytes over the whole closure. */
  bytesDone: number;
  bytesTotal: number;
}

export interface FetchOptions {
  signal?: AbortSignal;
  onProgress?: (p: ClosureProgress) => void;
}

export interface ClosureResult {
  /** Every path of the closure, sorted by store path. */
  paths: ValidPathInfo[];
  narBytes: number;
}

/** How much of a NAR that is not being unpacked yet may download ahead (per NAR in flight). */
export const NAR_READ_AHEAD_BYTES = 16 << 20;

/** A NAR download under way: its URL and its body, already streaming into a bounded buffer. */
interface OpenNar {
  url: string;
  body: ReadableStream<Uint8Array>;
}

/** Progress for NAR bytes at most every this many bytes (plus each path's end). */
const PROGRESS_STEP_BYTES = 1 << 20;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new NixError(NixProblem.Aborted, 'Fetching the Nix closure was cancelled.');
}

/** Failures of a NAR download that another cache may not have (not: bad entries, aborts, sink errors). */
function isRetryableNarFailure(e: unknown): boolean {
  if (!(e instanceof NixError)) return false;
  const retryable: string[] = [NixProblem.NarHashMismatch, NixProblem.NarSizeMismatch, NixProblem.FileSizeMismatch, NixProblem.NotFound, NixProblem.Http, NixProblem.Decompress, NixProblem.BadNar];
  return retryable.includes(e.problem);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class NixCacheClient {
  private readonly cacheInfos = new Map<string, Promise<NixCacheInfo>>();
  private readonly fetchFn: FetchLike;
  private constructor(
    private readonly substituters: readonly string[],
    private readonly keys: readonly TrustedKey[],
    private readonly options: NixCacheClientOptions,
  ) {
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  }

  static async create(options: NixCacheClientOptions): Promise<NixCacheClient> {
    const keys = await importTrustedKeys(options.trustedPublicKeys);
    return new NixCacheClient(options.substituters.map(trimSlash), keys, options);
  }

  private async get(url: string, signal: AbortSignal | undefined): Promise<Response | undefined> {
    let res: Response;
    try {
      res = await this.fetchFn(url, signal ? { signal } : {});
    } catch (e) {
      checkAborted(signal);
      throw new NixError(NixProblem.Http, `GET ${url} failed: ${(e as Error).message}`, { url });
    }
    // A missing object is 404 on plain HTTP and 403 on S3 without list permission.
    if (res.status === 404 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new NixError(NixProblem.Http, `GET ${url} answered HTTP ${res.status}.`, { url, status: res.status });
    }
    return res;
  }

  /** `<cache>/nix-cache-info`, once per cache; refuses caches whose StoreDir is not /nix/store. */
  cacheInfo(cacheUrl: string, signal?: AbortSignal): Promise<NixCacheInfo> {
    const url = trimSlash(cacheUrl);
    let p = this.cacheInfos.get(url);
    if (!p) {
      p = (async () => {
        const res = await this.get(`${url}/nix-cache-info`, signal);
        if (!res) throw new NixError(NixProblem.Http, `${url} is not a Nix binary cache (no nix-cache-info).`, { cacheUrl: url });
        const info = parseNixCacheInfo(await res.text(), url);
        if (info.storeDir !== NIX_STORE_DIR) {
          throw new NixError(NixProblem.WrongStoreDir, `${url} serves store ${info.storeDir}; only ${NIX_STORE_DIR} is supported.`, { cacheUrl: url });
        }
        return info;
      })();
      p.catch(() => this.cacheInfos.delete(url));
      this.cacheInfos.set(url, p);
    }
    return p;
  }

  /** The narinfo of `storePath` from one cache, checked; undefined when that cache lacks it. */
  async queryPathInfoFrom(cacheUrl: string, storePath: string, signal?: AbortSignal): Promise<ValidPathInfo | undefined> {
    const { hashPart } = parseStorePath(storePath);
    const url = trimSlash(cacheUrl);
    await this.cacheInfo(url, signal);
    const res = await this.get(`${url}/${hashPart}.narinfo`, signal);
    if (!res) return undefined;
    const info = parseNarInfo(await res.text(), `${url}/${hashPart}.narinfo`);
    if (info.storePath !== storePath) {
      throw new NixError(NixProblem.StorePathMismatch, `${url}/${hashPart}.narinfo describes ${info.storePath}, not the requested ${storePath}.`, { storePath, cacheUrl: url, got: info.storePath });
    }
    const signedBy = await verifyNarInfoSignature(info, this.keys, url);
    return { ...info, cacheUrl: url, signedBy };
  }

  /**
   * The first cache (in order) with a valid narinfo for `storePath`, or undefined when no cache has
   * it (the app then offers a server build). A cache answering with a narinfo that fails a check is
   * skipped; if no cache gives a valid one, the first such failure is thrown.
   */
  async findPathInfo(storePath: string, signal?: AbortSignal): Promise<ValidPathInfo | undefined> {
    parseStorePath(storePath);
    let firstFailure: unknown;
    for (const cacheUrl of this.substituters) {
      checkAborted(signal);
      try {
        const info = await this.queryPathInfoFrom(cacheUrl, storePath, signal);
        if (info) return info;
      } catch (e) {
        if (e instanceof NixError && e.problem === NixProblem.Aborted) throw e;
        firstFailure ??= e;
      }
    }
    if (firstFailure !== undefined) throw firstFailure;
    return undefined;
  }

  async queryPathInfo(storePath: string, signal?: AbortSignal): Promise<ValidPathInfo> {
    const info = await this.findPathInfo(storePath, signal);
    if (!info) {
      throw new NixError(NixProblem.NotFound, `${storePath} is in none of the caches (${this.substituters.join(', ') || 'none configured'}).`, { storePath });
    }
    return info;
  }

  /** Every path reachable over `References` from `storePaths`, sorted by store path. */
  async queryClosure(storePaths: readonly string[], options: FetchOptions = {}): Promise<ValidPathInfo[]> {
    const found = new Map<string, ValidPathInfo>();
    const seen = new Set<string>();
    const queue: string[] = [];
    const enqueue = (p: string) => {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    };
    storePaths.forEach((p) => {
      parseStorePath(p);
      enqueue(p);
    });
    const concurrency = Math.max(1, this.options.narInfoConcurrency ?? 8);
    const worker = async () => {
      for (;;) {
        const path = queue.shift();
        if (path === undefined) return;
        const info = await this.queryPathInfo(path, options.signal);
        found.set(path, info);
        info.references.forEach(enqueue);
        options.onProgress?.({ phase: 'narinfo', storePath: path, pathBytesDone: 0, pathBytesTotal: info.narSizeBytes, pathsDone: found.size, pathsTotal: seen.size, bytesDone: 0, bytesTotal: 0 });
      }
    };
    // Workers exit when the queue is momentarily empty; loop until nothing is pending.
    while (queue.length > 0) await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return [...found.values()].sort((a, b) => (a.storePath < b.storePath ? -1 : 1));
  }

  /**
   * Download `info`'s NAR, decompress it as it streams and unpack it into `sink` at its store path.
   * Throws (after the sink may have seen data: discard it) on any size or hash mismatch.
   */
  /**
   * The path's narinfo from the first cache after `info`'s (in substituter order) that has a valid
   * one with the same NarSize and references; undefined when none has.
   */
  private async nextPathInfo(info: ValidPathInfo, signal: AbortSignal | undefined): Promise<ValidPathInfo | undefined> {
    const later = this.substituters.slice(this.substituters.indexOf(info.cacheUrl) + 1);
    for (const cacheUrl of later) {
      checkAborted(signal);
      try {
        const other = await this.queryPathInfoFrom(cacheUrl, info.storePath, signal);
        if (other && other.references.join(' ') === info.references.join(' ')) return other;
      } catch (e) {
        if (e instanceof NixError && e.problem === NixProblem.Aborted) throw e;
      }
    }
    return undefined;
  }

  /** Start downloading `info`'s NAR: the body streams ahead into a buffer of NAR_READ_AHEAD_BYTES. */
  private async openNar(info: ValidPathInfo, signal: AbortSignal | undefined): Promise<OpenNar> {
    checkAborted(signal);
    const url = new URL(info.url, `${info.cacheUrl}/`).href;
    const res = await this.get(url, signal);
    if (!res || !res.body) throw new NixError(NixProblem.NotFound, `${info.storePath}: its NAR ${url} is missing from ${info.cacheUrl}.`, { storePath: info.storePath, url });
    const ahead = new TransformStream<Uint8Array, Uint8Array>({}, undefined, new ByteLengthQueuingStrategy({ highWaterMark: NAR_READ_AHEAD_BYTES }));
    return { url, body: res.body.pipeThrough(ahead) };
  }

  async fetchNar(info: ValidPathInfo, sink: NarSink, options: { signal?: AbortSignal; onBytes?: (narBytes: number) => void; opened?: Promise<OpenNar> } = {}): Promise<void> {
    const { signal } = options;
    checkAborted(signal);
    const { url, body } = await (options.opened ?? this.openNar(info, signal));
    let fileBytes = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          fileBytes += chunk.length;
          c.enqueue(chunk);
        },
      }),
    );
    let result;
    try {
      result = await unpackNar(decompressNarStream(counted, info.compression, info.storePath, info.narSizeBytes, this.options.loadZstd), sink, {
        rootPath: info.storePath,
        what: info.storePath,
        expectedSizeBytes: info.narSizeBytes,
        ...(options.onBytes ? { onBytes: options.onBytes } : {}),
        ...(this.options.createSha256 ? { createSha256: this.options.createSha256 } : {}),
      });
    } catch (e) {
      checkAborted(signal);
      if (e instanceof NixError) throw e;
      throw new NixError(NixProblem.Http, `${info.storePath}: downloading ${url} failed: ${(e as Error).message}`, { storePath: info.storePath, url });
    }
    if (info.fileSizeBytes !== undefined && fileBytes !== info.fileSizeBytes) {
      throw new NixError(NixProblem.FileSizeMismatch, `${info.storePath}: ${url} is ${fileBytes} bytes, its narinfo says FileSize ${info.fileSizeBytes}.`, { storePath: info.storePath, url });
    }
    if (!equalBytes(result.narHash, info.narHash)) {
      throw new NixError(
        NixProblem.NarHashMismatch,
        `${info.storePath}: the NAR from ${info.cacheUrl} hashes to ${formatSha256(result.narHash)}, its narinfo says ${formatSha256(info.narHash)}.`,
        { storePath: info.storePath, cacheUrl: info.cacheUrl },
      );
    }
  }

  /**
   * Fetch the closure of `storePaths` into `sink` (each path at `/nix/store/<hash>-<name>`, in store
   * path order). Progress per path and in NAR bytes. Returns the verified narinfos, e.g. for
   * `encodeNixPathRegistration`.
   */
  async fetchClosure(storePaths: readonly string[], sink: NarSink, options: FetchOptions = {}): Promise<ClosureResult> {
    const { signal, onProgress } = options;
    const paths = await this.queryClosure(storePaths, options);
    const bytesTotal = paths.reduce((n, p) => n + p.narSizeBytes, 0);
    let bytesBefore = 0;
    let pathsDone = 0;
    // Downloads run ahead of the unpacking, up to narConcurrency NARs at once.
    const concurrency = Math.max(1, this.options.narConcurrency ?? 4);
    const opened = new Map<number, Promise<OpenNar>>();
    const open = (i: number): void => {
      if (i >= paths.length || opened.has(i)) return;
      const p = this.openNar(paths[i]!, signal);
      p.catch(() => {}); // surfaced when its turn comes
      opened.set(i, p);
    };
    try {
      for (const [index, first] of paths.entries()) {
        for (let j = index; j < index + concurrency; j++) open(j);
        let info = first;
        let thisNar: Promise<OpenNar> | undefined = opened.get(index)!;
        opened.delete(index);
        // A NAR that fails its checks (hash, size, missing, cut short) is fetched from the next cache
        // that has a valid narinfo for the path, when the sink can discard what it saw.
        for (;;) {
          let lastReported = -PROGRESS_STEP_BYTES;
          const current = info;
          const report = (phase: ClosureProgress['phase'], done: number) =>
            onProgress?.({ phase, storePath: current.storePath, pathBytesDone: done, pathBytesTotal: current.narSizeBytes, pathsDone, pathsTotal: paths.length, bytesDone: bytesBefore + done, bytesTotal });
          report('nar', 0);
          try {
            await this.fetchNar(info, sink, {
              ...(thisNar ? { opened: thisNar } : {}),
              ...(signal ? { signal } : {}),
              onBytes: (done) => {
                if (done - lastReported >= PROGRESS_STEP_BYTES) {
                  lastReported = done;
                  report('nar', done);
                }
              },
            });
            break;
          } catch (e) {
            const next = sink.discard && isRetryableNarFailure(e) ? await this.nextPathInfo(info, signal) : undefined;
            if (!next) throw e;
            await sink.discard!(info.storePath);
            info = next;
            thisNar = undefined;
          }
        }
        paths[index] = info;
        pathsDone++;
        onProgress?.({ phase: 'done', storePath: info.storePath, pathBytesDone: info.narSizeBytes, pathBytesTotal: info.narSizeBytes, pathsDone, pathsTotal: paths.length, bytesDone: bytesBefore + info.narSizeBytes, bytesTotal });
        bytesBefore += info.narSizeBytes;
      }
    } finally {
      // Downloads started ahead of a failure: stop them.
      for (const p of opened.values()) p.then((o) => o.body.cancel()).catch(() => {});
    }
    return { paths, narBytes: bytesTotal };
  }
}
