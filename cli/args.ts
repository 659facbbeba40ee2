/**
 * A small, strict argument parser: every command declares its flags; anything else is an error that
 * says which flag is unknown (no silent ignoring).
 */
export interface FlagSpec {
  name: string;
  short?: string;
  takesValue: boolean;
  repeatable?: boolean;
  /** The value is optional and only given inline (`--json` or `--json=repart`). */
  optionalValue?: boolean;
  help: string;
  valueName?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    let value = 'true';
    if (spec.takesValue) {
      if (inline !== undefined) value = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`--${spec.name} needs a value (${spec.valueName ?? 'VALUE'})`);
        value = next;
        i++;
      }
    } else if (inline !== undefined) {
      if (!spec.optionalValue) throw new UsageError(`--${spec.name} takes no value`);
      value = inline;
    }
    const list = flags.get(spec.name) ?? [];
    if (list.length && !spec.repeatable) throw new UsageError(`--${spec.name} given twice`);
    list.push(value);
    flags.set(spec.name, list);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function formatFlagHelp(specs: FlagSpec[]): string {
  return specs
    .map((s) => {
      const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.takesValue ? ` ${s.valueName ?? 'VALUE'}` : ''}`;
      return `  ${left.padEnd(30)} ${s.help}`;
    })
    .join('\n');
}
