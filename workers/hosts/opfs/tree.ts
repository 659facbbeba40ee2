/**
 * `CopyFiles=` sources staged by the web app in OPFS, read as content trees (input-tree.ts). The app
 * stages each source path into its own directory under the layout's contents directory, with what it
 * knows beyond the bytes in a sidecar (workers/model/staged-contents.ts): the files' modification
 * times, or that the source is one archive. The worker walks a folder once (async) and reads file
 * bytes lazily and synchronously through `FileReaderSync` on File slices, so a file is never read
 * whole and nothing locks the staged files. An archive is unpacked here with its modes, owners, times
 * and symlinks (workers/formats/archive/): tar and cpio are read in place, compressed streams and
 * deflated zip entries are decompressed into an OPFS scratch file, kept until the next build.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { parseStagedMeta, stagedMetaName, stagedSourceName, type StagedMeta } from '../../model/staged-contents.ts';
import { detectCompression, readArchive, sliceSource, type ByteSource, type ScratchStore } from '../../formats/archive/index.ts';
import type { InputDir, InputEntry } from '../../build/input-tree.ts';
import { loadZstdModule, ZstdDecompressor } from '../../tools/zstd.ts';
import { opfsDirectory, opfsRoot, writeFully, type OpfsBlob, type OpfsDirectory, type SyncAccessHandle } from './files.ts';

export { stagedSourceName };

interface FileReaderSyncLike {
  readAsArrayBuffer(blob: OpfsBlob): ArrayBuffer;
}

function reader(): FileReaderSyncLike {
  const Ctor = (globalThis as { FileReaderSync?: new () => FileReaderSyncLike }).FileReaderSync;
  if (!Ctor) throw new PartwrightError(ErrorCode.Unsupported, 'Reading staged files needs FileReaderSync (a Web Worker).');
  return new Ctor();
}

/** Read `target.length` bytes of a Blob at `offsetBytes`, synchronously. */
export function readBlobSync(blob: OpfsBlob, offsetBytes: number, target: Uint8Array): void {
  const bytes = new Uint8Array(reader().readAsArrayBuffer(blob.slice(offsetBytes, offsetBytes + target.length)));
  target.set(bytes.subarray(0, target.length));
  if (bytes.length < target.length) target.fill(0, bytes.length);
}

/**
 * A staged folder as a tree. Files get the modification time the browser gave when they were staged
 * (the engine then applies SOURCE_DATE_EPOCH as the CLI does: older times are kept, newer ones become
 * the epoch); modes, owners and symlinks are what the browser could not give.
 */
async function walk(dir: OpfsDirectory, name: string, mtimes: Record<string, number>, prefix = ''): Promise<InputDir> {
  const children: InputEntry[] = [];
  for await (const h of dir.values()) {
    if (h.kind === 'directory') {
      children.push(await walk(h, h.name, mtimes, `${prefix}${h.name}/`));
    } else {
      const file = await h.getFile();
      const mtimeSeconds = mtimes[`${prefix}${h.name}`];
      // ref: the File itself (structured-cloneable), so a build worker reads it too.
      children.push({ kind: 'file', name: h.name, sizeBytes: file.size, ...(mtimeSeconds !== undefined ? { mtimeSeconds } : {}), read: (o, t) => readBlobSync(file, o, t), ref: file });
    }
  }
  return { kind: 'dir', name, children };
}

/** Scratch files of the last build's archives: closed and removed when the next build reads its contents. */
const SCRATCH_PREFIX = 'archive-scratch-';
let openScratch: { handle: SyncAccessHandle; name: string }[] = [];
let scratchCounter = 0;

async function releaseScratch(): Promise<void> {
  const root = await opfsRoot();
  for (const s of openScratch) {
    try {
      s.handle.close();
    } catch {
      // Already closed.
    }
  }
  openScratch = [];
  const names: string[] = [];
  for await (const name of root.keys()) if (name.startsWith(SCRATCH_PREFIX)) names.push(name);
  for (const name of names) await root.removeEntry(name).catch(() => undefined);
}

