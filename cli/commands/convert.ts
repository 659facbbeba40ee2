/** `partwright convert`: an existing raw image in another format, reading only its data. */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { DEFAULT_SEED } from '../../workers/model/spec.ts';
import { SparseImage } from '../../workers/disk/sparse-image.ts';
import { MemoryStore } from '../../workers/disk/byte-store.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { fileDataRanges } from '../../workers/hosts/node/file-extents.ts';
import { writeOutputFiles } from '../../workers/hosts/node/outputs.ts';
import { isOutputFormat, OUTPUT_FORMATS } from '../../workers/model/registry.ts';
import { toJson } from '../output.ts';
import { exactlyOne, seedOption, sourceDateEpochEnv } from './options.ts';

export async function runConvert(args: ParsedArgs): Promise<void> {
  const file = exactlyOne(args, 'IMG (a raw image file)');
  const out = flag(args, 'output');
  if (!out) throw new UsageError('missing -o OUT');
  const format = flag(args, 'output-format');
  const imageFormats = OUTPUT_FORMATS.filter((f) => !f.needsPlan).map((f) => f.name);
  if (!format || !isOutputFormat(format) || !(imageFormats as string[]).includes(format)) {
    throw new UsageError(`--output-format must be one of ${imageFormats.join(', ')}`);
  }
  if (path.resolve(out) === path.resolve(file)) throw new UsageError('-o OUT is the input image; write somewhere else');
  const source = new FileSource(file);
  try {
    const image = new SparseImage(source.sizeBytes, new MemoryStore(), { source, dataRanges: fileDataRanges(file, source) });
    const maxPiece = flag(args, 'max-piece-bytes');
    const sde = sourceDateEpochEnv();
    const files = await writeOutputFiles(image, { seed: seedOption(args) ?? DEFAULT_SEED, partitions: [] }, format, out, {
      ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}),
      ...(sde !== undefined ? { sourceDateEpoch: sde } : {}),
    });
    const result = { files: files.map((f) => path.resolve(f)), format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes };
    process.stdout.write(args.flags.has('json') ? toJson(result) + '\n' : `Wrote ${result.files.join(', ')} (${format}) from ${file}: ${image.mappedBytes} of ${image.sizeBytes} bytes hold data.\n`);
  } finally {
    source.close();
  }
}
