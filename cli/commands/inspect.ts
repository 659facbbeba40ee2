/** `partwright inspect`: an image's tables, partitions and data outside partitions. */
import { inspectImage } from '../../workers/build/inspect-image.ts';
import type { ParsedArgs } from '../args.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { formatInspection, toJson } from '../output.ts';
import { exactlyOne } from './options.ts';
import { nodeSha256 } from '../../workers/hosts/node/hash.ts';
import { loadNodeTool } from '../../workers/hosts/node/tools.ts';

export function runInspect(args: ParsedArgs): void {
  const file = exactlyOne(args, 'IMG (an image file)');
  const source = new FileSource(file);
  try {
    const report = inspectImage(source, { loadTool: loadNodeTool, createSha256: nodeSha256 });
    process.stdout.write(args.flags.has('json') ? toJson(report) + '\n' : formatInspection(report) + '\n');
  } finally {
    source.close();
  }
}
