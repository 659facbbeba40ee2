/** `partwright build`: arguments → the engine's one build job (workers/build/run-build.ts) on the Node host. */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { isOutputFormat, OUTPUT_FORMAT_NAMES } from '../../workers/model/registry.ts';
import { runBuild as runBuildJob } from '../../workers/build/run-build.ts';
import { createVeritySigner } from '../../workers/crypto/verity-signer.ts';
import * as fs from 'node:fs';
import { createNodeHost } from '../../workers/hosts/node/index.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { fileDataRanges } from '../../workers/hosts/node/file-extents.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../../workers/hosts/node/layout-files.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, sourceDateEpochEnv, cloudInitOption } from './options.ts';

export async function runBuild(args: ParsedArgs): Promise<void> {
  const { spec, layoutDir, copySource, basePath } = prepare(args);
  const inPlace = args.flags.has('in-place');
  const out = flag(args, 'output');
  const format = flag(args, 'output-format') ?? 'raw';
  if (!isOutputFormat(format)) throw new UsageError(`--output-format ${format} is not one of ${OUTPUT_FORMAT_NAMES.join(', ')}`);
  if (spec.table === 'iso' && (basePath || inPlace)) throw new UsageError('an ISO (Table=iso) is made whole: --base and --in-place do not apply');
  if (inPlace && format !== 'raw') throw new UsageError('--in-place writes the base image itself, which is raw; leave out --output-format');
  if (inPlace && !basePath) throw new UsageError('--in-place needs a base image (--base IMG or BaseImage=)');
  if (!inPlace && !out) throw new UsageError('missing -o OUT (the image file to write)');
  if (!inPlace && basePath && path.resolve(out!) === basePath) {
    throw new UsageError(`-o ${out} is the base image; the base is never overwritten unless you pass --in-place`);
  }
  const maxPiece = flag(args, 'max-piece-bytes');
  // Verity=signature: the key and certificate are read and checked before anything is built.
  const keyFile = flag(args, 'private-key');
  const certFile = flag(args, 'certificate');
  if ((keyFile === undefined) !== (certFile === undefined)) throw new UsageError('--private-key and --certificate go together');
  const readText = (f: string, what: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      throw new UsageError(`${what}: cannot read ${f}`);
    }
  };
  const veritySigner = keyFile !== undefined && certFile !== undefined
    ? await createVeritySigner(readText(keyFile, '--private-key'), readText(certFile, '--certificate'))
    : undefined;
  if (spec.partitions.some((p) => p.verity === 'signature') && !veritySigner) {
    throw new UsageError('Verity signature partition requested but no private key provided (--private-key= and --certificate=)');
  }
  const name = inPlace ? basePath! : out!;
  const host = createNodeHost({
    resolve: (p) => resolveLayoutPath(p, layoutDir, copySource),
    // Image bytes go to a file next to the output, never to memory (renamed into OUT for raw images).
    storePath: `${name}.store.partial`,
    cannotRead: (what, file) => new UsageError(`${what}: cannot read ${file}`),
    onProgress: (p) => {
      if (p.stage === 'nix' && process.stderr.isTTY) process.stderr.write(`\rnix: ${p.detail ?? ''}, ${p.doneBytes}/${p.totalBytes} bytes`);
    },
  });
  const base = basePath ? new FileSource(basePath) : undefined;
  try {
    const seed = seedOption(args);
    const sizeBytes = sizeOption(args);
    const sourceDateEpoch = sourceDateEpochEnv();
    const cloudInit = cloudInitOption(args);
    const result = await runBuildJob(spec, host, {
      ...(cloudInit ? { cloudInit } : {}),
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      ...(base ? { base: { source: base, dataRanges: fileDataRanges(basePath!, base) } } : {}),
      nix: { substituters: args.flags.get('substituter') ?? [], trustedPublicKeys: args.flags.get('trusted-public-key') ?? [] },
      output: { format, name, inPlace, ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}) },
      ...(veritySigner ? { veritySigner } : {}),
    });
    const { plan, image, iso: report, verity } = result;
    const files = result.files.map((f) => path.resolve(f));
    const json = { output: files[0]!, files, format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes, plan, ...(report ? { iso: report } : {}), ...(verity ? { verity } : {}) };
    process.stdout.write(
      args.flags.has('json')
        ? toJson(json) + '\n'
        : `${report ? formatIsoReport(report) : formatPlan(plan)}\n${(verity ?? []).map((v) => `\nVerity ${v.matchKey}: root hash ${v.rootHash}`).join('')}\nWrote ${files.join(', ')} (${format}): image of ${image.sizeBytes} bytes, ${image.mappedBytes} bytes of data.\n`,
    );
  } finally {
    host.dispose();
    base?.close();
  }
}
