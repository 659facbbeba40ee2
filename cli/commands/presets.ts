/** `partwright presets`: the NixOS image kinds and the files each needs. */
import { PRESETS } from '../../workers/model/presets/index.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { toJson } from '../output.ts';

export function runPresets(args: ParsedArgs): void {
  if (args.positionals.length) throw new UsageError('presets takes no arguments');
  if (args.flags.has('json')) {
    process.stdout.write(toJson(PRESETS.map((p) => ({ name: p.name, title: p.title, description: p.description, like: p.like, bootsWith: p.bootsWith, inputs: p.inputs, spec: p.spec }))) + '\n');
    return;
  }
  const out: string[] = [];
  for (const p of PRESETS) {
    out.push(`${p.name} — ${p.title} (like ${p.like})${p.bootsWith.length ? ` · boots under ${p.bootsWith.join(', ')}` : ''}`, `  ${p.description}`);
    for (const i of p.inputs) out.push(`  needs ${i.path}: ${i.description}`);
    out.push('');
  }
  out.push('Build one with: partwright build --preset NAME -o OUT.img --copy-source DIR (DIR holds the files above)');
  process.stdout.write(out.join('\n') + '\n');
}