async function opfsScratch(): Promise<ScratchStore> {
  const name = `${SCRATCH_PREFIX}${Date.now()}-${++scratchCounter}`;
  const handle = await (await (await opfsRoot()).getFileHandle(name, { create: true })).createSyncAccessHandle();
  handle.truncate(0);
  openScratch.push({ handle, name });
  let sizeBytes = 0;
  return {
    get sizeBytes() {
      return sizeBytes;
    },
    append(data) {
      const at = sizeBytes;
      writeFully(handle, at, data);
      sizeBytes += data.length;
      return at;
    },
    read(offsetBytes, target) {
      let done = 0;
      while (done < target.length) {
        const n = handle.read(target.subarray(done), { at: offsetBytes + done });
        if (n <= 0) throw new PartwrightError(ErrorCode.Io, `The unpacked archive's scratch file ended at byte ${offsetBytes + done}.`);
        done += n;
      }
    },
  };
}

function blobSource(blob: OpfsBlob): ByteSource {
  return { sizeBytes: blob.size, read: (o, t) => readBlobSync(blob, o, t) };
}

interface StreamingBlob {
  stream(): ReadableStream<Uint8Array>;
}
type DecompressionStreamCtor = new (format: 'gzip') => TransformStream<Uint8Array, Uint8Array>;

/**
 * A gzip archive decompressed by the browser's own DecompressionStream (native zlib, several times
 * fflate's speed) into `scratch`; undefined when the browser has none or refuses the stream, so the
 * caller falls back to fflate, which names the damage with a coded error.
 */
async function nativeGunzip(blob: OpfsBlob, scratch: ScratchStore): Promise<ByteSource | undefined> {
  const Ctor = (globalThis as { DecompressionStream?: DecompressionStreamCtor }).DecompressionStream;
  const stream = (blob as Partial<StreamingBlob>).stream;
  if (!Ctor || !stream) return undefined;
  const start = scratch.sizeBytes;
  try {
    const reader = stream.call(blob).pipeThrough(new Ctor('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      scratch.append(value);
    }
  } catch {
    return undefined;
  }
  return sliceSource(scratch, start, scratch.sizeBytes - start);
}

async function readMeta(root: OpfsDirectory, source: string): Promise<StagedMeta> {
  try {
    const blob = await (await root.getFileHandle(stagedMetaName(source))).getFile();
    const bytes = new Uint8Array(blob.size);
    readBlobSync(blob, 0, bytes);
    return parseStagedMeta(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

/** Every staged source under `contentsDir` (an OPFS path), as trees by source path. */
export async function readStagedTrees(contentsDir: string, sources: readonly string[], loadZstd: () => Promise<WebAssembly.Module> = () => loadZstdModule()): Promise<Map<string, InputEntry>> {
  const out = new Map<string, InputEntry>();
  if (sources.length === 0) return out;
  let root: OpfsDirectory;
  try {
    root = await opfsDirectory(contentsDir);
  } catch {
    return out;
  }
  await releaseScratch();
  for (const source of sources) {
    let dir: OpfsDirectory;
    try {
      dir = await root.getDirectoryHandle(stagedSourceName(source));
    } catch {
      continue; // Not staged: openTree reports it as missing.
    }
    const name = source.split('/').filter(Boolean).at(-1) ?? '';
    const meta = await readMeta(root, source);
    if (meta.archive !== undefined) {
      let blob: OpfsBlob;
      try {
        blob = await (await dir.getFileHandle(meta.archive)).getFile();
      } catch {
        continue; // The archive is gone: reported as missing.
      }
      const scratch = await opfsScratch();
      const archive = blobSource(blob);
      const compression = detectCompression(archive);
      const unzipped = compression === 'gzip' ? await nativeGunzip(blob, scratch) : undefined;
      const zstd = compression === 'zstd' ? await loadZstd() : undefined;
      out.set(source, readArchive(unzipped ?? archive, meta.archive, scratch, name, zstd ? { zstd: (onData) => new ZstdDecompressor(zstd, onData) } : {}));
    } else {
      out.set(source, await walk(dir, name, meta.mtimes ?? {}));
    }
  }
  return out;
}
