/**
 * `plan` tells the truth: for every examples/ layout, `partwright plan --json` gives the disk size and
 * the partition offsets and sizes that `sfdisk --json` reads from the built image (Minimize= and
 * blob sizes included), and two builds from the same inputs are byte-identical.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/formats/test-support/tools.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const EXAMPLES = path.join(ROOT, 'examples');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-plan-truth-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('sfdisk');
// examples/iso-hybrid needs its boot files from Debian's packages (npm test fetches them first).
if (!fs.existsSync(path.join(EXAMPLES, 'iso-hybrid/assets/isohdpfx.bin'))) execFileSync('bash', [path.join(ROOT, 'scripts/assets.sh')], { stdio: 'pipe' });

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** SHA-256 over the file's size and its data ranges (offset + bytes): equal for files whose contents are equal, without reading GiBs of holes. */
const SPARSE_HASH = `import os,sys,hashlib
fd=os.open(sys.argv[1],os.O_RDONLY); end=os.fstat(fd).st_size; h=hashlib.sha256(str(end).encode()); pos=0
while pos<end:
    try: d=os.lseek(fd,pos,os.SEEK_DATA)
    except OSError: break
    e=os.lseek(fd,d,os.SEEK_HOLE); h.update(str(d).encode())
    while d<e:
        b=os.pread(fd,min(1<<20,e-d),d); h.update(b); d+=len(b)
    pos=e
print(h.hexdigest())`;
const sha256 = (file: string) => spawnSync('python3', ['-c', SPARSE_HASH, file], { encoding: 'utf8' }).stdout.trim();

interface PlanJson {
  diskSizeBytes: number;
  sectorSizeBytes: number;
  partitions: { offsetBytes: number; sizeBytes: number; partitionNumber: number }[];
}
interface SfdiskJson {
  partitiontable: { sectorsize?: number; partitions: { node: string; start: number; size: number; type: string }[] };
}

/** Layouts with Verity=signature are built with a test key pair (RSA signatures are deterministic). */
function signingFlags(layout: string): string[] {
  const signs = fs.readdirSync(layout).some((n) => n.endsWith('.conf') && /^Verity=signature/m.test(fs.readFileSync(path.join(layout, n), 'utf8')));
  if (!signs) return [];
  const key = path.join(work, 'test.key'), cert = path.join(work, 'test.crt');
  if (!fs.existsSync(key)) {
    requireTools('openssl');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=partwright plan test', '-days', '3650'], { stdio: 'ignore' });
  }
  return ['--private-key', key, '--certificate', cert];
}

const layouts = fs.readdirSync(EXAMPLES).filter((n) => fs.statSync(path.join(EXAMPLES, n)).isDirectory()).sort();

describe('plan gives the table build writes', () => {
  it.each(layouts)('%s', (name) => {
    const layout = path.join(EXAMPLES, name);
    const a = path.join(work, `${name}-a.img`);
    const b = path.join(work, `${name}-b.img`);
    const sign = signingFlags(layout);
    const built = JSON.parse(cli('build', layout, '-o', a, '--json', ...sign)) as { sizeBytes: number; iso?: unknown };
    cli('build', layout, '-o', b, ...sign);
    expect(sha256(a)).toBe(sha256(b));
    if (built.iso) return; // Table=iso: no partition table to plan (plan reports the ISO as built).
    const plan = JSON.parse(cli('plan', layout, '--json')) as PlanJson;
    expect(plan.diskSizeBytes).toBe(built.sizeBytes);
    expect(fs.statSync(a).size).toBe(plan.diskSizeBytes);
    const table = (JSON.parse(spawnSync('sfdisk', ['--json', a], { encoding: 'utf8' }).stdout) as SfdiskJson).partitiontable;
    const sector = table.sectorsize ?? 512;
    const read = table.partitions
      .filter((p) => !['5', 'f', '85'].includes(p.type)) // MBR extended containers are not planned partitions
      .map((p) => ({ offsetBytes: p.start * sector, sizeBytes: p.size * sector }))
      .sort((x, y) => x.offsetBytes - y.offsetBytes);
    const planned = plan.partitions.map((p) => ({ offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes })).sort((x, y) => x.offsetBytes - y.offsetBytes);
    expect(read).toEqual(planned);
  }, 600_000);
});
