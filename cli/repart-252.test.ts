/**
 * `partwright --repart-version=252` against the real systemd-repart 252, on the things repart.d users
 * meet first: drop-ins, several definitions directories, empty definitions, base images without
 * --size (chains), unnamed existing partitions, 512/1024/2048/4096-byte sectors and specifiers. Both
 * tools get the same definitions; `sfdisk --dump` of both images and repart's `--json` beside
 * `partwright plan --json=repart` must agree. Nothing expected here is hand-written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/test-support/debian.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const REPART = '/usr/bin/systemd-repart';
const SEED = '0123456789abcdef0123456789abcdef';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-repart252-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('systemd-repart', 'sfdisk', 'fdisk', 'losetup');

let counter = 0;
function scratch(): string {
  const d = path.join(work, String(counter++));
  fs.mkdirSync(d);
  return d;
}

/** Write a definitions directory: `{ '10-root.conf': '…', '10-root.conf.d/a.conf': '…' }`. */
function defs(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function repart(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(REPART, ['--no-pager', `--seed=${SEED}`, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `sfdisk --dump` without the lines that name the file (device:, and each partition's node). */
function dump(img: string): string[] {
  return execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.startsWith('device:'))
    .map((l) => l.replace(/^\S+ : /, 'N : '));
}

/** repart's --json entries with the fields that do not name files. */
function comparable(json: string): Record<string, unknown>[] {
  return (JSON.parse(json) as Record<string, unknown>[]).map((e) => ({
    type: e.type, label: e.label, uuid: e.uuid, offset: e.offset, old_size: e.old_size, raw_size: e.raw_size,
    old_padding: e.old_padding, raw_padding: e.raw_padding, activity: e.activity,
    file: path.basename(String(e.file)),
    dropIns: ((e['drop-in_files'] as string[] | undefined) ?? []).map((f) => path.relative(path.dirname(path.dirname(f)), f)),
  }));
}

/** Build with partwright (252 mode) and with repart from the same definitions; compare. */
function bothCreate(dirs: string[], size: string): { pw: string; rp: string } {
  const d = scratch();
  const rp = path.join(d, 'rp.img');
  const pw = path.join(d, 'pw.img');
  const r = repart('--empty=create', `--size=${size}`, '--dry-run=no', '--json=short', ...dirs.map((x) => `--definitions=${x}`), rp);
  expect(r.status, r.stderr).toBe(0);
  const b = cli('build', ...dirs.flatMap((x) => ['--definitions', x]), '--repart-version', '252', '--size', size, '--seed', SEED, '-o', pw);
  expect(b.status, b.stderr).toBe(0);
  expect(fs.statSync(pw).size).toBe(fs.statSync(rp).size);
  expect(dump(pw)).toEqual(dump(rp));
  const p = cli('plan', ...dirs.flatMap((x) => ['--definitions', x]), '--repart-version', '252', '--size', size, '--seed', SEED, '--json=repart');
  expect(p.status, p.stderr).toBe(0);
  expect(comparable(p.stdout)).toEqual(comparable(r.stdout));
  return { pw, rp };
}

describe('drop-ins and several definitions directories (252)', () => {
  it('NAME.conf.d/*.conf override keys in file-name order', () => {
    const d = defs(path.join(scratch(), 'defs'), {
      '10-root.conf': '[Partition]\nType=root\nLabel=base\nSizeMinBytes=20M\n',
      '10-root.conf.d/b.conf': '[Partition]\nLabel=from-b\n',
      '10-root.conf.d/a.conf': '[Partition]\nLabel=from-a\nSizeMaxBytes=30M\n',
      '10-root.conf.d/not-a-conf.txt': '[Partition]\nLabel=ignored\n',
      '20-home.conf': '[Partition]\nType=home\n',
      '20-home.conf.d/weight.conf': '[Partition]\nWeight=3000\nPaddingMinBytes=1M\n',
    });
    bothCreate([d], '200M');
  });

  it('the earlier directory wins on the same file name and the same drop-in name', () => {
    const base = scratch();
    const a = defs(path.join(base, 'a'), {
      '10-root.conf': '[Partition]\nType=root\nLabel=from-a\n',
      '10-root.conf.d/y.conf': '[Partition]\nSizeMaxBytes=30M\n',
      '20-home.conf.d/x.conf': '[Partition]\nLabel=dropin-a\n',
      '20-home.conf.d/a.conf': '[Partition]\nWeight=7\n',
    });
    const b = defs(path.join(base, 'b'), {
      '10-root.conf': '[Partition]\nType=root\nLabel=from-b\n',
      '20-home.conf': '[Partition]\nType=home\nLabel=home-b\n',
      '20-home.conf.d/x.conf': '[Partition]\nLabel=dropin-b\nSizeMaxBytes=20M\n',
      '30-swap.conf': '[Partition]\nType=swap\nSizeMaxBytes=8M\n',
    });
    bothCreate([a, b], '100M');
    bothCreate([b, a], '100M');
  });

  it('an empty definitions directory makes an empty GPT', () => {
    const d = defs(path.join(scratch(), 'empty'), {});
    bothCreate([d], '10M');
  });
});

/** The image repart 252 makes from `first`, copied so each tool gets its own. */
function baseImage(first: Record<string, string>, size: string): { rp: string; pw: string; dir: string } {
  const d = scratch();
  const defsA = defs(path.join(d, 'a'), first);
  const rp = path.join(d, 'rp.img');
  const r = repart('--empty=create', `--size=${size}`, '--dry-run=no', `--definitions=${defsA}`, rp);
  expect(r.status, r.stderr).toBe(0);
  const pw = path.join(d, 'pw.img');
  fs.copyFileSync(rp, pw);
  return { rp, pw, dir: d };
}

/** repart (no --empty, optionally --size) and partwright build --in-place on the same base. */
function bothOnBase(img: { rp: string; pw: string }, defsDir: string, size?: string): { rp: ReturnType<typeof repart>; pw: ReturnType<typeof cli> } {
  const sizeArgs = size ? [`--size=${size}`] : [];
  const before = dump(img.rp);
  const rp = repart('--dry-run=no', '--json=short', ...sizeArgs, `--definitions=${defsDir}`, img.rp);
  const plan = cli('plan', defsDir, '--base', img.pw, '--repart-version', '252', '--seed', SEED, '--json=repart', ...(size ? ['--size', size] : []));
  const pw = cli('build', defsDir, '--base', img.pw, '--in-place', '--repart-version', '252', '--seed', SEED, ...(size ? ['--size', size] : []));
  expect(pw.status === 0, `repart: ${rp.stderr}\npartwright: ${pw.stderr}`).toBe(rp.status === 0);
  if (rp.status === 0) {
    expect(fs.statSync(img.pw).size).toBe(fs.statSync(img.rp).size);
    expect(dump(img.pw)).toEqual(dump(img.rp));
    if (rp.stdout.trim()) expect(comparable(plan.stdout)).toEqual(comparable(rp.stdout));
  } else {
    expect(dump(img.pw)).toEqual(before);
  }
  return { rp, pw };
}

describe('base images (252)', () => {
  it('without --size the image is not resized: new partitions take the free space, a chain of runs', () => {
    const img = baseImage({
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
      '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30M\nSizeMaxBytes=30M\n',
    }, '200M');
    const second = defs(path.join(scratch(), 'b'), {
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
      '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30M\nSizeMaxBytes=30M\n',
      '30-home.conf': '[Partition]\nType=home\nSizeMaxBytes=60M\n',
    });
    const r1 = bothOnBase(img, second);
    expect(r1.rp.status).toBe(0);
    const third = defs(path.join(scratch(), 'c'), {
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
      '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30M\nSizeMaxBytes=30M\n',
      '30-home.conf': '[Partition]\nType=home\nSizeMaxBytes=60M\n',
      '40-srv.conf': '[Partition]\nType=srv\n',
    });
    expect(bothOnBase(img, third).rp.status).toBe(0);
    // …and once more with --size: now the image grows.
    expect(bothOnBase(img, third, '300M').rp.status).toBe(0);
  });

  it('without --size, definitions that do not fit are refused with repart\'s message', () => {
    const img = baseImage({ '10-root.conf': '[Partition]\nType=root\nSizeMinBytes=8M\nSizeMaxBytes=8M\n' }, '20M');
    const second = defs(path.join(scratch(), 'b'), {
      '10-root.conf': '[Partition]\nType=root\nSizeMinBytes=8M\nSizeMaxBytes=8M\n',
      '20-home.conf': '[Partition]\nType=home\nSizeMinBytes=50M\n',
    });
    const r = bothOnBase(img, second);
    expect(r.rp.status).not.toBe(0);
    expect(r.rp.stderr).toContain("Can't fit requested partitions into available free space");
    expect(r.pw.stderr).toContain("Can't fit requested partitions into available free space");
  });

  it('plan --json=repart lists existing partitions no definition matches ("file": "-")', () => {
    const img = baseImage({
      '10-swap.conf': '[Partition]\nType=swap\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
      '20-var.conf': '[Partition]\nType=var\nSizeMinBytes=10M\nSizeMaxBytes=10M\n',
    }, '100M');
    const home = defs(path.join(scratch(), 'b'), { '20-var.conf': '[Partition]\nType=var\nSizeMaxBytes=10M\n', '30-home.conf': '[Partition]\nType=home\n' });
    const r = bothOnBase(img, home);
    expect(r.rp.status).toBe(0);
    const plan = cli('plan', home, '--base', img.rp, '--repart-version', '252', '--json=repart');
    const entries = JSON.parse(plan.stdout) as { file: string; type: string; activity: string }[];
    expect(entries.map((e) => [e.type, path.basename(e.file), e.activity])).toEqual([['var', '20-var.conf', 'unchanged'], ['home', '30-home.conf', 'unchanged'], ['swap', '-', 'unchanged']]);
  });

  it('an empty definitions directory leaves an existing table alone', () => {
    const img = baseImage({ '10-root.conf': '[Partition]\nType=root\nSizeMaxBytes=8M\n' }, '40M');
    const empty = defs(path.join(scratch(), 'empty'), {});
    const r = bothOnBase(img, empty);
    expect(r.rp.status).toBe(0);
  });

  it('an unnamed existing partition keeps its empty name when nothing else changes ("No changes.")', () => {
    const d = scratch();
    const rp = path.join(d, 'rp.img');
    fs.writeFileSync(rp, '');
    fs.truncateSync(rp, 100 * 1024 * 1024);
    // One unnamed root partition reaching the last grain-aligned sector: nothing to grow.
    execFileSync('sfdisk', ['-q', rp], { input: 'label: gpt\nsize=202712, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\n' });
    const pw = path.join(d, 'pw.img');
    fs.copyFileSync(rp, pw);
    const root = defs(path.join(d, 'defs'), { '10-root.conf': '[Partition]\nType=root\n' });
    const r = bothOnBase({ rp, pw }, root);
    expect(r.rp.stderr).toContain('No changes.');
    expect(dump(pw).some((l) => l.includes('name='))).toBe(false);
    // With a new partition the table changes, and then repart names it.
    const more = defs(path.join(d, 'more'), { '10-root.conf': '[Partition]\nType=root\n', '20-swap.conf': '[Partition]\nType=swap\n' });
    const r2 = bothOnBase({ rp, pw }, more, '150M');
    expect(r2.rp.status).toBe(0);
  });
});

/** A loop device with `sectorSize`-byte sectors over `file` (repart 252 reads the sector size only from a block device). */
function withLoop<T>(file: string, sectorSize: number, fn: (dev: string) => T): T {
  const dev = execFileSync('losetup', ['-b', String(sectorSize), '-f', '--show', file], { encoding: 'utf8' }).trim();
  try {
    return fn(dev);
  } finally {
    execFileSync('losetup', ['-d', dev]);
  }
}

describe('sector sizes (252)', () => {
  for (const ss of [512, 1024, 2048, 4096]) {
    it(`${ss}-byte sectors`, () => {
      const d = scratch();
      const dir = defs(path.join(d, 'defs'), {
        '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
        '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=10000000\nPaddingMinBytes=3000000\n',
        '30-home.conf': '[Partition]\nType=home\nWeight=500\n',
      });
      const rp = path.join(d, 'rp.img');
      fs.writeFileSync(rp, '');
      fs.truncateSync(rp, 96 * 1024 * 1024);
      const out = withLoop(rp, ss, (dev) => {
        const r = repart('--empty=force', '--dry-run=no', '--json=short', `--definitions=${dir}`, dev);
        expect(r.status, r.stderr).toBe(0);
        return { json: r.stdout, dump: dump(dev) };
      });
      const pw = path.join(d, 'pw.img');
      const b = cli('build', dir, '--repart-version', '252', '--sector-size', String(ss), '--size', String(96 * 1024 * 1024), '--seed', SEED, '-o', pw);
      expect(b.status, b.stderr).toBe(0);
      expect(withLoop(pw, ss, (dev) => dump(dev))).toEqual(out.dump);
      const p = cli('plan', dir, '--repart-version', '252', '--sector-size', String(ss), '--size', String(96 * 1024 * 1024), '--seed', SEED, '--json=repart');
      expect(p.status, p.stderr).toBe(0);
      expect(comparable(p.stdout)).toEqual(comparable(out.json));
    });
  }
});

describe('specifiers (252)', () => {
  it('%A %M %o %w %W %B from os-release, %H %l %v %a from the machine, %T %V, %% — as repart --root= expands them', () => {
    const d = scratch();
    const root = path.join(d, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    const osRelease = path.join(root, 'etc/os-release');
    fs.writeFileSync(osRelease, 'ID=debian\nVERSION_ID="12"\nVARIANT_ID=server\nIMAGE_ID=myimg\nIMAGE_VERSION=1.2.3\nBUILD_ID=\'b42\'\n');
    const dir = defs(path.join(d, 'defs'), {
      '10-a.conf': '[Partition]\nType=linux-generic\nLabel=%M_%A\nSizeMaxBytes=4M\n',
      '20-b.conf': '[Partition]\nType=linux-generic\nLabel=%o-%w-%W-%B\nSizeMaxBytes=4M\n',
      '30-c.conf': '[Partition]\nType=linux-generic\nLabel=100%%_%T%V\nSizeMaxBytes=4M\n',
      '40-d.conf': '[Partition]\nType=linux-generic\nLabel=%a\nSizeMaxBytes=4M\n',
      '50-e.conf': '[Partition]\nType=linux-generic\nLabel=%l\nSizeMaxBytes=4M\n',
      '50-e.conf.d/v.conf': '[Partition]\nLabel=k%v\n',
    });
    const rp = path.join(d, 'rp.img');
    const r = repart(`--root=${root}`, '--empty=create', '--size=64M', '--dry-run=no', '--json=short', `--definitions=${dir}`, rp);
    expect(r.status, r.stderr).toBe(0);
    const pw = path.join(d, 'pw.img');
    const args = ['--repart-version', '252', '--os-release', osRelease, '--host-specifiers', '--size', '64M', '--seed', SEED];
    const b = cli('build', dir, ...args, '-o', pw);
    expect(b.status, b.stderr).toBe(0);
    expect(dump(pw)).toEqual(dump(rp));
    expect(dump(pw).join('\n')).toContain('name="myimg_1.2.3"');
    const p = cli('plan', dir, ...args, '--json=repart');
    expect(comparable(p.stdout)).toEqual(comparable(r.stdout));
  });

  it('a specifier without a value, or an unknown one, is an error naming file and line', () => {
    const dir = defs(path.join(scratch(), 'defs'), { '10-a.conf': '[Partition]\nType=root\n\nLabel=v%A\n' });
    const noValue = cli('plan', dir, '--repart-version', '252');
    expect(noValue.status).toBe(1);
    expect(noValue.stderr).toMatch(/10-a\.conf:4: .*%A .*IMAGE_VERSION= \(--os-release FILE\)/);
    // --image-version gives it a value.
    const given = cli('plan', dir, '--image-version', '7', '--json=repart');
    expect(given.status, given.stderr).toBe(0);
    expect(JSON.parse(given.stdout)[0].label).toBe('v7');
    const unknown = defs(path.join(scratch(), 'defs'), { '10-a.conf': '[Partition]\nType=root\nCopyFiles=/%z\n' });
    const u = cli('plan', unknown);
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/10-a\.conf:3: .*unknown specifier %z/);
  });
});

/** repart --empty=MODE and partwright --empty MODE on copies of the same image; their tables (or refusals) must agree. */
function bothEmpty(img: { rp: string; pw: string }, defsDir: string, mode: string, size?: string): { rp: ReturnType<typeof repart>; pw: ReturnType<typeof cli> } {
  const sizeArgs = size ? [`--size=${size}`] : [];
  const before = fs.readFileSync(img.pw);
  const rp = repart('--dry-run=no', '--json=short', `--empty=${mode}`, ...sizeArgs, `--definitions=${defsDir}`, img.rp);
  const plan = cli('plan', defsDir, '--base', img.pw, '--empty', mode, '--repart-version', '252', '--seed', SEED, '--json=repart', ...(size ? ['--size', size] : []));
  const pw = cli('build', defsDir, '--base', img.pw, '--in-place', '--empty', mode, '--repart-version', '252', '--seed', SEED, ...(size ? ['--size', size] : []));
  expect(pw.status === 0, `repart: ${rp.stderr}\npartwright: ${pw.stderr}`).toBe(rp.status === 0);
  if (rp.status === 0) {
    expect(fs.statSync(img.pw).size).toBe(fs.statSync(img.rp).size);
    expect(dump(img.pw)).toEqual(dump(img.rp));
    expect(comparable(plan.stdout)).toEqual(comparable(rp.stdout));
  } else {
    expect(fs.readFileSync(img.pw).equals(before)).toBe(true);
  }
  return { rp, pw };
}

describe('--empty= on an existing image (252)', () => {
  const first = {
    '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
    '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30M\nSizeMaxBytes=30M\n',
  };
  const other = {
    '10-swap.conf': '[Partition]\nType=swap\nSizeMinBytes=8M\nSizeMaxBytes=8M\n',
    '20-home.conf': '[Partition]\nType=home\n',
  };

  it('force: the old table is ignored; a fresh GPT on the image\'s size (and with --size, resized)', () => {
    const img = baseImage(first, '100M');
    const d = defs(path.join(scratch(), 'b'), other);
    const r = bothEmpty(img, d, 'force');
    expect(r.rp.status, r.rp.stderr).toBe(0);
    expect(dump(img.pw).some((l) => l.includes('type=C12A7328'))).toBe(false);
    expect(bothEmpty(img, d, 'force', '120M').rp.status).toBe(0);
  });

  it('force leaves nothing of the old image in the free space (repart discards the whole file)', () => {
    const img = baseImage(first, '100M');
    fs.writeFileSync(img.pw, Buffer.alloc(4096, 0xaa), { flag: 'r+' });
    const d = defs(path.join(scratch(), 'b'), { '10-swap.conf': '[Partition]\nType=swap\nSizeMinBytes=8M\nSizeMaxBytes=8M\n' });
    const pw = cli('build', d, '--base', img.pw, '--in-place', '--empty', 'force', '--repart-version', '252', '--seed', SEED);
    expect(pw.status, pw.stderr).toBe(0);
    const bytes = fs.readFileSync(img.pw);
    // Past the new partition (1 MiB + 8 MiB) the image is zeros: the old root's bytes are gone.
    expect(bytes.subarray(9 * 1024 * 1024, 90 * 1024 * 1024).some((b) => b !== 0)).toBe(false);
  });

  it('refuse: a GPT is needed; require: an unlabelled image is needed; allow: either', () => {
    const img = baseImage(first, '100M');
    const d = defs(path.join(scratch(), 'b'), other);
    const req = bothEmpty(img, d, 'require');
    expect(req.rp.stderr).toContain('already has a disk label, refusing');
    expect(req.pw.stderr).toContain('already has a disk label, refusing');
    expect(bothEmpty(img, d, 'allow').rp.status).toBe(0);
    expect(bothEmpty(img, d, 'refuse').rp.status).toBe(0);

    const blank = scratch();
    const zero = { rp: path.join(blank, 'rp.img'), pw: path.join(blank, 'pw.img') };
    for (const f of [zero.rp, zero.pw]) {
      fs.writeFileSync(f, '');
      fs.truncateSync(f, 64 * 1024 * 1024);
    }
    const ref = bothEmpty(zero, d, 'refuse');
    expect(ref.rp.status).not.toBe(0);
    expect(ref.pw.stderr).toContain('has no GPT disk label, not repartitioning');
    expect(bothEmpty(zero, d, 'allow').rp.status).toBe(0);
    for (const f of [zero.rp, zero.pw]) fs.writeFileSync(f, Buffer.alloc(64 * 1024 * 1024));
    expect(bothEmpty(zero, d, 'require').rp.status).toBe(0);
  });
});

describe('Empty= in [X-Partwright-Disk] (252)', () => {
  it('Empty=force in the layout does what repart --empty=force does, byte for byte the --empty force build; --empty overrides it', () => {
    const first = { '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n' };
    const img = baseImage(first, '100M');
    const flagCopy = path.join(img.dir, 'flag.img');
    fs.copyFileSync(img.pw, flagCopy);
    // repart skips the X- section; partwright reads Empty=force from it.
    const plain = { '10-swap.conf': '[Partition]\nType=swap\nSizeMinBytes=8M\nSizeMaxBytes=8M\n' };
    const withKey = defs(path.join(scratch(), 'layout'), { '10-swap.conf': `${plain['10-swap.conf']}\n[X-Partwright-Disk]\nEmpty=force\n` });
    const flags = defs(path.join(scratch(), 'flags'), plain);
    const rp = repart('--dry-run=no', '--empty=force', `--definitions=${withKey}`, img.rp);
    expect(rp.status, rp.stderr).toBe(0);
    const pw = cli('build', withKey, '--base', img.pw, '--in-place', '--repart-version', '252', '--seed', SEED);
    expect(pw.status, pw.stderr).toBe(0);
    expect(fs.statSync(img.pw).size).toBe(fs.statSync(img.rp).size);
    expect(dump(img.pw)).toEqual(dump(img.rp));
    const fl = cli('build', flags, '--base', flagCopy, '--in-place', '--empty', 'force', '--repart-version', '252', '--seed', SEED);
    expect(fl.status, fl.stderr).toBe(0);
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    expect(sha(img.pw)).toBe(sha(flagCopy));
    // The flag wins over the layout: --empty=require refuses the labelled image, as repart does.
    const again = baseImage(first, '100M');
    const req = cli('plan', withKey, '--base', again.pw, '--empty', 'require', '--repart-version', '252');
    expect(req.status).not.toBe(0);
    expect(req.stderr).toContain('already has a disk label, refusing');
    // Empty=require from the layout alone: the same refusal.
    const reqLayout = defs(path.join(scratch(), 'req'), { '10-swap.conf': `${plain['10-swap.conf']}\n[X-Partwright-Disk]\nEmpty=require\n` });
    const rq = cli('plan', reqLayout, '--base', again.pw, '--repart-version', '252');
    expect(rq.status).not.toBe(0);
    expect(rq.stderr).toContain('already has a disk label, refusing');
  });
});

describe('keys newer than 252 with --repart-version=252', () => {
  it('SupplementFor=, MakeSymlinks=, ExcludeFiles=, MountPoint=, VolumeLabel=, Discard= are ignored, as 252 ignores them (with a warning)', () => {
    const d = defs(path.join(scratch(), 'newer'), {
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\nMountPoint=/efi\n',
      '20-xbootldr.conf': '[Partition]\nType=xbootldr\nSizeMinBytes=30M\nSupplementFor=10-esp\nMakeSymlinks=/a:b\nExcludeFiles=/x\nVolumeLabel=v\nDiscard=no\n',
    });
    // Both partitions are made (newest repart would merge the XBOOTLDR into the ESP).
    bothCreate([d], '100M');
    const r = cli('plan', d, '--repart-version', '252', '--size', '100M');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${d}/20-xbootldr.conf:4: SupplementFor= (systemd-repart 257) is unknown to systemd-repart 252, which ignores it`);
    // In the newest behaviour the supplement is merged: one partition.
    // (A target whose SizeMaxBytes= is below the supplement's SizeMinBytes= is refused when merged.)
    const only = defs(path.join(scratch(), 'newest'), {
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\n',
      '20-xbootldr.conf': '[Partition]\nType=xbootldr\nSizeMinBytes=30M\nSupplementFor=10-esp\n',
    });
    const latest = JSON.parse(cli('plan', only, '--size', '100M', '--json').stdout) as { partitions: unknown[] };
    expect(latest.partitions).toHaveLength(1);
  });
});
