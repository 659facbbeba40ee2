/** `partwright plan`: the table a layout gives, without writing anything. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planImage } from '../../workers/plan/plan-image.ts';
import { repartJson } from '../../workers/plan/repart-json.ts';
import { buildIsoImage } from '../../workers/build/build-iso.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../layout-files.ts';
import { FileSource, FileStore } from '../node-file.ts';
import { readTree } from '../node-tree.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, openBase } from './options.ts';

export function runPlan(args: ParsedArgs): void {
  const { spec, basePath, layoutDir, copySource, sources } = prepare(args);
  const json = args.flags.get('json')?.[0];
  if (json !== undefined && json !== 'true' && json !== 'repart') throw new UsageError(`--json=${json}: give --json or --json=repart`);
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it.
    const scratch = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'partwright-plan-')), 'iso.store');
    const store = new FileStore(scratch);
    try {
      const seed = seedOption(args);
      const { report } = buildIsoImage(spec, {
        open: (p: string) => new FileSource(resolveLayoutPath(p, layoutDir, copySource)),
        openTree: (p: string) => readTree(resolveLayoutPath(p, layoutDir, copySource)),
      }, { ...(seed ? { seed } : {}), store });
      process.stdout.write(args.flags.has('json') ? toJson(report) + '\n' : formatIsoReport(report) + '\n');
    } finally {
      store.close();
      fs.rmSync(path.dirname(scratch), { recursive: true, force: true });
    }
    return;
  }
  const base = basePath ? openBase(basePath) : undefined;
  // Blob sizes come from their files, as in a build.
  const blobSizes: Record<string, number> = {};
  for (const b of spec.blobs ?? []) {
    if (b.source === undefined || b.sizeBytes !== undefined) continue;
    const full = resolveLayoutPath(b.source, layoutDir, copySource);
    try {
      blobSizes[b.name] = fs.statSync(full).size;
    } catch {
      throw new UsageError(`blob '${b.name}': cannot read ${full}`);
    }
  }
  const defer = args.flags.get('defer-partitions')?.[0]?.split(',').map((t) => t.trim()).filter(Boolean);
  const plan = planImage(spec, {
    sizeBytes: sizeOption(args), seed: seedOption(args), existing: base?.existing, blobSizes,
    ...(defer ? { deferPartitions: defer } : {}),
  });
  base?.source.close();
  if (json === 'repart') {
    const entries = repartJson(plan, { version: spec.repartVersion ?? 'latest', imagePath: basePath ?? 'image.raw', sources });
    process.stdout.write(JSON.stringify(entries, null, '\t') + '\n');
    return;
  }
  process.stdout.write(json !== undefined ? toJson(plan) + '\n' : formatPlan(plan) + '\n');
}
