/** `partwright plan`: the table a layout gives, without writing anything. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../layout-files.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, sourceDateEpochEnv } from './options.ts';
import { planBuild, runBuild } from '../../workers/build/run-build.ts';
import { createNodeHost } from '../../workers/hosts/node/index.ts';

export async function runPlan(args: ParsedArgs): Promise<void> {
  const { spec, basePath, layoutDir, copySource, preset } = prepare(args);
  const seed = seedOption(args);
  const sourceDateEpoch = sourceDateEpochEnv();
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'partwright-plan-'));
    const host = createNodeHost({ resolve: (p) => resolveLayoutPath(p, layoutDir, copySource), storePath: path.join(scratch, 'iso.store') });
    try {
      const { iso } = await runBuild(spec, host, {
        ...(seed !== undefined ? { seed } : {}),
        ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
        ...(preset ? { preset } : {}),
      });
      process.stdout.write(args.flags.has('json') ? toJson(iso) + '\n' : formatIsoReport(iso!) + '\n');
    } finally {
      host.dispose();
      fs.rmSync(scratch, { recursive: true, force: true });
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
      ...(preset ? { preset } : {}),
    });
    process.stdout.write(args.flags.has('json') ? toJson(plan) + '\n' : formatPlan(plan) + '\n');
  } finally {
    host.dispose();
    base?.close();
  }
}
