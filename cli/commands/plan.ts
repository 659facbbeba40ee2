/** `partwright plan`: the table a layout gives, without writing anything. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planImage } from '../../workers/plan/plan-image.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { resolveLayoutPath } from '../layout-files.ts';
import { FileSource, FileStore } from '../node-file.ts';
import { formatIsoReport, formatPlan, toJson } from '../output.ts';
import { sizeOption, seedOption, prepare, openBase } from './options.ts';

export async function runPlan(args: ParsedArgs): Promise<void> {
  const { spec, basePath, layoutDir, copySource } = prepare(args);
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it. (The
    // ISO and file-system writers load only here: a partition table's plan needs none of them.)
    const [{ buildIsoImage }, { readTree }] = await Promise.all([import('../../workers/build/build-iso.ts'), import('../node-tree.ts')]);
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
  const plan = planImage(spec, { sizeBytes: sizeOption(args), seed: seedOption(args), existing: base?.existing, blobSizes });
  base?.source.close();
  process.stdout.write(args.flags.has('json') ? toJson(plan) + '\n' : formatPlan(plan) + '\n');
}
