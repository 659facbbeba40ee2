/** `partwright build`: plan, fetch closures, make file systems, write tables, write the output. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { buildImage, type BuildInputs, type BuildOptions } from '../../workers/build/build-image.ts';
import { buildBootableImage } from '../../workers/boot/index.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { buildIsoImage } from '../../workers/build/build-iso.ts';
import { writeChangesInPlace } from '../../workers/disk/raw-output.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../layout-files.ts';
import { FileSink, FileSource, FileStore } from '../node-file.ts';
import { freshPartialName, makeOwnedTempDir, removeOwned, renameOwned } from '../node-scratch.ts';
import { readTree } from '../node-tree.ts';
import { removeScratch, stageClosures } from '../nix-closure.ts';
import { loadNodeTool } from '../node-tools.ts';
import { fileDataRanges } from '../file-extents.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { OUTPUT_FORMATS, writeOutput, type OutputFormat } from '../write-output.ts';
import { sizeOption, seedOption, prepare, openBase } from './options.ts';

export async function runBuild(args: ParsedArgs): Promise<void> {
  const prepared = prepare(args);
  const { spec, layoutDir, copySource, basePath, preset } = prepared;
  const inPlace = args.flags.has('in-place');
  const out = flag(args, 'output');
  const format = (flag(args, 'output-format') ?? 'raw') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--output-format ${format} is not one of ${OUTPUT_FORMATS.join(', ')}`);
  if (spec.table === 'iso' && (basePath || inPlace)) throw new UsageError('an ISO (Table=iso) is made whole: --base and --in-place do not apply');
  if (inPlace && format !== 'raw') throw new UsageError('--in-place writes the base image itself, which is raw; leave out --output-format');
  const maxPiece = flag(args, 'max-piece-bytes');
  const sde = process.env.SOURCE_DATE_EPOCH;
  if (inPlace && !basePath) throw new UsageError('--in-place needs a base image (--base IMG or BaseImage=)');
  if (!inPlace && !out) throw new UsageError('missing -o OUT (the image file to write)');
  if (!inPlace && basePath && path.resolve(out!) === basePath) {
    throw new UsageError(`-o ${out} is the base image; the base is never overwritten unless you pass --in-place`);
  }

  const opened: FileSource[] = [];
  // Files a preset brings itself (loader configs) are laid over the copy source.
  const overlay = preset?.files ? writePresetFiles(preset.files) : undefined;
  const resolveInput = (p: string): string => {
    const inOverlay = overlay && path.isAbsolute(p) ? path.join(overlay, p) : undefined;
    return inOverlay && fs.existsSync(inOverlay) ? inOverlay : resolveLayoutPath(p, layoutDir, copySource);
  };
  const inputs = {
    open(p: string, what: string) {
      const full = resolveInput(p);
      try {
        const s = new FileSource(full);
        opened.push(s);
        return s;
      } catch {
        throw new UsageError(`${what}: cannot read ${full}`);
      }
    },
    openTree(p: string, _what: string) {
      return readTree(resolveInput(p));
    },
  };

  const base = basePath ? openBase(basePath) : undefined;
  if (base) opened.push(base.source);
  // Image bytes go to a file next to the output, never to memory: for a raw image without a base
  // that file is the output itself (renamed when complete), otherwise a scratch file removed after.
  const rawDirect = format === 'raw' && !inPlace && !base;
  // Nix closures named by StorePaths= are fetched, verified and staged before the build.
  const scratch = makeOwnedTempDir('partwright-build-');
  let extraTrees: Awaited<ReturnType<typeof stageClosures>>;
  try {
    extraTrees = await stageClosures(spec, {
      substituters: args.flags.get('substituter') ?? [],
      trustedPublicKeys: args.flags.get('trusted-public-key') ?? [],
      onProgress: (l) => process.stderr.isTTY && process.stderr.write(`\r${l}`),
    }, scratch);
  } catch (e) {
    removeScratch(scratch);
    if (overlay) removeOwned(overlay);
    for (const s of opened) s.close();
    throw e;
  }
  const storePath = rawDirect ? freshPartialName(out!) : freshPartialName(inPlace ? basePath! : out!, '.store.partial');
  const store = new FileStore(storePath);
  let storeOpen = true;
  try {
    const sourceDateEpoch = sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {};
    const seed = seedOption(args);
    const { plan, image, report } = spec.table === 'iso'
      ? buildIsoImage(spec, inputs, { ...(seed ? { seed } : {}), ...sourceDateEpoch, store, extraTrees })
      : {
          report: undefined,
          ...(preset?.boot ? (s: ImageSpec, i: BuildInputs, o: BuildOptions) => buildBootableImage(s, preset.boot!, i, o) : buildImage)(spec, inputs, {
            sizeBytes: sizeOption(args),
            seed,
            ...sourceDateEpoch,
            store,
            extraTrees,
            loadTool: loadNodeTool,
            base: base && {
              existing: base.existing,
              layer: { source: base.source, dataRanges: fileDataRanges(basePath!, base.source) },
            },
          }),
        };

    let files: string[];
    if (rawDirect) {
      // No fsync, like mkfs and cp: the rename makes the image appear only when it is complete.
      store.setSize(image.sizeBytes);
      store.close();
      storeOpen = false;
      renameOwned(storePath, out!);
      files = [out!];
    } else if (inPlace) {
      const sink = new FileSink(basePath!, 'r+');
      try {
        writeChangesInPlace(image, sink, base!.source.sizeBytes, plan.reserved);
      } finally {
        sink.close();
      }
      files = [basePath!];
    } else {
      files = await writeOutput(image, plan, format, out!, {
        ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}),
        ...(sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {}),
      });
    }
    const result = { output: path.resolve(files[0]!), files: files.map((f) => path.resolve(f)), format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes, plan, ...(report ? { iso: report } : {}) };
    process.stdout.write(
      args.flags.has('json')
        ? toJson(result) + '\n'
        : `${report ? formatIsoReport(report) : formatPlan(plan)}\n\nWrote ${result.files.join(', ')} (${format}): image of ${image.sizeBytes} bytes, ${image.mappedBytes} bytes of data.\n`,
    );
  } finally {
    if (storeOpen) store.close();
    if (fs.existsSync(storePath)) removeOwned(storePath);
    removeScratch(scratch);
    if (overlay) removeOwned(overlay);
    for (const s of opened) s.close();
  }
}

/** A preset's own text files in a scratch folder, by their copy-source paths. */
function writePresetFiles(files: Readonly<Record<string, string>>): string {
  const dir = makeOwnedTempDir('partwright-preset-');
  for (const [p, text] of Object.entries(files)) {
    const full = path.join(dir, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return dir;
}
