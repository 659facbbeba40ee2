/**
 * The CLI as a hostile user and a crashing machine see it (issue 15): an in-place build killed at
 * several points leaves the old image valid or the complete new one (sgdisk -v, sfdisk --json, cmp);
 * a symlink planted at OUT.partial is never written through; Ctrl-C and SIGTERM leave no partial
 * file or scratch folder; discarding never writes zeros (peak scratch of an 8G base build).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/formats/test-support/tools.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const EXAMPLES = path.join(ROOT, 'examples');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-reliability-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('sfdisk', 'sgdisk');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until no file matching `pattern` is left in `dir` (the watchdog removes them just after exit). */
async function leftovers(dir: string, pattern: RegExp, waitMs = 3000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = fs.readdirSync(dir).filter((n) => pattern.test(n));
    if (found.length === 0 || Date.now() > deadline) return found;
    await sleep(50);
  }
}

function sfdiskJson(file: string): unknown {
  const t = JSON.parse(execFileSync('sfdisk', ['--json', file], { encoding: 'utf8' })) as { partitiontable: Record<string, unknown> };
  delete t.partitiontable.device;
  for (const p of (t.partitiontable.partitions ?? []) as Record<string, unknown>[]) delete p.node;
  return t.partitiontable;
}

function sgdiskClean(file: string): boolean {
  const r = spawnSync('sgdisk', ['-v', file], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('No problems found');
}

describe('--in-place is crash-safe: a kill leaves the old valid image or the complete new one', () => {
  const layout = path.join(work, 'grow');
  const basePath = path.join(EXAMPLES, 'base-image/base.img');
  const baseSize = fs.statSync(basePath).size;
  const dataMiB = 160;
  const ref = path.join(work, 'grow-ref.img');

  beforeAll(() => {
    fs.mkdirSync(layout);
    fs.copyFileSync(path.join(EXAMPLES, 'base-image/10-esp.conf'), path.join(layout, '10-esp.conf'));
    // Random data (incompressible, no zero blocks) copied into a new partition past the old end.
    const data = path.join(work, 'data.bin');
    const fd = fs.openSync(data, 'w');
    const rng = crypto.createHash('sha256');
    let block = rng.update('seed').digest();
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < dataMiB; i++) {
      for (let o = 0; o < chunk.length; o += 32) {
        block = crypto.createHash('sha256').update(block).digest();
        block.copy(chunk, o);
      }
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    fs.writeFileSync(path.join(layout, '20-data.conf'), `[Partition]\nType=linux-generic\nLabel=data\nCopyBlocks=${data}\n`);
    const r = cli(['build', layout, '--base', basePath, '--size', '256M', '-o', ref]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sgdiskClean(ref)).toBe(true);
  }, 120_000);

  const oldTable = () => sfdiskJson(basePath);

  /** 'new' when the file is the complete new image, 'old' when its first baseSize bytes are the intact base. */
  function judge(file: string): 'new' | 'old' | string {
    if (spawnSync('cmp', ['-s', file, ref]).status === 0) return 'new';
    const old = path.join(work, 'judge-old.img');
    fs.rmSync(old, { force: true });
    fs.copyFileSync(file, old);
    fs.truncateSync(old, baseSize);
    if (!sgdiskClean(old)) return `neither: sgdisk -v on the old extent says ${spawnSync('sgdisk', ['-v', old], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ')}`;
    if (JSON.stringify(sfdiskJson(old)) !== JSON.stringify(oldTable())) return 'neither: the table is not the old one';
    if (spawnSync('cmp', ['-s', '-n', String(9 << 20), old, basePath]).status !== 0) return 'neither: the ESP changed';
    return 'old';
  }

  const allocated = (file: string) => fs.statSync(file).blocks * 512;

  for (const killAfterMiB of [1, 16, 64, 120]) {
    it(`SIGKILL after ${killAfterMiB} MiB written into the base`, async () => {
      const img = path.join(work, `inplace-${killAfterMiB}.img`);
      fs.copyFileSync(basePath, img);
      const start = allocated(img);
      const child = spawn(process.execPath, [BIN, 'build', layout, '--base', img, '--size', '256M', '--in-place'], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let killedAt = -1;
      let done = false;
      exited.then(() => (done = true));
      while (!done) {
        if (allocated(img) - start >= killAfterMiB << 20) {
          killedAt = allocated(img) - start;
          child.kill('SIGKILL');
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
      await exited;
      expect(killedAt, 'the build finished before the kill point').toBeGreaterThanOrEqual(0);
      expect(judge(img)).toBe('old');
      // Nothing the build made survives it: no OUT.store.partial beside the base.
      expect(await leftovers(work, new RegExp(`^inplace-${killAfterMiB}\\.img\\..*partial`))).toEqual([]);
    }, 120_000);
  }

  it('an uninterrupted run gives the complete new image', () => {
    const img = path.join(work, 'inplace-full.img');
    fs.copyFileSync(basePath, img);
    const r = cli(['build', layout, '--base', img, '--size', '256M', '--in-place']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(judge(img)).toBe('new');
    expect(sgdiskClean(img)).toBe(true);
  }, 120_000);
});

describe('outputs and scratch files are created exclusively and never left behind', () => {
  it('a symlink planted at OUT.partial is not written through (raw, qcow2, base store)', async () => {
    const dir = path.join(work, 'planted');
    fs.mkdirSync(dir);
    const victim = path.join(dir, 'v.txt');
    fs.writeFileSync(victim, 'precious\n');
    for (const [name, extra] of [['out.img', []], ['out.qcow2', ['--output-format', 'qcow2']]] as const) {
      const out = path.join(dir, name);
      fs.symlinkSync(victim, `${out}.partial`);
      const r = cli(['build', path.join(EXAMPLES, 'gpt-disk'), '-o', out, ...extra]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(fs.lstatSync(out).isFile()).toBe(true);
      expect(fs.lstatSync(`${out}.partial`).isSymbolicLink()).toBe(true);
    }
    const base = path.join(dir, 'b.img');
    fs.copyFileSync(path.join(EXAMPLES, 'base-image/base.img'), base);
    const out = path.join(dir, 'nb.img');
    fs.symlinkSync(victim, `${out}.store.partial`);
    const r = cli(['build', path.join(EXAMPLES, 'base-image'), '--base', base, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(out).isFile()).toBe(true);
  }, 120_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during a build leaves no OUT.partial and no scratch in the temp folder`, async () => {
      const dir = path.join(work, `sig-${signal}`);
      const tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp, { recursive: true });
      const out = path.join(dir, 'out.img');
      // ext4-root formats with mke2fs (WASM): long enough to be interrupted in synchronous code.
      const child = spawn(process.execPath, [BIN, 'build', path.join(EXAMPLES, 'ext4-root'), '-o', out, '--size', '2G'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, TMPDIR: tmp } });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
      // Wait until the build has made its files, then interrupt it.
      const deadline = Date.now() + 30_000;
      while (!fs.readdirSync(dir).some((n) => n.includes('.partial')) && Date.now() < deadline) await sleep(5);
      expect(fs.readdirSync(dir).some((n) => n.includes('.partial'))).toBe(true);
      child.kill(signal);
      await exited;
      expect(await leftovers(dir, /partial/)).toEqual([]);
      expect(await leftovers(tmp, /^partwright/)).toEqual([]);
      expect(fs.existsSync(out)).toBe(false);
    }, 60_000);
  }

  it('a failed build leaves nothing behind and names the path in its message', async () => {
    const dir = path.join(work, 'failed');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const out = path.join(dir, 'out.img');
    const r = cli(['build', path.join(EXAMPLES, 'gpt-disk'), '-o', out, '--size', '1K'], { TMPDIR: tmp });
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/ :|: :/);
    expect(await leftovers(dir, /partial/)).toEqual([]);
    expect(await leftovers(tmp, /^partwright/)).toEqual([]);
  });
});

describe('discarding never writes zeros', () => {
  it('an 8G base build peaks at ≤ 64 MiB of scratch', async () => {
    const dir = path.join(work, 'big-base');
    fs.mkdirSync(dir);
    const base = path.join(dir, 'b.img');
    fs.copyFileSync(path.join(EXAMPLES, 'base-image/base.img'), base);
    const out = path.join(dir, 'nb8.img');
    const child = spawn(process.execPath, [BIN, 'build', path.join(EXAMPLES, 'base-image'), '--base', base, '--size', '8G', '-o', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    exited.then(() => (done = true));
    let peak = 0;
    const started = Date.now();
    while (!done) {
      for (const n of fs.readdirSync(dir)) {
        if (!n.includes('partial')) continue;
        try {
          peak = Math.max(peak, fs.statSync(path.join(dir, n)).blocks * 512);
        } catch {
          // renamed or removed meanwhile
        }
      }
      await sleep(2);
    }
    const code = await exited;
    const seconds = (Date.now() - started) / 1000;
    console.log(`8G base build: peak scratch ${(peak / 2 ** 20).toFixed(1)} MiB, ${seconds.toFixed(1)} s, output ${fs.statSync(out).blocks * 512} bytes allocated`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(peak).toBeLessThanOrEqual(64 << 20);
    expect(fs.statSync(out).blocks * 512).toBeLessThanOrEqual(64 << 20);
    expect(sgdiskClean(out)).toBe(true);
  }, 120_000);
});

describe('layouts and copy sources a hostile user writes', () => {
  requireTools('mtype');
  /** A vfat ESP filled by CopyFiles= from a copy source under `dir`. */
  function espLayout(dir: string, copyFiles: string): string {
    const layout = path.join(dir, 'layout');
    fs.mkdirSync(layout, { recursive: true });
    fs.writeFileSync(path.join(layout, '10-esp.conf'), `[Partition]\nType=esp\nFormat=vfat\nCopyFiles=${copyFiles}\nSizeMinBytes=64M\nSizeMaxBytes=64M\n\n[X-Partwright-Disk]\nSize=auto\nCopySource=../src\n`);
    return layout;
  }

  it('a symlink inside the copy source cannot lead out of it (chase semantics, as repart)', () => {
    const dir = path.join(work, 'escape');
    fs.mkdirSync(path.join(dir, 'src/etc'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/etc/hostname'), 'inside-the-source\n');
    fs.symlinkSync('/etc', path.join(dir, 'src/linkdir'));
    fs.symlinkSync('../../../../../../etc/hostname', path.join(dir, 'src/dotdot'));
    const out = path.join(dir, 'out.img');
    const r = cli(['build', espLayout(dir, '/linkdir/hostname:/leak\nCopyFiles=/dotdot:/leak2'), '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const leak = execFileSync('mtype', ['-i', `${out}@@1M`, '::/leak'], { encoding: 'utf8' });
    const leak2 = execFileSync('mtype', ['-i', `${out}@@1M`, '::/leak2'], { encoding: 'utf8' });
    // /linkdir -> /etc resolves to SRC/etc, and ../.. stops at SRC: both are the source's own file.
    expect(leak).toBe('inside-the-source\n');
    expect(leak2).toBe('inside-the-source\n');
  }, 60_000);

  it('a file that reports size 0 but has content (/proc) is copied with its content', () => {
    const dir = path.join(work, 'procfs');
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    const out = path.join(dir, 'out.img');
    const r = cli(['build', espLayout(dir, '/proc/version:/version'), '-o', out, '--copy-source', '/']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const copied = execFileSync('mtype', ['-i', `${out}@@1M`, '::/version'], { encoding: 'utf8' });
    expect(copied).toBe(fs.readFileSync('/proc/version', 'utf8'));
    expect(copied.length).toBeGreaterThan(0);
  }, 60_000);

  it('BaseImageInPlace=yes without BaseImage= is a clear error, not an internal one', () => {
    const dir = path.join(work, 'inplace-nobase');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10-root.conf'), '[Partition]\nType=root\nSizeMinBytes=10M\n\n[X-Partwright-Disk]\nBaseImageInPlace=yes\n');
    for (const args of [['build', dir, '--in-place'], ['build', dir, '-o', path.join(dir, 'x.img')], ['plan', dir]]) {
      const r = cli(args);
      expect(r.status, r.stderr).toBeGreaterThan(0);
      expect(r.status).toBeLessThan(70);
      expect(r.stderr).toMatch(/10-root\.conf:6: .*BaseImageInPlace= needs BaseImage=/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('plan refuses what build refuses: 200 partitions in a 128-entry GPT', () => {
    const dir = path.join(work, 'p200');
    fs.mkdirSync(dir);
    for (let i = 1; i <= 200; i++) fs.writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.conf`), '[Partition]\nType=linux-generic\nSizeMinBytes=1M\nSizeMaxBytes=1M\n');
    const plan = cli(['plan', dir, '--size', '300M']);
    const build = cli(['build', dir, '--size', '300M', '-o', path.join(dir, 'x.img')]);
    expect(plan.status).toBe(1);
    expect(build.status).toBe(1);
    expect(plan.stderr).toMatch(/200 partitions do not fit in a GPT of 128 entries/);
    expect(build.stderr.replace('build', 'plan')).toBe(plan.stderr);
  }, 60_000);
});
