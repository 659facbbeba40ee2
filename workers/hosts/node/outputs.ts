/**
 * Where the Node host's output files go: each is written to NAME.partial and renamed when complete,
 * so NAME never holds half an image; a failed one is removed.
 */
import * as fs from 'node:fs';
import { writeOutput, type OutputFileSink, type OutputHost, type OutputPlan, type WriteOutputOptions } from '../../build/write-output.ts';
import type { ImageSource } from '../../formats/outputs/index.ts';
import type { OutputFormat } from '../../model/registry.ts';
import { nodeSha256 } from './hash.ts';
import { loadNodeTool } from './tools.ts';

function writeFully(fd: number, offsetBytes: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, offsetBytes + done);
}

export function nodeOutputFile(name: string): OutputFileSink {
  const tmp = `${name}.partial`;
  const fd = fs.openSync(tmp, 'w');
  let position = 0;
  let open = true;
  const close = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return {
    write(offsetBytes, data) {
      writeFully(fd, offsetBytes, data);
      position = Math.max(position, offsetBytes + data.length);
    },
    append(data) {
      writeFully(fd, position, data);
      position += data.length;
    },
    setSize(sizeBytes) {
      fs.ftruncateSync(fd, sizeBytes);
    },
    commit() {
      // No fsync, like mkfs and cp: the rename makes the file appear only when it is complete.
      close();
      fs.renameSync(tmp, name);
    },
    abort() {
      close();
      fs.rmSync(tmp, { force: true });
    },
  };
}

export const nodeOutputs: OutputHost = { create: nodeOutputFile };

/** An image written as `format` to `out` (and beside it) on disk: what `convert` and tests call. */
export function writeOutputFiles(image: ImageSource, plan: OutputPlan, format: OutputFormat, out: string, options: Pick<WriteOutputOptions, 'maxPieceBytes' | 'sourceDateEpoch' | 'onBytes'> = {}): Promise<string[]> {
  return writeOutput(image, plan, format, out, nodeOutputs, { ...options, loadTool: async (name) => loadNodeTool(name), createSha256: nodeSha256 });
}
