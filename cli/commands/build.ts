/** `partwright build`: arguments → the engine's one build job (workers/build/run-build.ts) on the Node host. */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { isOutputFormat, OUTPUT_FORMAT_NAMES } from '../../workers/model/registry.ts';
import { runBuild as runBuildJob } from '../../workers/build/run-build.ts';
import { planBuild } from '../../workers/build/plan-build.ts';
import { generateFstab, mergeFstab } from '../../workers/boot/fstab.ts';
import * as fs from 'node:fs';
import { createNodeHost } from '../../workers/hosts/node/index.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { fileDataRanges } from '../../workers/hosts/node/file-extents.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../../workers/hosts/node/layout-files.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, sourceDateEpochEnv, withCloudInitOptions, deferPartitionsOption, emptyDecision, copyFromOption, grainSizeOption } from './options.ts';

export async function runBuild(args: ParsedArgs): Promise<void> {
  const prepared = prepare(args);
  const { layoutDir, copySource, basePath } = prepared;
  const spec = withCloudInitOptions(prepared.spec, args);
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
    // pkijs (~0.1 s to load) only for builds that sign.
    ? await (await import('../../workers/crypto/verity-signer.ts')).createVeritySigner(readText(keyFile, '--private-key'), readText(certFile, '--certificate'))
    : undefined;
  if (spec.partitions.some((p) => p.verity === 'signature') && !veritySigner) {
    throw new UsageError('Verity signature partition requested but no private key provided (--private-key= and --certificate=)');
  }
  const deferPartitions = deferPartitionsOption(args, spec);
  const name = inPlace ? basePath! : out!;
  const host = createNodeHost({
    resolve: (p) => resolveLayoutPath(p, layoutDir, copySource),
    // Image bytes go to a file next to the output, never to memory (renamed into OUT for raw images).
    storePath: `${name}.store.partial`,
    cannotRead: (what, file) => new UsageError(`${what}: cannot read ${file}`),
    // File systems are made in worker threads at once; PARTWRIGHT_WORKERS=0 makes them one at a time (benches compare).
    parallel: process.env.PARTWRIGHT_WORKERS !== '0',
    onProgress: (p) => {
      if (p.stage === 'nix' && process.stderr.isTTY) process.stderr.write(`\rnix: ${p.detail ?? ''}, ${p.doneBytes}/${p.totalBytes} bytes`);
    },
  });
  const baseFile = basePath ? new FileSource(basePath) : undefined;
  const copyFrom = copyFromOption(args);
  const copyFromOptions = { ...(copyFrom.images.length ? { copyFrom: copyFrom.images, copyFromFilter: copyFrom.filter } : {}), ...grainSizeOption(args) };
  try {
    // --empty=: keep the base image's table, or start over on a disk of its size (force, allow/require
    // on an unlabelled image); in place that rewrites the whole file.
    const decided = emptyDecision(args, spec, baseFile, basePath);
    const scratch = !decided.keepBase;
    const base = scratch ? undefined : baseFile;
    const seed = seedOption(args);
    const sizeBytes = sizeOption(args) ?? decided.sizeBytes;
    const sourceDateEpoch = sourceDateEpochEnv();
    // --generate-fstab= (repart 256): written under the copy source before the build, as repart's
    // context_fstab() runs before the file systems are populated, so CopyFiles= takes it in.
    const fstabPath = flag(args, 'generate-fstab');
    const appendFstab = flag(args, 'append-fstab') ?? 'no';
    if (appendFstab !== 'no' && appendFstab !== 'auto' && appendFstab !== 'replace') throw new UsageError(`--append-fstab=${appendFstab}: give no, auto or replace`);
    if (fstabPath !== undefined) {
      const { plan: planned } = await planBuild(spec, host, {
        ...(sizeBytes !== undefined ? { sizeBytes } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
        ...(base ? { base: { source: base, dataRanges: [] } } : {}),
        ...(deferPartitions ? { deferPartitions } : {}),
        ...copyFromOptions,
      });
      const section = generateFstab(planned);
      const target = copySource !== undefined ? path.join(copySource, fstabPath) : path.resolve(fstabPath);
      if (section === undefined) {
        process.stderr.write(`partwright: MountPoint= is not specified for any eligible partitions, not generating ${target}\n`);
      } else {
        const previous = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
        if (previous !== undefined && appendFstab === 'no') throw new UsageError(`--generate-fstab: ${target} exists; pass --append-fstab=auto or replace (as repart refuses to overwrite it)`);
        fs.writeFileSync(target, mergeFstab(section, previous, appendFstab));
      }
    }
    // --generate-crypttab= (repart 256): only encrypted partitions with EncryptedVolume= get lines, and
    // Partwright makes none (Encrypt= and EncryptedVolume= are refused), so there is never a file.
    const crypttabPath = flag(args, 'generate-crypttab');
    if (crypttabPath !== undefined) process.stderr.write(`partwright: EncryptedVolume= is not specified for any eligible partitions, not generating ${crypttabPath}\n`);
    const result = await runBuildJob(spec, host, {
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      ...(base ? { base: { source: base, dataRanges: fileDataRanges(basePath!, base) } } : {}),
      nix: { substituters: args.flags.get('substituter') ?? [], trustedPublicKeys: args.flags.get('trusted-public-key') ?? [] },
      ...(deferPartitions ? { deferPartitions } : {}),
      ...copyFromOptions,
      output: { format, name, inPlace: inPlace && !scratch, ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}) },
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
    baseFile?.close();
    for (const i of copyFrom.images) i.source.close();
  }
}
