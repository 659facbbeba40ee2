/** `partwright convert`: an existing raw image in another format, reading only its data. */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { DEFAULT_SEED } from '../../workers/model/spec.ts';
import { SparseImage } from '../../workers/disk/sparse-image.ts';
import { MemoryStore } from '../../workers/disk/byte-store.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { FileSource } from '../node-file.ts';
import { fileDataRanges } from '../file-extents.ts';
import { toJson } from '../output.ts';
import { OUTPUT_FORMATS, writeOutput, type OutputFormat } from '../write-output.ts';
import { exactlyOne, seedOption } from './options.ts';

export async function runConvert(args: ParsedArgs): Promise<void> {
  const file = exactlyOne(args, 'IMG (a raw image file)');
  const out = flag(args, 'output');
  if (!out) throw new UsageError('missing -o OUT');
  const format = flag(args, 'output-format') as OutputFormat | undefined;
  if (!format || !OUTPUT_FORMATS.includes(format) || format === 'split') {
    throw new UsageError(`--output-format must be one of ${OUTPUT_FORMATS.filter((f) => f !== 'split').join(', ')}`);
  }
  if (path.resolve(out) === path.resolve(file)) throw new UsageError('-o OUT is the input image; write somewhere else');
  const source = new FileSource(file);
  try {
    const image = new SparseImage(source.sizeBytes, new MemoryStore(), { source, dataRanges: fileDataRanges(file, source) });
    const maxPiece = flag(args, 'max-piece-bytes');
    const sde = process.env.SOURCE_DATE_EPOCH;
    const files = await writeOutput(image, { seed: seedOption(args) ?? DEFAULT_SEED, partitions: [] }, format, out, {
      ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}),
      ...(sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {}),
    });
    const result = { files: files.map((f) => path.resolve(f)), format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes };
    process.stdout.write(args.flags.has('json') ? toJson(result) + '\n' : `Wrote ${result.files.join(', ')} (${format}) from ${file}: ${image.mappedBytes} of ${image.sizeBytes} bytes hold data.\n`);
  } finally {
    source.close();
  }
}
