/**
 * What several commands share: LAYOUT or --preset, sizes, seeds, copy sources and base images.
 */
import * as path from 'node:path';
import { parseSize } from '../../workers/model/units.ts';
import { normalizeGuid } from '../../workers/model/partition-types.ts';
import { PRESETS, presetByName, type Preset } from '../../workers/model/presets/index.ts';
import { validateCloudInit, type CloudInitSpec } from '../../workers/model/cloud-init.ts';
import { flag, UsageError, type ParsedArgs } from '../args.ts';
import { loadLayout, resolveLayoutPath } from '../layout-files.ts';

export function exactlyOne(args: ParsedArgs, what: string): string {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length ? `expected one ${what}, got ${args.positionals.length}: ${args.positionals.join(' ')}` : `missing ${what}`);
  }
  return args.positionals[0]!;
}

export function sizeOption(args: ParsedArgs): number | 'auto' | undefined {
  const v = flag(args, 'size');
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  return parseSize(v);
}

export function seedOption(args: ParsedArgs): string | undefined {
  const v = flag(args, 'seed');
  if (v === undefined) return undefined;
  const g = normalizeGuid(v);
  if (!g) throw new UsageError(`--seed ${v} is not a UUID (e.g. 0867da16-f251-457d-a9e8-c31f9a3c220b)`);
  return g;
}

export interface Prepared {
  spec: ReturnType<typeof loadLayout>['spec'];
  layoutDir: string;
  copySource: string | undefined;
  basePath: string | undefined;
  preset: Preset | undefined;
}

export function prepare(args: ParsedArgs): Prepared {
  const presetName = flag(args, 'preset');
  let spec: Prepared['spec'];
  let layoutDir: string;
  let preset: Preset | undefined;
  if (presetName !== undefined) {
    if (args.positionals.length) throw new UsageError('give either LAYOUT or --preset NAME, not both');
    preset = presetByName(presetName);
    if (!preset) throw new UsageError(`no preset '${presetName}'; presets are ${PRESETS.map((p) => p.name).join(', ')}`);
    if (flag(args, 'copy-source') === undefined && preset.inputs.length) {
      throw new UsageError(`preset '${preset.name}' needs --copy-source DIR holding ${preset.inputs.map((i) => i.path).join(', ')} (see partwright presets)`);
    }
    spec = structuredClone(preset.spec);
    layoutDir = process.cwd();
  } else {
    const layoutPath = exactlyOne(args, 'LAYOUT (a repart.d directory or a layout .json file), or --preset NAME');
    const loaded = loadLayout(layoutPath);
    spec = loaded.spec;
    layoutDir = loaded.layoutDir;
    for (const w of loaded.warnings) process.stderr.write(`partwright: warning: ${path.join(layoutPath, w.file)}:${w.line}: ${w.message}\n`);
  }
  const copySourceFlag = flag(args, 'copy-source');
  const copySource = copySourceFlag !== undefined ? path.resolve(copySourceFlag) : spec.copySource !== undefined ? path.resolve(layoutDir, spec.copySource) : undefined;
  const baseFlag = flag(args, 'base');
  const basePath = baseFlag !== undefined ? path.resolve(baseFlag) : spec.base ? resolveLayoutPath(spec.base.source, layoutDir, undefined) : undefined;
  return { spec, layoutDir, copySource, basePath, preset };
}


/** SOURCE_DATE_EPOCH from the environment (whole seconds), as every host passes it to the build job. */
export function sourceDateEpochEnv(): number | undefined {
  const sde = process.env.SOURCE_DATE_EPOCH;
  return sde !== undefined && /^\d+$/.test(sde) ? Number(sde) : undefined;
}

/** --cloud-init-*: first-boot settings, checked here so a mistake is a usage error naming the option. */
export function cloudInitOption(args: ParsedArgs): CloudInitSpec | undefined {
  const keys = [
    ['hostname', 'cloud-init-hostname'], ['user', 'cloud-init-user'], ['passwordHash', 'cloud-init-password-hash'],
    ['wifiSsid', 'cloud-init-wifi-ssid'], ['wifiPassword', 'cloud-init-wifi-password'], ['wifiCountry', 'cloud-init-wifi-country'],
    ['locale', 'cloud-init-locale'], ['timezone', 'cloud-init-timezone'],
  ] as const;
  const out: CloudInitSpec = {};
  for (const [key, name] of keys) {
    const v = flag(args, name);
    if (v !== undefined) out[key] = v;
  }
  const ssh = args.flags.get('cloud-init-ssh-key');
  if (ssh?.length) out.sshAuthorizedKeys = ssh;
  if (Object.keys(out).length === 0) return undefined;
  const problem = validateCloudInit(out)[0];
  if (problem) throw new UsageError(`--cloud-init-${problem.field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace('ssh-authorized-keys', 'ssh-key')}: ${problem.message}`);
  return out;
}
