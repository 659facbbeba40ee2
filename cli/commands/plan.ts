/** `partwright plan`: the table a layout gives, without writing anything. */
import * as path from 'node:path';
import { repartJson } from '../../workers/plan/repart-json.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../../workers/hosts/node/layout-files.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, sourceDateEpochEnv, deferPartitionsOption, emptyDecision, copyFromOption, grainSizeOption } from './options.ts';
import { planBuild } from '../../workers/build/plan-build.ts';
import { nodeInputs } from '../../workers/hosts/node/inputs.ts';
import { makeOwnedTempDir, removeOwned } from '../../workers/hosts/node/scratch.ts';

export async function runPlan(args: ParsedArgs): Promise<void> {
  const { spec, basePath, layoutDir, copySource, sources } = prepare(args);
  const deferPartitions = deferPartitionsOption(args, spec);
  const json = args.flags.get('json')?.[0];
  if (json !== undefined && json !== 'true' && json !== 'repart') throw new UsageError(`--json=${json}: give --json or --json=repart`);
  const seed = seedOption(args);
  const sourceDateEpoch = sourceDateEpochEnv();
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it.
    // (The build job and the full host load only for this: a plan of a disk loads neither.)
    const [{ runBuild }, { createNodeHost }] = await Promise.all([import('../../workers/build/run-build.ts'), import('../../workers/hosts/node/index.ts')]);
    const scratch = makeOwnedTempDir('partwright-plan-');
    const host = createNodeHost({ resolve: (p) => resolveLayoutPath(p, layoutDir, copySource), storePath: path.join(scratch, 'iso.store') });
    try {
      const { iso } = await runBuild(spec, host, {
        ...(seed !== undefined ? { seed } : {}),
        ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
        });
      process.stdout.write(args.flags.has('json') ? toJson(iso) + '\n' : formatIsoReport(iso!) + '\n');
    } finally {
      host.dispose();
      removeOwned(scratch);
    }
    return;
  }
  // The same contents, Minimize= trial runs and boot files as a build: the table a build writes.
  const host = nodeInputs({
    resolve: (p) => resolveLayoutPath(p, layoutDir, copySource),
    cannotRead: (what, file) => new UsageError(`${what}: cannot read ${file}`),
  });
  const baseFile = basePath ? new FileSource(basePath) : undefined;
  const copyFrom = copyFromOption(args);
  try {
    const decided = emptyDecision(args, spec, baseFile, basePath);
    const scratch = !decided.keepBase;
    const base = scratch ? undefined : baseFile;
    const sizeBytes = sizeOption(args) ?? decided.sizeBytes;
    const { plan, copiedFrom } = await planBuild(spec, host, {
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      ...(base ? { base: { source: base, dataRanges: [] } } : {}),
      ...(deferPartitions ? { deferPartitions } : {}),
      ...(copyFrom.images.length ? { copyFrom: copyFrom.images, copyFromFilter: copyFrom.filter } : {}),
      ...grainSizeOption(args),
    });
    if (json === 'repart') {
      // --copy-from= definitions come first; their `file` is the image they were copied from.
      const all = sources ? [...copiedFrom.map((file) => ({ file, dropIns: [] })), ...sources] : undefined;
      const entries = repartJson(plan, { version: spec.repartVersion ?? 'latest', imagePath: basePath ?? 'image.raw', ...(all ? { sources: all } : {}) });
      process.stdout.write(JSON.stringify(entries, null, '\t') + '\n');
      return;
    }
    // Verity data/hash partitions without UUID= get the root hash's halves when built (repart shows "TBD").
    const verityLabels = plan.partitions.filter((p) => (p.spec.verity === 'data' || p.spec.verity === 'hash') && !p.spec.uuid).map((p) => p.label);
    const verityNote = verityLabels.length ? `\nUUIDs of ${verityLabels.join(', ')}: the root hash's halves once the hash tree is built (shown: seed-derived placeholders).` : '';
    process.stdout.write(json !== undefined ? toJson(plan) + '\n' : formatPlan(plan) + verityNote + '\n');
  } finally {
    host.dispose();
    baseFile?.close();
    for (const i of copyFrom.images) i.source.close();
  }
}
