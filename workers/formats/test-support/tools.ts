/**
 * Test helpers: real partitioning tools as oracles, sparse image files built from table regions,
 * and the golden fixtures next to gpt/ and mbr/. Node only (tests).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadBytes, TableRegion } from '../table-region.ts';

export { requireTools } from '../../test-support/debian.ts';

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Run and return stdout+stderr and the exit status without throwing. */
export function runStatus(cmd: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const dirs: string[] = [];

/** A scratch directory removed by `cleanupTemp()`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'partwright-formats-'));
  dirs.push(dir);
  return dir;
}

export function cleanupTemp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A sparse file of `sizeBytes` with the regions written at their offsets. */
export function writeImage(regions: readonly TableRegion[], sizeBytes: number, name = 'disk.img'): string {
  const path = join(tempDir(), name);
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, sizeBytes);
    for (const r of regions) writeSync(fd, r.bytes, 0, r.bytes.length, r.offsetBytes);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A read callback over a file (short reads past its end, like a truncated image). */
export function readFile(path: string): ReadBytes {
  return (offsetBytes, sizeBytes) => {
    const fd = openSync(path, 'r');
    try {
      const buf = new Uint8Array(sizeBytes);
      const n = readSync(fd, buf, 0, sizeBytes, offsetBytes);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  };
}

/** The bytes of a file range (for comparing tool-written tables with ours). */
export function fileBytes(path: string, offsetBytes: number, sizeBytes: number): Uint8Array {
  return readFile(path)(offsetBytes, sizeBytes);
}

export function fixturePath(dir: string, file: string): string {
  return join(dir, 'fixtures', file);
}

export function readFixture(dir: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(dir, file)));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** sfdisk's attrs string ("RequiredPartition LegacyBIOSBootable GUID:59,60") as the 64-bit field. */
export function parseSfdiskAttrs(text: string | undefined): bigint {
  let bits = 0n;
  for (const word of (text ?? '').split(/\s+/).filter(Boolean)) {
    if (word === 'RequiredPartition') bits |= 1n;
    else if (word === 'NoBlockIOProtocol') bits |= 2n;
    else if (word === 'LegacyBIOSBootable') bits |= 4n;
    else if (word.startsWith('GUID:')) for (const b of word.slice(5).split(',')) bits |= 1n << BigInt(b);
    else throw new Error(`unknown sfdisk attribute ${word}`);
  }
  return bits;
}

export interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    firstlba?: number;
    lastlba?: number;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }[];
  };
}

export function sfdiskJson(path: string): SfdiskJson {
  return JSON.parse(run('sfdisk', ['--json', path])) as SfdiskJson;
}

/** The first offset where two byte arrays differ, or -1 (for readable failures). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
