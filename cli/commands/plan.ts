/** `partwright plan`: the table a layout gives, without writing anything. */
import * as path from 'node:path';
import { repartJson } from '../../workers/plan/repart-json.ts';
import { resolvePartitionType } from '../../workers/model/partition-types.ts';
import { DEFAULT_ARCHITECTURE } from '../../workers/model/spec.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../../workers/hosts/node/layout-files.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, sourceDateEpochEnv } from './options.ts';
import { planBuild, runBuild } from '../../workers/build/run-build.ts';
import { createNodeHost } from '../../workers/hosts/node/index.ts';
import { makeOwnedTempDir, removeOwned } from '../../workers/hosts/node/scratch.ts';

export async function runPlan(args: ParsedArgs): Promise<void> {
  const { spec, basePath, layoutDir, copySource, sources } = prepare(args);
  const json = args.flags.get('json')?.[0];
  if (json !== undefined && json !== 'true' && json !== 'repart') throw new UsageError(`--json=${json}: give --json or --json=repart`);
  const seed = seedOption(args);
  const sourceDateEpoch = sourceDateEpochEnv();
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it.
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
  const host = createNodeHost({
    resolve: (p) => resolveLayoutPath(p, layoutDir, copySource),
    storePath: '',
    cannotRead: (what, file) => new UsageError(`${what}: cannot read ${file}`),
  });
  const base = basePath ? new FileSource(basePath) : undefined;
  try {
    const sizeBytes = sizeOption(args);
    const { plan } = await planBuild(spec, host, {
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      ...(base ? { base: { source: base, dataRanges: [] } } : {}),
    });
    // --defer-partitions= (repart v255): planned like the others, left out of the table.
    const defer = args.flags.get('defer-partitions')?.[0]?.split(',').map((t) => t.trim()).filter(Boolean);
    if (defer) {
      const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
      const guids = new Set(defer.map((t) => {
        const r = resolvePartitionType(t, arch);
        if (!r) throw new UsageError(`--defer-partitions: unknown partition type ${t}`);
        return r.guid;
      }));
      plan.partitions = plan.partitions.filter((p) => p.existing || !guids.has(p.typeGuid));
    }
    if (json === 'repart') {
      const entries = repartJson(plan, { version: spec.repartVersion ?? 'latest', imagePath: basePath ?? 'image.raw', ...(sources ? { sources } : {}) });
      process.stdout.write(JSON.stringify(entries, null, '\t') + '\n');
      return;
    }
    // Verity data/hash partitions without UUID= get the root hash's halves when built (repart shows "TBD").
    const verityLabels = plan.partitions.filter((p) => (p.spec.verity === 'data' || p.spec.verity === 'hash') && !p.spec.uuid).map((p) => p.label);
    const verityNote = verityLabels.length ? `\nUUIDs of ${verityLabels.join(', ')}: the root hash's halves once the hash tree is built (shown: seed-derived placeholders).` : '';
    process.stdout.write(json !== undefined ? toJson(plan) + '\n' : formatPlan(plan) + verityNote + '\n');
  } finally {
    host.dispose();
    base?.close();
  }
}
