/**
 * `CopyFiles=` sources staged by the web app in OPFS, read as content trees (input-tree.ts). The app
 * stages each source path into its own directory under the layout's contents directory (the name is
 * `encodeURIComponent(source)`); the worker walks it once (async) and reads file bytes lazily and
 * synchronously through `FileReaderSync` on File slices, so a file is never read whole and nothing
 * locks the staged files.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { InputDir, InputEntry } from '../../build/input-tree.ts';
import { opfsDirectory, type OpfsBlob, type OpfsDirectory } from './files.ts';

interface FileReaderSyncLike {
  readAsArrayBuffer(blob: OpfsBlob): ArrayBuffer;
}

/** The OPFS directory name of a staged source path. */
export function stagedSourceName(source: string): string {
  return encodeURIComponent(source);
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

async function walk(dir: OpfsDirectory, name: string): Promise<InputDir> {
  const children: InputEntry[] = [];
  for await (const h of dir.values()) {
    if (h.kind === 'directory') {
      children.push(await walk(h, h.name));
    } else {
      const file = await h.getFile();
      children.push({ kind: 'file', name: h.name, sizeBytes: file.size, read: (o, t) => readBlobSync(file, o, t) });
    }
  }
  return { kind: 'dir', name, children };
}

/** Every staged source under `contentsDir` (an OPFS path), as trees by source path. */
export async function readStagedTrees(contentsDir: string, sources: readonly string[]): Promise<Map<string, InputEntry>> {
  const out = new Map<string, InputEntry>();
  if (sources.length === 0) return out;
  let root: OpfsDirectory;
  try {
    root = await opfsDirectory(contentsDir);
  } catch {
    return out;
  }
  for (const source of sources) {
    try {
      const dir = await root.getDirectoryHandle(stagedSourceName(source));
      out.set(source, await walk(dir, source.split('/').filter(Boolean).at(-1) ?? ''));
    } catch {
      // Not staged: openTree reports it as missing.
    }
  }
  return out;
}
