/**
 * A build left in OPFS, read back: the compact store as an ImageSource (outputs, flashing), output
 * files as new OPFS files the main thread downloads, and the raw image into a file the user picked.
 * Every reader works in slices of the store file (holes are never read), so memory stays at a few chunks.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import type { ByteRange } from '../../plan/types.ts';
import { OUTPUT_CHUNK_BYTES, type ImageSource } from '../../formats/outputs/index.ts';
import type { OutputFileSink, OutputHost } from '../../build/write-output.ts';
import { createOpfsSink, opfsRoot, type OpfsBlob } from './files.ts';
import { readCompact } from './store.ts';
import { readBlobSync } from './tree.ts';

/** One file an output made: its OPFS name and what to append to the download's base name. */
export interface OutputFile {
  fileName: string;
  suffix: string;
}

/** What a build left in OPFS: the compact store file, its chunk map and the image's data map. */
export interface BuiltImageRef {
  fileName: string;
  sizeBytes: number;
  chunkBytes: number;
  /** `[chunk, slot, chunk, slot, …]`. */
  slots: number[];
  dataRanges: ByteRange[];
  seed?: string;
}

/** The built image as an ImageSource: bytes from slices of the compact store file, holes as zeros. */
export async function opfsImageSource(image: BuiltImageRef): Promise<ImageSource> {
  const root = await opfsRoot();
  let file: OpfsBlob;
  try {
    file = await (await root.getFileHandle(image.fileName)).getFile();
  } catch {
    throw new PartwrightError(ErrorCode.Io, `The built image ${image.fileName} is no longer in the browser's storage; build again.`);
  }
  const slots = new Map<number, number>();
  for (let i = 0; i + 1 < image.slots.length; i += 2) slots.set(image.slots[i]!, image.slots[i + 1]!);
  const readAt = (filePos: number, view: Uint8Array): number => {
    const n = Math.max(0, Math.min(view.length, file.size - filePos));
    if (n > 0) readBlobSync(file, filePos, view.subarray(0, n));
    return n;
  };
  return {
    sizeBytes: image.sizeBytes,
    dataRanges: () => image.dataRanges,
    readInto(offsetBytes, target) {
      target.fill(0);
      const end = offsetBytes + target.length;
      for (const r of image.dataRanges) {
        if (r.offsetBytes >= end) break;
        const from = Math.max(r.offsetBytes, offsetBytes);
        const to = Math.min(r.offsetBytes + r.sizeBytes, end);
        if (from < to) readCompact(slots, image.chunkBytes, readAt, from, target.subarray(from - offsetBytes, to - offsetBytes));
      }
    },
  };
}

/** Output files as OPFS files in the root (each a new file; removed again when writing fails). */
export const opfsOutputs: OutputHost = {
  async create(name): Promise<OutputFileSink> {
    const sink = await createOpfsSink(name);
    return {
      write: (o, d) => sink.write(o, d),
      append: (d) => sink.append(d),
      setSize: (n) => sink.setSize(n),
      commit: () => sink.close(),
      abort() {
        sink.close();
        void opfsRoot().then((root) => root.removeEntry(name)).catch(() => undefined);
      },
    };
  },
};

/** The part of a FileSystemFileHandle (from showSaveFilePicker) the engine writes through. */
export interface WritableFileHandle {
  createWritable(): Promise<{
    truncate(sizeBytes: number): Promise<void>;
    write(params: { type: 'write'; position: number; data: Uint8Array }): Promise<void>;
    close(): Promise<void>;
    abort(): Promise<void>;
  }>;
}

/** Raw image into a user's file: sized first, then data ranges only (holes are seeks). */
export async function writeRawToHandle(image: ImageSource, handle: WritableFileHandle, onProgress: (p: { stage: 'write'; doneBytes: number; totalBytes: number }) => void): Promise<void> {
  const writable = await handle.createWritable();
  try {
    await writable.truncate(image.sizeBytes);
    const ranges = image.dataRanges();
    const total = ranges.reduce((n, r) => n + r.sizeBytes, 0);
    let done = 0;
    for (const r of ranges) {
      for (let pos = r.offsetBytes; pos < r.offsetBytes + r.sizeBytes; pos += OUTPUT_CHUNK_BYTES) {
        const chunk = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, r.offsetBytes + r.sizeBytes - pos));
        image.readInto(pos, chunk);
        await writable.write({ type: 'write', position: pos, data: chunk });
        done += chunk.length;
        onProgress({ stage: 'write', doneBytes: done, totalBytes: total });
      }
    }
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => undefined);
    throw e;
  }
}
