/**
 * The newest systemd-repart's keys and options that 252 does not have, through `partwright build`:
 * ExcludeFiles=/ExcludeFilesTarget= (254), MakeSymlinks= (257), MountPoint= with --generate-fstab=
 * (256), SupplementFor= (257) and --defer-partitions= (255). 252 cannot be the oracle here; what is
 * expected follows from the newest src/repart/repart.c (functions named per test), and the images are
 * read back with the real tools (e2fsck, debugfs, mtools, sfdisk).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/test-support/debian.ts';
import { ext4UuidFromPartitionUuid } from '../workers/tools/mke2fs.ts';
import { vfatVolumeIdFromPartitionUuid, formatVolumeId } from '../workers/formats/fat/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const SEED = '0123456789abcdef0123456789abcdef';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-repart-newest-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('sfdisk', 'e2fsck', 'debugfs', 'mtype');

interface PlanJson { partitions: { partitionNumber: number; offsetBytes: number; sizeBytes: number; uuid: string; typeName: string; label: string; spec: { format?: string } }[]; dropped: { specIndex: number; mergedInto?: number }[] }

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function files(dir: string, tree: Record<string, string>): string {
  for (const [name, text] of Object.entries(tree)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function extract(image: string, p: { offsetBytes: number; sizeBytes: number }, out: string): string {
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=1M', `skip=${p.offsetBytes}`, `count=${p.sizeBytes}`, 'iflag=skip_bytes,count_bytes', 'status=none']);
  return out;
}

const debugfs = (img: string, cmd: string) => execFileSync('debugfs', ['-R', cmd, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('ExcludeFiles=, ExcludeFilesTarget=, MakeSymlinks=, MountPoint= with --generate-fstab= (ext4)', () => {
  it('the copy leaves out what is excluded, the symlinks are made, and /etc/fstab names the file system', () => {
    const dir = path.join(work, 'root');
    files(path.join(dir, 'src'), {
      'tree/etc/hostname': 'newest\n',
      'tree/cache/a.bin': 'cached',
      'tree/cache/sub/b.bin': 'cached',
      'tree/secret.txt': 'do not copy',
      'tree/var/log/old.log': 'old',
      'tree/usr/bin/tool': '#!/bin/sh\n',
    });
    files(dir, {
      '10-root.conf': [
        '[Partition]', 'Type=root', 'Format=ext4', 'SizeMinBytes=40M', 'SizeMaxBytes=40M', 'CopyFiles=/tree:/',
        // A trailing "/" keeps the directory (empty); without it the path goes.
        'ExcludeFiles=/tree/cache/', 'ExcludeFiles=/tree/secret.txt', 'ExcludeFilesTarget=/var/log/',
        'MakeSymlinks=/etc/resolv.conf:../run/systemd/resolve/stub-resolv.conf /bin:usr/bin', 'MountPoint=/:x-systemd.growfs',
        '', '[X-Partwright-Disk]', 'CopySource=src', '',
      ].join('\n'),
    });
    const out = path.join(work, 'root.img');
    // repart's context_fstab() writes PATH under --copy-source before the file systems are filled.
    const r = cli('build', dir, '--seed', SEED, '--generate-fstab', '/tree/etc/fstab', '-o', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as PlanJson;
    const root = extract(out, plan.partitions[0]!, path.join(work, 'root.ext4'));
    const fsck = spawnSync('e2fsck', ['-fn', root], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);

    const ls = (p: string) => debugfs(root, `ls -p ${p}`).split('\n').map((l) => l.split('/')[5]).filter((n) => n && n !== '.' && n !== '..').sort();
    expect(ls('/')).toEqual(['bin', 'cache', 'etc', 'lost+found', 'usr', 'var']);
    expect(ls('/cache')).toEqual([]);
    expect(ls('/var/log')).toEqual([]);
    expect(debugfs(root, 'stat /bin')).toMatch(/Fast link dest: "usr\/bin"/);
    expect(debugfs(root, 'stat /etc/resolv.conf')).toMatch(/Fast link dest: "\.\.\/run\/systemd\/resolve\/stub-resolv\.conf"/);
    // partition_pick_mount_options(root, ext4, rw, discard) + the entry's options; pass 1 for root.
    const uuid = ext4UuidFromPartitionUuid(plan.partitions[0]!.uuid);
    expect(debugfs(root, 'cat /etc/fstab')).toBe(
      '# Start section ↓ of automatically generated fstab by systemd-repart\n' +
      `UUID=${uuid} / ext4 discard,rw,nodev,suid,exec,x-systemd.growfs 0 1\n` +
      '# End section ↑ of automatically generated fstab by systemd-repart\n',
    );
    // Without --append-fstab an existing file is not overwritten; auto keeps what is around the section.
    const again = cli('build', dir, '--seed', SEED, '--generate-fstab', '/tree/etc/fstab', '-o', path.join(work, 'root2.img'));
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists; pass --append-fstab=auto or replace/);
    fs.appendFileSync(path.join(dir, 'src/tree/etc/fstab'), 'tmpfs /tmp tmpfs defaults 0 0\n');
    expect(cli('build', dir, '--seed', SEED, '--generate-fstab', '/tree/etc/fstab', '--append-fstab', 'auto', '-o', path.join(work, 'root2.img')).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'src/tree/etc/fstab'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      `UUID=${uuid} / ext4 discard,rw,nodev,suid,exec,x-systemd.growfs 0 1`,
      'tmpfs /tmp tmpfs defaults 0 0',
    ]);
  });
});

describe('SupplementFor= (vfat ESP and XBOOTLDR)', () => {
  it('a fresh image: one ESP holding both definitions\' files; its fstab line has the ESP\'s options', () => {
    const dir = path.join(work, 'supplement');
    files(path.join(dir, 'src'), { 'esp/EFI/BOOT/BOOTX64.EFI': 'loader', 'xbl/entries/a.conf': 'title a\n' });
    files(dir, {
      '10-esp.conf': '[Partition]\nType=esp\nFormat=vfat\nCopyFiles=/esp:/\nMountPoint=/efi\n\n[X-Partwright-Disk]\nCopySource=src\n',
      '20-xbootldr.conf': '[Partition]\nType=xbootldr\nFormat=vfat\nCopyFiles=/xbl:/loader\nSupplementFor=10-esp\n',
    });
    const out = path.join(work, 'supplement.img');
    const r = cli('build', dir, '--seed', SEED, '--generate-fstab', '/fstab', '-o', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as PlanJson;
    // context_ponder(): merged, the XBOOTLDR is dropped; the ESP takes the vfat minimum (260 MiB).
    expect(plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes, p.sizeBytes])).toEqual([[1, 'esp', 1 << 20, 260 << 20]]);
    expect(plan.dropped).toEqual([expect.objectContaining({ specIndex: 1, mergedInto: 0 })]);
    expect(execFileSync('sfdisk', ['--dump', out], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('start='))).toHaveLength(1);
    const esp = extract(out, plan.partitions[0]!, path.join(work, 'esp.vfat'));
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    expect(execFileSync('mtype', ['-i', esp, '::/EFI/BOOT/BOOTX64.EFI'], { encoding: 'utf8', env })).toBe('loader');
    expect(execFileSync('mtype', ['-i', esp, '::/loader/entries/a.conf'], { encoding: 'utf8', env })).toBe('title a\n');
    const id = formatVolumeId(vfatVolumeIdFromPartitionUuid(plan.partitions[0]!.uuid));
    expect(fs.readFileSync(path.join(dir, 'src/fstab'), 'utf8').split('\n')[1]).toBe(`UUID=${id} /efi vfat fmask=0177,dmask=0077,rw,nodev,nosuid,noexec,nosymfollow 0 2`);
  });
});

describe('--defer-partitions= in build (repart 255)', () => {
  it('a deferred partition is planned but not written; a later run on the image adds it where it was planned', () => {
    const dir = files(path.join(work, 'defer'), {
      '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
      '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30M\nSizeMaxBytes=30M\n',
      '30-home.conf': '[Partition]\nType=home\nSizeMinBytes=10M\n',
    });
    const full = JSON.parse(cli('plan', dir, '--seed', SEED, '--size', '100M', '--json').stdout) as PlanJson;
    const deferred = path.join(work, 'deferred.img');
    const b = cli('build', dir, '--seed', SEED, '--size', '100M', '--defer-partitions', 'root', '-o', deferred, '--json');
    expect(b.status, b.stderr).toBe(0);
    const built = JSON.parse(b.stdout).plan as PlanJson;
    // Same places as the full plan, root left out of the table (its space stays free).
    expect(built.partitions).toEqual(full.partitions.filter((p) => p.typeName !== 'root-x86-64'));
    const sf = (img: string) => execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('start=')).map((l) => l.replace(/^\S+ : /, ''));
    expect(sf(deferred)).toHaveLength(2);
    // The next run without deferring: root lands in its planned slot and place (lowest free number 2).
    const second = path.join(work, 'second.img');
    const c = cli('build', dir, '--seed', SEED, '--base', deferred, '-o', second, '--json');
    expect(c.status, c.stderr).toBe(0);
    const after = JSON.parse(c.stdout).plan as PlanJson;
    expect(after.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes, p.sizeBytes, p.uuid])).toEqual(
      full.partitions.map((p) => [p.partitionNumber, p.typeName, p.offsetBytes, p.sizeBytes, p.uuid]),
    );
    expect(sf(second)).toHaveLength(3);
  });

  it('is refused in 252 mode (the option came with repart 255)', () => {
    const r = cli('plan', path.join(work, 'defer'), '--repart-version', '252', '--defer-partitions', 'root');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--defer-partitions= came with systemd-repart 255/);
  });
});

describe('--copy-from= (repart 255)', () => {
  it('copies each partition of the image first: type, UUID, label, flags, size, padding and bytes, then the definitions', () => {
    const d = path.join(work, 'copy-from');
    fs.mkdirSync(d, { recursive: true });
    const src = path.join(d, 'src.img');
    fs.writeFileSync(src, '');
    fs.truncateSync(src, 64 << 20);
    // An ESP named "boot", a 4 MiB gap, an unnamed root with no attribute bits (a new root definition
    // would get bit 59, GrowFileSystem), the rest free.
    execFileSync('sfdisk', ['-q', src], {
      input: 'label: gpt\n' +
        'start=2048, size=32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555555, name="boot"\n' +
        'start=43008, size=40960, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=66666666-7777-4888-9999-aaaaaaaaaaaa\n',
    });
    const pattern = (seed: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
    const fd = fs.openSync(src, 'r+');
    fs.writeSync(fd, pattern(1, 1 << 20), 0, 1 << 20, 1 << 20);
    fs.writeSync(fd, pattern(2, 1 << 20), 0, 1 << 20, 43008 * 512);
    fs.closeSync(fd);
    const dir = files(path.join(d, 'defs'), { '10-home.conf': '[Partition]\nType=home\nSizeMinBytes=10M\nSizeMaxBytes=10M\n' });
    const out = path.join(d, 'out.img');
    const r = cli('build', dir, '--copy-from', src, '--seed', SEED, '-o', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as PlanJson;
    const MiB = 1 << 20;
    // determine_current_padding() in the source: 4 MiB after the ESP; after root, up to the last
    // usable LBA (N−34) rounded down to 4 KiB.
    const rootPadding = Math.floor((64 * MiB - 33 * 512) / 4096) * 4096 - 41 * MiB;
    expect(plan.partitions.map((p) => [p.partitionNumber, p.typeName, p.uuid, p.label, p.offsetBytes, p.sizeBytes])).toEqual([
      [1, 'esp', '11111111-2222-4333-8444-555555555555', 'boot', MiB, 16 * MiB],
      [2, 'root-x86-64', '66666666-7777-4888-9999-aaaaaaaaaaaa', 'root-x86-64', 21 * MiB, 20 * MiB],
      [3, 'home', expect.any(String), 'home', 41 * MiB + rootPadding, 10 * MiB],
    ]);
    const attrs = (img: string) => execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('start=')).map((l) => /attrs="([^"]*)"/.exec(l)?.[1] ?? '');
    // The copied root keeps its (empty) attributes; a root made from a definition would have GUID:59.
    expect(attrs(out)).toEqual(['', '', 'GUID:59']);
    const bytes = (img: string, offset: number) => {
      const b = Buffer.alloc(MiB);
      const f = fs.openSync(img, 'r');
      fs.readSync(f, b, 0, MiB, offset);
      fs.closeSync(f);
      return b;
    };
    expect(bytes(out, MiB).equals(bytes(src, MiB))).toBe(true);
    expect(bytes(out, 21 * MiB).equals(bytes(src, 43008 * 512))).toBe(true);
    // repart's JSON names the image as the copied partitions' definition file.
    const rj = JSON.parse(cli('plan', dir, '--copy-from', src, '--seed', SEED, '--json=repart').stdout) as { file: string; type: string }[];
    expect(rj.map((e) => [e.type, path.basename(e.file)])).toEqual([['esp', 'src.img'], ['root-x86-64', 'src.img'], ['home', '10-home.conf']]);
    // --exclude-partitions applies to the copied partitions too (partition_type_exclude()).
    const ex = JSON.parse(cli('plan', dir, '--copy-from', src, '--exclude-partitions', 'esp', '--seed', SEED, '--json').stdout) as PlanJson;
    expect(ex.partitions.map((p) => p.typeName)).toEqual(['root-x86-64', 'home']);
  });

  it('is refused in 252 mode', () => {
    const r = cli('plan', path.join(work, 'copy-from/defs'), '--copy-from', path.join(work, 'copy-from/src.img'), '--repart-version', '252');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--copy-from= came after systemd-repart 252/);
  });

  it('refuses an image without a GPT', () => {
    const blank = path.join(work, 'blank.img');
    fs.writeFileSync(blank, Buffer.alloc(1 << 20));
    const r = cli('plan', path.join(work, 'copy-from/defs'), '--copy-from', blank);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot copy from disk .*blank\.img with no GPT disk label/);
  });
});

describe('the file system repart implies without Format= (partition_read_definition)', () => {
  it('MakeDirectories=/MakeSymlinks= on a root without Format= make an ext4 (TEST-58-REPART testcase_make_symlinks)', () => {
    const dir = files(path.join(work, 'implied-root'), {
      '10-root.conf': '[Partition]\nType=root\nSizeMinBytes=40M\nMakeDirectories=/dir\nMakeSymlinks=/foo:/bar\nMakeSymlinks=/dir/foo:/bar\nMakeSymlinks=/dir/foo-%a:/bar-%a\nMakeSymlinks=/dir/bar-%a:../bar-%a\n',
    });
    const out = path.join(work, 'implied-root.img');
    const r = cli('build', dir, '--seed', SEED, '--architecture', 'arm64', '-o', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as PlanJson;
    expect(plan.partitions[0]!.spec.format).toBe('ext4');
    const root = extract(out, plan.partitions[0]!, path.join(work, 'implied-root.ext4'));
    const fsck = spawnSync('e2fsck', ['-fn', root], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const link = (p: string) => /Fast link dest: "([^"]*)"/.exec(debugfs(root, `stat ${p}`))?.[1];
    expect([link('/foo'), link('/dir/foo'), link('/dir/foo-arm64'), link('/dir/bar-arm64')]).toEqual(['/bar', '/bar', '/bar-arm64', '../bar-arm64']);
  });

  it('newest: CopyFiles= on an ESP without Format= is vfat (260 MiB minimum), a swap partition gets a swap signature; 252: ext4 and no signature', () => {
    const dir = path.join(work, 'implied-esp');
    files(path.join(dir, 'src'), { 'esp/hello.txt': 'hi\n' });
    files(dir, {
      '10-esp.conf': '[Partition]\nType=esp\nCopyFiles=/esp:/\n\n[X-Partwright-Disk]\nCopySource=src\n',
      '20-swap.conf': '[Partition]\nType=swap\nSizeMinBytes=16M\nSizeMaxBytes=16M\n',
    });
    const latest = path.join(work, 'implied-latest.img');
    const r = cli('build', dir, '--seed', SEED, '-o', latest, '--json');
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as PlanJson;
    expect(plan.partitions.map((p) => [p.typeName, p.sizeBytes])).toEqual([['esp', 260 << 20], ['swap', 16 << 20]]);
    const esp = extract(latest, plan.partitions[0]!, path.join(work, 'implied-esp.vfat'));
    expect(execFileSync('mtype', ['-i', esp, '::/hello.txt'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })).toBe('hi\n');
    const signature = (img: string, p: { offsetBytes: number }) => {
      const b = Buffer.alloc(10);
      const f = fs.openSync(img, 'r');
      fs.readSync(f, b, 0, 10, p.offsetBytes + 4096 - 10);
      fs.closeSync(f);
      return b.toString('latin1');
    };
    expect(signature(latest, plan.partitions[1]!)).toBe('SWAPSPACE2');
    const old = path.join(work, 'implied-252.img');
    const o = cli('build', dir, '--seed', SEED, '--repart-version', '252', '-o', old, '--json');
    expect(o.status, o.stderr).toBe(0);
    const oldPlan = JSON.parse(o.stdout).plan as PlanJson;
    expect(oldPlan.partitions.map((p) => p.spec.format)).toEqual(['ext4', undefined]);
    expect(signature(old, oldPlan.partitions[1]!)).not.toBe('SWAPSPACE2');
  });
});

describe('[X-Partwright-Disk] GrainSize=, DeferPartitions=, CopyFrom= build what the flags build', () => {
  const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  /** `sfdisk --json` without the image's own path. */
  const table = (img: string) => execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' }).split(img).join('IMG');
  const defs = {
    '10-esp.conf': '[Partition]\nType=esp\nSizeMinBytes=20M\nSizeMaxBytes=20M\n',
    '20-root.conf': '[Partition]\nType=root\nSizeMinBytes=30001K\n',
    '30-home.conf': '[Partition]\nType=home\nSizeMinBytes=5001K\nSizeMaxBytes=5001K\n',
  };

  it('GrainSize= and DeferPartitions= in the layout: the same table (sfdisk --json) and bytes as --grain-size / --defer-partitions', () => {
    const d = path.join(work, 'disk-keys');
    const flags = files(path.join(d, 'flags'), defs);
    const layout = files(path.join(d, 'layout'), { ...defs, '10-esp.conf': `${defs['10-esp.conf']}\n[X-Partwright-Disk]\nGrainSize=1M\nDeferPartitions=root\n` });
    const a = path.join(d, 'flags.img');
    const b = path.join(d, 'layout.img');
    const plain = path.join(d, 'plain.img');
    const fa = cli('build', flags, '--seed', SEED, '--size', '100M', '--grain-size', '1M', '--defer-partitions', 'root', '-o', a, '--json');
    expect(fa.status, fa.stderr).toBe(0);
    const fb = cli('build', layout, '--seed', SEED, '--size', '100M', '-o', b, '--json');
    expect(fb.status, fb.stderr).toBe(0);
    expect(table(b)).toBe(table(a));
    expect(sha(b)).toBe(sha(a));
    // The settings did something: without them root is written and home sits on a 4 KiB grain.
    expect(cli('build', flags, '--seed', SEED, '--size', '100M', '-o', plain).status).toBe(0);
    expect(table(plain)).not.toBe(table(a));
    const parts = (JSON.parse(table(b)) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions;
    expect(parts).toHaveLength(2);
    for (const p of parts) expect([p.start % 2048, p.size % 2048]).toEqual([0, 0]);
    // plan agrees with the build.
    const plan = JSON.parse(cli('plan', layout, '--seed', SEED, '--size', '100M', '--json').stdout) as PlanJson;
    expect(plan.partitions).toEqual((JSON.parse(fb.stdout) as { plan: PlanJson }).plan.partitions);
    // The flags override the layout's values.
    const over = JSON.parse(cli('plan', layout, '--seed', SEED, '--size', '100M', '--grain-size', '4K', '--defer-partitions', 'home', '--json').stdout) as PlanJson;
    expect(over.partitions.map((p) => p.typeName)).toEqual(['esp', 'root-x86-64']);
    expect(over.partitions[1]!.sizeBytes % (1 << 20)).not.toBe(0);
    // RepartVersion=252 does not know them: ignored with a warning.
    const old = cli('plan', layout, '--seed', SEED, '--size', '100M', '--repart-version', '252', '--json');
    expect(old.status, old.stderr).toBe(0);
    expect(old.stderr).toContain('GrainSize= (systemd-repart 261) is unknown to systemd-repart 252');
    expect((JSON.parse(old.stdout) as PlanJson).partitions).toHaveLength(3);
  });

  it('CopyFrom= in the layout (relative to it) builds the image --copy-from builds; --copy-from overrides it', () => {
    const d = path.join(work, 'copy-from-key');
    fs.mkdirSync(d, { recursive: true });
    const src = path.join(d, 'src.img');
    fs.writeFileSync(src, '');
    fs.truncateSync(src, 64 << 20);
    execFileSync('sfdisk', ['-q', src], {
      input: 'label: gpt\nstart=2048, size=32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555555, name="boot"\n',
    });
    const fd = fs.openSync(src, 'r+');
    fs.writeSync(fd, Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 13 + 5) & 0xff)), 0, 1 << 20, 1 << 20);
    fs.closeSync(fd);
    const home = { '10-home.conf': '[Partition]\nType=home\nSizeMinBytes=10M\nSizeMaxBytes=10M\n' };
    const flags = files(path.join(d, 'flags'), home);
    const layout = files(path.join(d, 'layout'), { '10-home.conf': `${home['10-home.conf']}\n[X-Partwright-Disk]\nCopyFrom=../src.img\n` });
    const a = path.join(d, 'flags.img');
    const b = path.join(d, 'layout.img');
    const fa = cli('build', flags, '--copy-from', src, '--seed', SEED, '-o', a);
    expect(fa.status, fa.stderr).toBe(0);
    const fb = cli('build', layout, '--seed', SEED, '-o', b);
    expect(fb.status, fb.stderr).toBe(0);
    expect(table(b)).toBe(table(a));
    expect(sha(b)).toBe(sha(a));
    expect((JSON.parse(table(b)) as { partitiontable: { partitions: unknown[] } }).partitiontable.partitions).toHaveLength(2);
    // A missing CopyFrom= image is named; --copy-from replaces the layout's list.
    const missing = files(path.join(d, 'missing'), { '10-home.conf': `${home['10-home.conf']}\n[X-Partwright-Disk]\nCopyFrom=nosuch.img\n` });
    const m = cli('plan', missing, '--seed', SEED);
    expect(m.status).not.toBe(0);
    expect(m.stderr).toMatch(/CopyFrom=: cannot read .*nosuch\.img/);
    const c = path.join(d, 'override.img');
    const fc = cli('build', missing, '--copy-from', src, '--seed', SEED, '-o', c);
    expect(fc.status, fc.stderr).toBe(0);
    expect(sha(c)).toBe(sha(a));
  });
});
