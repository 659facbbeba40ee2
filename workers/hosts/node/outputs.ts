/**
 * Where the Node host's output files go: each is written to a new NAME.partial (created exclusively:
 * never through an existing path or a planted symlink) and renamed when complete, so NAME never
 * holds half an image; a failed one is removed, and one a killed process left is removed by the
 * scratch watchdog (scratch.ts).
 */
import * as fs from 'node:fs';
import { writeOutput, type OutputFileSink, type OutputHost, type OutputPlan, type WriteOutputOptions } from '../../build/write-output.ts';
import type { ImageSource } from '../../formats/outputs/index.ts';
import type { OutputFormat } from '../../model/registry.ts';
import { nodeSha256 } from './hash.ts';
import { loadNodeTool } from './tools.ts';
import { createOwnedFile, EXCLUSIVE_RW, freshPartialName, removeOwned, renameOwned } from './scratch.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { writeZstdSeekableParallel } from './zstd-parallel.ts';

function writeFully(fd: number, offsetBytes: number, data: Uint8Array, file: string): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += fs.writeSync(fd, data, done, data.length - done, offsetBytes + done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new PartwrightError(ErrorCode.Io, `Cannot write ${file}: ${err.code === 'ENOSPC' ? 'no space left on the device' : err.message}.`, { where: file });
    }
  }
}

export function nodeOutputFile(name: string): OutputFileSink {
  const tmp = freshPartialName(name);
  const fd = createOwnedFile(tmp, 0o644, EXCLUSIVE_RW);
  let position = 0;
  let open = true;
  const close = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return {
    write(offsetBytes, data) {
      writeFully(fd, offsetBytes, data, tmp);
      position = Math.max(position, offsetBytes + data.length);
    },
    append(data) {
      writeFully(fd, position, data, tmp);
      position += data.length;
    },
    setSize(sizeBytes) {
      fs.ftruncateSync(fd, sizeBytes);
    },
    commit() {
      // No fsync, like mkfs and cp: the rename makes the file appear only when it is complete.
      close();
      renameOwned(tmp, name);
    },
    abort() {
      close();
      removeOwned(tmp);
    },
  };
}

/** Files as above; zstd frames compressed on every core. */
export const nodeOutputs: OutputHost = { create: nodeOutputFile, writeZstdSeekable: writeZstdSeekableParallel };

/** An image written as `format` to `out` (and beside it) on disk: what `convert` and tests call. */
export function writeOutputFiles(image: ImageSource, plan: OutputPlan, format: OutputFormat, out: string, options: Pick<WriteOutputOptions, 'maxPieceBytes' | 'sourceDateEpoch' | 'onBytes'> = {}): Promise<string[]> {
  return writeOutput(image, plan, format, out, nodeOutputs, { ...options, loadTool: async (name) => loadNodeTool(name), createSha256: nodeSha256 });
}
