/**
 * NAR ("Nix ARchive", nix/src/libutil/archive.cc): a stream of length-prefixed strings, each a
 * little-endian u64 byte count, the bytes, then zero padding to a multiple of 8:
 *
 *   "nix-archive-1" node
 *   node = "(" "type" ( "regular" ["executable" ""] "contents" <bytes>
 *                     | "symlink" "target" <string>
 *                     | "directory" ( "entry" "(" "name" <string> "node" node ")" )* ) ")"
 *
 * `unpackNar` parses it while it streams in, hashing and counting every byte, and tells a tree sink
 * what to create. Names are checked (no "", ".", "..", "/", NUL; strictly increasing byte order, so
 * no duplicates); each path is created exactly once and only inside a directory this NAR created,
 * so nothing is ever written through a symlink. The sink sees bytes before the hash is known: the
 * caller must discard what it wrote when `unpackNar` throws.
 */
import { Sha256 } from '../crypto/sha256.ts';
import { NixError, NixProblem } from './errors.ts';

/** Receives the tree, in NAR order (parents before children). Paths are `rootPath` + `/name`…. */
export interface NarSink {
  directory(path: string): void | Promise<void>;
  /** A regular file of `sizeBytes`; its bytes follow through the returned writer. */
  file(path: string, executable: boolean, sizeBytes: number): NarFileWriter | Promise<NarFileWriter>;
  symlink(path: string, target: string): void | Promise<void>;
  /**
   * Forget everything written at and under `path` (a store path whose NAR failed its checks, before
   * it is fetched again from the next cache). Sinks without it make such a failure final.
   */
  discard?(path: string): void | Promise<void>;
}

export interface NarFileWriter {
  write(chunk: Uint8Array): void | Promise<void>;
  close(): void | Promise<void>;
}

export interface UnpackNarOptions {
  /** Path given to the sink for the NAR's root node, e.g. `/nix/store/<hash>-<name>`. */
  rootPath: string;
  /** Shown in errors (the store path). */
  what?: string;
  /** When set, the NAR must be exactly this long (checked as it streams). */
  expectedSizeBytes?: number;
  /** Called with the running count of NAR bytes read. */
  onBytes?: (bytesRead: number) => void;
  /** A faster incremental SHA-256 the host has (Node's crypto); the built-in one otherwise. */
  createSha256?: () => IncrementalHash;
}

export interface IncrementalHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export interface UnpackNarResult {
  narSizeBytes: number;
  narHash: Uint8Array;
}

const MAGIC = 'nix-archive-1';
/** Tokens are short keywords; names are file names (NAME_MAX 255); targets are paths (PATH_MAX). */
const MAX_TOKEN_BYTES = 64;
const MAX_NAME_BYTES = 255;
const MAX_TARGET_BYTES = 4095;
/** archive.cc has no depth limit; bound recursion well past any real tree. */
const MAX_DEPTH = 512;
const U64_BYTES = 8;
const PAD = 8;

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

class NarReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  readonly hash: IncrementalHash;
  bytesRead = 0;
  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly what: string,
    private readonly expectedSizeBytes: number | undefined,
    private readonly onBytes: ((n: number) => void) | undefined,
    createSha256: (() => IncrementalHash) | undefined,
  ) {
    this.hash = createSha256 ? createSha256() : new Sha256();
  }

  /** Pull the next chunk; false at end of stream. */
  private async pull(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const r = await this.reader.read();
      if (r.done) {
        this.done = true;
        return false;
      }
      const chunk = r.value;
      if (chunk.length === 0) continue;
      this.bytesRead += chunk.length;
      if (this.expectedSizeBytes !== undefined && this.bytesRead > this.expectedSizeBytes) {
        throw new NixError(NixProblem.NarSizeMismatch, `${this.what}: the NAR is longer than its NarSize ${this.expectedSizeBytes}.`, { storePath: this.what });
      }
      this.hash.update(chunk);
      this.onBytes?.(this.bytesRead);
      this.buf = this.pos < this.buf.length ? concat(this.buf.subarray(this.pos), chunk) : chunk;
      this.pos = 0;
      return true;
    }
  }

  private truncated(): NixError {
    return new NixError(NixProblem.BadNar, `${this.what}: the NAR ends early (truncated after ${this.bytesRead} bytes).`, { storePath: this.what });
  }

  /** Exactly `n` bytes (a view valid until the next read). */
  async bytes(n: number): Promise<Uint8Array> {
    while (this.buf.length - this.pos < n) if (!(await this.pull())) throw this.truncated();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  async u64(): Promise<number> {
    const b = await this.bytes(U64_BYTES);
    const dv = new DataView(b.buffer, b.byteOffset, U64_BYTES);
    const lo = dv.getUint32(0, true);
    const hi = dv.getUint32(4, true);
    if (hi >= 0x200000) throw new NixError(NixProblem.BadNar, `${this.what}: a NAR length field is impossibly large.`, { storePath: this.what });
    return hi * 0x100000000 + lo;
  }

  async padding(len: number): Promise<void> {
    const n = (PAD - (len % PAD)) % PAD;
    if (n === 0) return;
    const b = await this.bytes(n);
    if (b.some((x) => x !== 0)) throw new NixError(NixProblem.BadNar, `${this.what}: non-zero padding in the NAR.`, { storePath: this.what });
  }

  /** A length-prefixed string of at most `max` bytes (copied). */
  async string(max: number, field: string): Promise<Uint8Array> {
    const len = await this.u64();
    if (len > max) throw new NixError(NixProblem.BadNar, `${this.what}: NAR ${field} is ${len} bytes (at most ${max}).`, { storePath: this.what });
    const out = (await this.bytes(len)).slice();
    await this.padding(len);
    return out;
  }

  async token(): Promise<string> {
    return latin1(await this.string(MAX_TOKEN_BYTES, 'token'));
  }

  async expect(want: string): Promise<void> {
    const got = await this.token();
    if (got !== want) throw new NixError(NixProblem.BadNar, `${this.what}: expected "${want}" in the NAR, found ${JSON.stringify(got)}.`, { storePath: this.what });
  }

  /** Stream `len` content bytes to `writer` without copying them. */
  async contents(len: number, writer: NarFileWriter): Promise<void> {
    let left = len;
    while (left > 0) {
      if (this.pos >= this.buf.length && !(await this.pull())) throw this.truncated();
      const take = Math.min(left, this.buf.length - this.pos);
      await writer.write(this.buf.subarray(this.pos, this.pos + take));
      this.pos += take;
      left -= take;
    }
    await this.padding(len);
  }

  async expectEnd(): Promise<void> {
    if (this.pos < this.buf.length || (await this.pull())) {
      throw new NixError(NixProblem.BadNar, `${this.what}: trailing bytes after the end of the NAR.`, { storePath: this.what });
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeName(bytes: Uint8Array, r: { what: string }, kind: string, dirPath: string): string {
  let s: string;
  try {
    s = utf8.decode(bytes);
  } catch {
    throw new NixError(NixProblem.BadEntryName, `${r.what}: a ${kind} in ${dirPath} is not UTF-8.`, { storePath: r.what, path: dirPath });
  }
  return s;
}

async function parseNode(r: NarReader, sink: NarSink, path: string, depth: number, what: string): Promise<void> {
  if (depth > MAX_DEPTH) throw new NixError(NixProblem.BadNar, `${what}: the NAR nests directories deeper than ${MAX_DEPTH}.`, { storePath: what });
  await r.expect('(');
  await r.expect('type');
  const type = await r.token();
  if (type === 'regular') {
    let tok = await r.token();
    let executable = false;
    if (tok === 'executable') {
      executable = true;
      await r.expect('');
      tok = await r.token();
    }
    if (tok !== 'contents') throw new NixError(NixProblem.BadNar, `${what}: expected "contents" for ${path}, found ${JSON.stringify(tok)}.`, { storePath: what });
    const size = await r.u64();
    const writer = await sink.file(path, executable, size);
    await r.contents(size, writer);
    await writer.close();
    await r.expect(')');
  } else if (type === 'symlink') {
    await r.expect('target');
    const targetBytes = await r.string(MAX_TARGET_BYTES, 'symlink target');
    if (targetBytes.length === 0 || targetBytes.includes(0)) {
      throw new NixError(NixProblem.BadNar, `${what}: the symlink ${path} has an empty target or one with NUL.`, { storePath: what, path });
    }
    await sink.symlink(path, decodeName(targetBytes, { what }, 'symlink target', path));
    await r.expect(')');
  } else if (type === 'directory') {
    await sink.directory(path);
    let previous: Uint8Array | undefined;
    for (;;) {
      const tok = await r.token();
      if (tok === ')') break;
      if (tok !== 'entry') throw new NixError(NixProblem.BadNar, `${what}: expected "entry" or ")" in ${path}, found ${JSON.stringify(tok)}.`, { storePath: what });
      await r.expect('(');
      await r.expect('name');
      const nameBytes = await r.string(MAX_NAME_BYTES, 'entry name');
      const shown = JSON.stringify(latin1(nameBytes));
      const badName =
        nameBytes.length === 0 ||
        (nameBytes.length === 1 && nameBytes[0] === 0x2e) ||
        (nameBytes.length === 2 && nameBytes[0] === 0x2e && nameBytes[1] === 0x2e) ||
        nameBytes.includes(0x2f) ||
        nameBytes.includes(0);
      if (badName) {
        throw new NixError(NixProblem.BadEntryName, `${what}: refusing the entry name ${shown} in ${path} (empty, ".", "..", "/" and NUL are not allowed).`, { storePath: what, path, name: latin1(nameBytes) });
      }
      if (previous) {
        const c = compareBytes(previous, nameBytes);
        if (c === 0) throw new NixError(NixProblem.DuplicateEntry, `${what}: ${path} holds the name ${shown} twice.`, { storePath: what, path });
        if (c > 0) throw new NixError(NixProblem.UnsortedEntries, `${what}: entries of ${path} are not sorted (${shown} after ${JSON.stringify(latin1(previous))}).`, { storePath: what, path });
      }
      previous = nameBytes;
      const name = decodeName(nameBytes, { what }, 'name', path);
      await r.expect('node');
      await parseNode(r, sink, `${path}/${name}`, depth + 1, what);
      await r.expect(')');
    }
  } else {
    throw new NixError(NixProblem.BadNar, `${what}: unknown NAR node type ${JSON.stringify(type)} at ${path}.`, { storePath: what });
  }
}

/** Parse a NAR stream into `sink`; returns its size and SHA-256 (check them against the narinfo). */
export async function unpackNar(stream: ReadableStream<Uint8Array>, sink: NarSink, options: UnpackNarOptions): Promise<UnpackNarResult> {
  const what = options.what ?? options.rootPath;
  const reader = stream.getReader();
  const r = new NarReader(reader, what, options.expectedSizeBytes, options.onBytes, options.createSha256);
  try {
    await r.expect(MAGIC).catch((e: unknown) => {
      if (e instanceof NixError && e.problem === NixProblem.BadNar) {
        throw new NixError(NixProblem.BadNar, `${what}: not a NAR (no "${MAGIC}" header).`, { storePath: what });
      }
      throw e;
    });
    await parseNode(r, sink, options.rootPath, 0, what);
    await r.expectEnd();
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  if (options.expectedSizeBytes !== undefined && r.bytesRead !== options.expectedSizeBytes) {
    throw new NixError(NixProblem.NarSizeMismatch, `${what}: the NAR is ${r.bytesRead} bytes, its NarSize says ${options.expectedSizeBytes}.`, { storePath: what });
  }
  return { narSizeBytes: r.bytesRead, narHash: r.hash.digest() };
}
