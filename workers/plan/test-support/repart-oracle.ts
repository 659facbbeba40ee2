/**
 * Runs the real systemd-repart 252 (the oracle) on definitions generated from a Partwright spec, and
 * reads back what it wrote with `sfdisk --json`. Test-only (Node).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageSpec, PartitionSpec } from '../../model/spec.ts';

export const REPART = '/usr/bin/systemd-repart';

/** repart.d text for one partition spec (only the keys the planner reads; no Format=). */
export function toConf(p: PartitionSpec): string {
  const lines = ['[Partition]', `Type=${p.type}`];
  const put = (key: string, value: string | number | boolean | undefined) => {
    if (value === undefined) return;
    lines.push(`${key}=${typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)}`);
  };
  put('Label', p.label);
  put('UUID', p.uuid);
  put('Priority', p.priority);
  put('Weight', p.weight);
  put('PaddingWeight', p.paddingWeight);
  put('SizeMinBytes', p.sizeMinBytes);
  put('SizeMaxBytes', p.sizeMaxBytes);
  put('PaddingMinBytes', p.paddingMinBytes);
  put('PaddingMaxBytes', p.paddingMaxBytes);
  put('Flags', p.flags);
  put('ReadOnly', p.readOnly);
  put('NoAuto', p.noAuto);
  put('GrowFileSystem', p.growFileSystem);
  return lines.join('\n') + '\n';
}

export interface SfdiskPartition {
  node?: string;
  start: number;
  size: number;
  type: string;
  uuid: string;
  name?: string;
  attrs?: string;
}

export interface SfdiskTable {
  label: string;
  id: string;
  firstlba: number;
  lastlba: number;
  sectorsize: number;
  partitions?: SfdiskPartition[];
}

export interface RepartRun {
  status: number | null;
  stdout: string;
  stderr: string;
  imageSizeBytes: number;
  table: SfdiskTable | undefined;
}

function writeDefinitions(dir: string, spec: ImageSpec): string {
  const defs = join(dir, 'repart.d');
  mkdirSync(defs);
  spec.partitions.forEach((p, i) => writeFileSync(join(defs, `${String(i).padStart(3, '0')}-p.conf`), toConf(p)));
  return defs;
}

/** `systemd-repart --empty=create --size=… --dry-run=no` on a regular file, then `sfdisk --json`. */
export function runRepartCreate(spec: ImageSpec, size: number | 'auto'): RepartRun {
  const dir = mkdtempSync(join(tmpdir(), 'pw-repart-'));
  try {
    const defs = writeDefinitions(dir, spec);
    const img = join(dir, 'disk.img');
    const r = spawnSync(REPART, [
      '--empty=create', `--size=${size}`, '--dry-run=no', `--seed=${spec.seed}`, `--definitions=${defs}`,
      '--no-pager', img,
    ], { encoding: 'utf8' });
    let table: SfdiskTable | undefined;
    let imageSizeBytes = 0;
    if (r.status === 0) {
      imageSizeBytes = statSync(img).size;
      table = (JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })) as { partitiontable: SfdiskTable })
        .partitiontable;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, imageSizeBytes, table };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RepartJsonEntry {
  type: string;
  label: string;
  uuid: string;
  file: string;
  offset: number;
  raw_size: number;
  raw_padding: number;
  activity: string;
}

/**
 * `--dry-run=yes --json=short --empty=force` on a file truncated to `sizeBytes`: the plan repart
 * prints without writing (v252 crashes writing a layout after a priority drop).
 */
export function runRepartDryRun(spec: ImageSpec, sizeBytes: number): { status: number | null; stderr: string; entries: RepartJsonEntry[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-repart-'));
  try {
    const defs = writeDefinitions(dir, spec);
    const img = join(dir, 'disk.img');
    writeFileSync(img, '');
    truncateSync(img, sizeBytes);
    const r = spawnSync(REPART, [
      '--empty=force', '--dry-run=yes', '--json=short', `--seed=${spec.seed}`, `--definitions=${defs}`, '--no-pager', img,
    ], { encoding: 'utf8' });
    const entries = r.status === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as RepartJsonEntry[]) : [];
    return { status: r.status, stderr: r.stderr, entries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sfdisk's attribute text ("LegacyBIOSBootable GUID:59,60") as the 64-bit field. */
export function parseSfdiskAttrs(text: string | undefined): bigint {
  if (!text) return 0n;
  const named: Record<string, bigint> = { RequiredPartition: 0n, NoBlockIOProtocol: 1n, LegacyBIOSBootable: 2n };
  let bits = 0n;
  for (const token of text.split(/\s+/).filter(Boolean)) {
    if (token.startsWith('GUID:')) {
      for (const n of token.slice(5).split(',')) bits |= 1n << BigInt(n);
    } else if (named[token] !== undefined) bits |= 1n << named[token];
    else throw new Error(`unknown sfdisk attribute ${token}`);
  }
  return bits;
}

/** systemd's format_bytes() (IEC, one digit below the point, computed as format-util.c does). */
export function systemdFormatBytes(bytes: number): string {
  const units: [string, number][] = [['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]];
  for (let i = 0; i < units.length; i++) {
    const [suffix, factor] = units[i]!;
    if (bytes < factor) continue;
    const next = units[i + 1];
    const tenth = next
      ? Math.floor((Math.floor(bytes / next[1]) * 10) / 1024) % 10
      : Math.floor((bytes * 10) / factor) % 10;
    return `${Math.floor(bytes / factor)}.${tenth}${suffix}`;
  }
  return `${bytes}B`;
}

/**
 * Base-image mode: repart makes an image from `first`, then runs again on that image (no --empty)
 * with `second`'s definitions and `--size=secondSize`. Returns both tables as sfdisk reads them.
 */
export function runRepartOnBaseImage(
  first: ImageSpec,
  firstSize: number,
  second: ImageSpec,
  secondSize: number,
): { before: SfdiskTable; beforeSizeBytes: number; after: RepartRun } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-repart-'));
  try {
    const img = join(dir, 'disk.img');
    const defsA = join(dir, 'a');
    const defsB = join(dir, 'b');
    mkdirSync(defsA);
    mkdirSync(defsB);
    first.partitions.forEach((p, i) => writeFileSync(join(defsA, `${String(i).padStart(3, '0')}-p.conf`), toConf(p)));
    second.partitions.forEach((p, i) => writeFileSync(join(defsB, `${String(i).padStart(3, '0')}-p.conf`), toConf(p)));
    const a = spawnSync(REPART, ['--empty=create', `--size=${firstSize}`, '--dry-run=no', `--seed=${first.seed}`, `--definitions=${defsA}`, '--no-pager', img], { encoding: 'utf8' });
    if (a.status !== 0) throw new Error(`first repart run failed: ${a.stderr}`);
    const sfdisk = () => (JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })) as { partitiontable: SfdiskTable }).partitiontable;
    const before = sfdisk();
    const beforeSizeBytes = statSync(img).size;
    const r = spawnSync(REPART, ['--dry-run=no', `--size=${secondSize}`, `--seed=${second.seed}`, `--definitions=${defsB}`, '--no-pager', img], { encoding: 'utf8' });
    const after: RepartRun = {
      status: r.status, stdout: r.stdout, stderr: r.stderr,
      imageSizeBytes: statSync(img).size,
      table: r.status === 0 ? sfdisk() : undefined,
    };
    return { before, beforeSizeBytes, after };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
