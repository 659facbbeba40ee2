/**
 * The `partwright` command end to end: every example builds with no other input, and the real tools
 * (sfdisk, sgdisk, fdisk, systemd-repart, mtools) agree with what it wrote.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/formats/test-support/tools.ts';
import { PRESETS, presetLayout, repartDisk } from '../workers/model/presets/index.ts';
import { stringifyLayoutJson } from '../workers/model/layout-json.ts';
import { exportRepartDirectory } from '../workers/model/repart-conf.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const EXAMPLES = path.join(ROOT, 'examples');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('sfdisk', 'sgdisk', 'fdisk');

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Data ranges of a sparse file (SEEK_DATA/SEEK_HOLE through python3: Node cannot seek to data). */
function dataRanges(file: string): [number, number][] {
  const script = `import os,sys,json
fd=os.open(sys.argv[1],os.O_RDONLY); end=os.fstat(fd).st_size; out=[]; pos=0
while pos<end:
    try: d=os.lseek(fd,pos,os.SEEK_DATA)
    except OSError: break
    h=os.lseek(fd,d,os.SEEK_HOLE); out.append([d,h]); pos=h
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

/** SHA-256 of a (sparse) file's whole content, reading only its data ranges and hashing holes as zeros. */
/** `cli` without blocking this process: needed when the test itself serves HTTP (a binary cache). */
function cliAsync(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function sha256File(file: string): string {
  const size = fs.statSync(file).size;
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  let pos = 0;
  const feedZeros = (n: number) => {
    for (; n > 0; n -= Math.min(n, zeros.length)) hash.update(zeros.subarray(0, Math.min(n, zeros.length)));
  };
  for (const [start, end] of dataRanges(file)) {
    feedZeros(start - pos);
    const buf = Buffer.alloc(end - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    hash.update(buf);
    pos = end;
  }
  fs.closeSync(fd);
  feedZeros(size - pos);
  return hash.digest('hex');
}

function sfdiskJson(file: string): { label: string; id: string; firstlba?: number; lastlba?: number; partitions: Record<string, unknown>[] } {
  return JSON.parse(execFileSync('sfdisk', ['--json', file], { encoding: 'utf8' })).partitiontable;
}

interface PlanJson {
  diskSizeBytes: number;
  diskGuid?: string;
  partitions: { partitionNumber: number; offsetBytes: number; sizeBytes: number; typeGuid: string; uuid: string; label: string; mbrType: number; mbrBootable: boolean }[];
  blobs: { name: string; offsetBytes: number; sizeBytes: number }[];
}

function build(example: string, ...extra: string[]): { out: string; plan: PlanJson } {
  const out = path.join(work, `${example}.img`);
  const r = cli('build', path.join(EXAMPLES, example), '-o', out, '--json', ...extra);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { out, plan: JSON.parse(r.stdout).plan };
}

describe('examples build and the real tools agree', () => {
  it('gpt-disk: sfdisk sees the planned table, sgdisk -v is clean, the file is sparse', () => {
    const { out, plan } = build('gpt-disk');
    const t = sfdiskJson(out);
    expect(t.label).toBe('gpt');
    expect(t.id.toLowerCase()).toBe(plan.diskGuid);
    expect(t.partitions).toHaveLength(plan.partitions.length);
    plan.partitions.forEach((p, i) => {
      const s = t.partitions[i]!;
      expect(s.start).toBe(p.offsetBytes / 512);
      expect(s.size).toBe(p.sizeBytes / 512);
      expect(String(s.type).toLowerCase()).toBe(p.typeGuid);
      expect(String(s.uuid).toLowerCase()).toBe(p.uuid);
      expect(s.name).toBe(p.label);
    });
    expect(execFileSync('sgdisk', ['-v', out], { encoding: 'utf8' })).toContain('No problems found');
    const st = fs.statSync(out);
    expect(st.size).toBe(8 * 2 ** 30);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
  });

  it('gpt-disk: byte-identical to what systemd-repart writes for the same definitions', () => {
    requireTools('systemd-repart');
    // 252 mode: the newest repart also makes a swap signature in the Type=swap partition (impliedFormat()).
    const ours = build('gpt-disk', '--repart-version', '252').out;
    const theirs = path.join(work, 'repart-gpt-disk.img');
    fs.rmSync(theirs, { force: true });
    execFileSync('systemd-repart', [
      '--empty=create', '--size=8G', '--dry-run=no', '--no-pager',
      '--seed=0867da16-f251-457d-a9e8-c31f9a3c220b', `--definitions=${path.join(EXAMPLES, 'gpt-disk')}`, theirs,
    ], { stdio: 'pipe' });
    expect(sha256File(ours)).toBe(sha256File(theirs));
  });

  it('mbr-disk: a dos label with disk ID, bootable first partition at 8 MiB, an extended partition and logical ones', () => {
    const { out, plan } = build('mbr-disk');
    const t = sfdiskJson(out);
    expect(t.label).toBe('dos');
    expect(t.id).toBe('0x2178694e');
    const byNode = new Map(t.partitions.map((p) => [String(p.node).replace(/.*img/, ''), p]));
    expect(byNode.get('1')).toMatchObject({ start: 16384, size: 61440, type: 'b', bootable: true });
    expect(['5', 'f']).toContain(byNode.get('4')!.type);
    for (const p of plan.partitions) {
      const s = byNode.get(String(p.partitionNumber))!;
      expect(s.start).toBe(p.offsetBytes / 512);
      expect(s.size).toBe(p.sizeBytes / 512);
      expect(s.type).toBe(p.mbrType.toString(16));
    }
    expect(plan.partitions.map((p) => p.partitionNumber)).toEqual([1, 2, 3, 5, 6]);
    expect(execFileSync('sfdisk', ['--verify', out], { encoding: 'utf8' })).toContain('No errors detected');
    expect(execFileSync('fdisk', ['-l', out], { encoding: 'utf8' })).toMatch(/img6\s+\d+\s+\d+/);
  });

  it('hybrid-mbr: GPT is valid and the MBR mirrors the ESP as bootable 0x0c next to 0xEE', () => {
    const { out, plan } = build('hybrid-mbr');
    expect(execFileSync('sgdisk', ['-v', out], { encoding: 'utf8' })).toContain('No problems found');
    expect(execFileSync('gdisk', ['-l', out], { encoding: 'utf8', input: '' })).toMatch(/MBR: hybrid/);
    const dos = execFileSync('fdisk', ['-l', '-t', 'dos', out], { encoding: 'utf8' });
    const esp = plan.partitions[0]!;
    expect(dos).toMatch(new RegExp(`img1 \\*\\s+${esp.offsetBytes / 512}\\s+${(esp.offsetBytes + esp.sizeBytes) / 512 - 1}\\s.*\\bc\\b`));
    expect(dos).toMatch(/img2\s+1\s+2047\s+2047.*\bee\b/);
  });

  it('blobs-at-offsets: the blob bytes sit at their offsets, the moved entry array is valid, inspect finds them', () => {
    const { out, plan } = build('blobs-at-offsets');
    const img = fs.readFileSync(out, { flag: 'r' }).subarray(0, 1 << 20);
    for (const b of plan.blobs) {
      const src = fs.readFileSync(path.join(EXAMPLES, 'blobs-at-offsets/blobs', `${b.name === 'spl' ? 'spl' : 'u-boot'}.bin`));
      expect(Buffer.compare(img.subarray(b.offsetBytes, b.offsetBytes + src.length), src)).toBe(0);
    }
    const p = execFileSync('sgdisk', ['-p', out], { encoding: 'utf8' });
    expect(p).toContain('Main partition table begins at sector 2048');
    expect(execFileSync('sgdisk', ['-v', out], { encoding: 'utf8' })).toContain('No problems found');
    const inspected = JSON.parse(cli('inspect', out, '--json').stdout);
    expect(inspected.blobs).toEqual(plan.blobs.map((b) => ({ offsetBytes: b.offsetBytes, sizeBytes: b.sizeBytes })));
    expect(inspected.gpt.entriesLba).toBe(2048);
  });

  it('base-image: keeps the ESP and its FAT, appends root, grows the disk, leaves base.img untouched', () => {
    const basePath = path.join(EXAMPLES, 'base-image/base.img');
    const before = sha256File(basePath);
    const { out, plan } = build('base-image');
    expect(sha256File(basePath)).toBe(before);
    expect(fs.statSync(out).size).toBe(64 << 20);
    const t = sfdiskJson(out);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: 16384, name: 'ESP', uuid: '0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9' });
    expect(plan.partitions[1]!.label).toBe('root');
    expect(execFileSync('sgdisk', ['-v', out], { encoding: 'utf8' })).toContain('No problems found');
    // The ESP's bytes are the base's bytes.
    const base = fs.readFileSync(basePath).subarray(1 << 20, 9 << 20);
    const ours = fs.readFileSync(out).subarray(1 << 20, 9 << 20);
    expect(Buffer.compare(base, ours)).toBe(0);
    requireTools('mdir');
    expect(execFileSync('mdir', ['-i', `${out}@@1M`, '::/'], { encoding: 'utf8' })).toContain('BASE-ESP');
  });

  it('base-image --in-place writes the same image into the base file itself', () => {
    const copy = path.join(work, 'base-copy.img');
    fs.copyFileSync(path.join(EXAMPLES, 'base-image/base.img'), copy);
    const expected = build('base-image').out;
    const r = cli('build', path.join(EXAMPLES, 'base-image'), '--base', copy, '--in-place');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sha256File(copy)).toBe(sha256File(expected));
  });

  it('the same inputs give the same bytes', () => {
    const a = build('mbr-disk').out;
    const first = sha256File(a);
    const b = build('mbr-disk').out;
    expect(sha256File(b)).toBe(first);
  });
});

describe('--output-format: every format restores to the raw image with its real tool', () => {
  const layout = path.join(EXAMPLES, 'blobs-at-offsets');
  const dir = path.join(work, 'formats');
  fs.mkdirSync(dir, { recursive: true });
  const raw = path.join(dir, 'raw.img');
  const make = (format: string, out: string, ...extra: string[]) => {
    const r = cli('build', layout, '-o', out, '--size', '192M', '--output-format', format, '--json', ...extra);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as { files: string[] };
  };
  const same = (a: string, b: string) => expect(spawnSync('cmp', [a, b]).status).toBe(0);

  it('raw, gz, android-sparse (whole and split), bmap, qcow2, vhd, vhd-dynamic, split', () => {
    requireTools('simg2img', 'bmaptool', 'qemu-img', 'gzip');
    make('raw', raw);
    make('gz', path.join(dir, 'x.img.gz'));
    execFileSync('gzip', ['-t', path.join(dir, 'x.img.gz')]);
    execFileSync('sh', ['-c', `gzip -dc '${dir}/x.img.gz' > '${dir}/gz.img'`]);
    same(raw, path.join(dir, 'gz.img'));

    make('android-sparse', path.join(dir, 'x.simg'));
    execFileSync('simg2img', [path.join(dir, 'x.simg'), path.join(dir, 'simg.img')]);
    same(raw, path.join(dir, 'simg.img'));
    const pieces = make('android-sparse', path.join(dir, 'p.simg'), '--max-piece-bytes', '300K').files;
    expect(pieces.length).toBeGreaterThan(1);
    for (const f of pieces) expect(fs.statSync(f).size).toBeLessThanOrEqual(300 * 1024);
    execFileSync('simg2img', [...pieces, path.join(dir, 'pieces.img')]);
    same(raw, path.join(dir, 'pieces.img'));

    const bm = make('bmap', path.join(dir, 'b.img')).files;
    expect(bm).toEqual([path.join(dir, 'b.img'), path.join(dir, 'b.img.bmap')]);
    execFileSync('bmaptool', ['copy', '--bmap', bm[1]!, bm[0]!, path.join(dir, 'bmap-copy.img')], { stdio: 'pipe' });
    same(raw, path.join(dir, 'bmap-copy.img'));

    make('qcow2', path.join(dir, 'x.qcow2'));
    execFileSync('qemu-img', ['check', path.join(dir, 'x.qcow2')]);
    expect(execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, path.join(dir, 'x.qcow2')], { encoding: 'utf8' })).toContain('identical');
    for (const f of ['vhd', 'vhd-dynamic']) {
      make(f, path.join(dir, `x.${f}`));
      expect(execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vpc', raw, path.join(dir, `x.${f}`)], { encoding: 'utf8' })).toContain('identical');
    }

    const split = make('split', path.join(dir, 'disk.raw')).files;
    expect(split.map((f) => path.basename(f))).toEqual(['disk.xbootldr.raw', 'disk.root-arm64.raw']);
    const plan = JSON.parse(cli('plan', layout, '--size', '192M', '--json').stdout) as PlanJson;
    plan.partitions.forEach((p, i) => {
      expect(fs.statSync(split[i]!).size).toBe(p.sizeBytes);
      execFileSync('cmp', ['-n', String(p.sizeBytes), split[i]!, raw, '0', String(p.offsetBytes)]);
    });
  });

  it('convert writes an existing raw image in another format, reading only its data', () => {
    requireTools('simg2img', 'qemu-img');
    const simg = path.join(dir, 'conv.simg');
    const r = cli('convert', raw, '-o', simg, '--output-format', 'android-sparse', '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).mappedBytes).toBeLessThan(2 << 20);
    execFileSync('simg2img', [simg, path.join(dir, 'conv.img')]);
    same(raw, path.join(dir, 'conv.img'));
    expect(cli('convert', raw, '-o', path.join(dir, 'conv.vhd'), '--output-format', 'vhd-dynamic').status).toBe(0);
    expect(execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vpc', raw, path.join(dir, 'conv.vhd')], { encoding: 'utf8' })).toContain('identical');
    expect(cli('convert', raw, '-o', raw, '--output-format', 'qcow2').stderr).toContain('is the input image');
  });

  it('zst: zstd -t passes and decompresses to the raw image', () => {
    requireTools('zstd');
    const zst = path.join(dir, 'x.zst');
    const rawForZst = path.join(dir, 'x-for-zst.img');
    expect(make('zst', zst).files).toEqual([zst]);
    make('raw', rawForZst);
    execFileSync('zstd', ['-q', '-t', zst]);
    execFileSync('zstd', ['-q', '-d', '-f', zst, '-o', path.join(dir, 'x-from-zst.img')]);
    same(rawForZst, path.join(dir, 'x-from-zst.img'));
    expect(fs.statSync(zst).size).toBeLessThan(2 << 20);
    expect(fs.existsSync(`${zst}.partial`)).toBe(false);
  });
});

/** Copy one partition out of an image into its own file (fsck.fat, mtools and e2fsck want a volume). */
function extractPart(image: string, offsetBytes: number, sizeBytes: number, out: string): string {
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=1M', `skip=${offsetBytes}`, `count=${sizeBytes}`, 'iflag=skip_bytes,count_bytes', 'status=none']);
  return out;
}

describe('Format=vfat partitions', () => {
  const extract = extractPart;
  const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1', LANG: 'C.UTF-8' };
  function listFiles(dir: string, prefix = ''): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? [`${prefix}${d.name}/`, ...listFiles(path.join(dir, d.name), `${prefix}${d.name}/`)] : [`${prefix}${d.name}`]).sort();
  }

  it('esp-vfat: an ESP formatted and filled from CopyFiles=/MakeDirectories=, clean for fsck.fat, read back by mtools', () => {
    requireTools('fsck.fat', 'mcopy');
    const { out, plan } = build('esp-vfat');
    const esp = plan.partitions[0]!;
    const vol = extract(out, esp.offsetBytes, esp.sizeBytes, path.join(work, 'esp.vfat'));
    expect(execFileSync('fsck.fat', ['-n', vol], { encoding: 'utf8' })).toMatch(/\d+ files, \d+\/\d+ clusters/);
    const back = path.join(work, 'esp-back');
    fs.rmSync(back, { recursive: true, force: true });
    fs.mkdirSync(back);
    execFileSync('mcopy', ['-s', '-n', '-i', vol, '::/', back], { env: mtoolsEnv });
    const content = path.join(EXAMPLES, 'esp-vfat/content');
    expect(listFiles(back)).toEqual([...listFiles(content), 'EFI/Linux/'].sort());
    for (const f of listFiles(content).filter((f) => !f.endsWith('/'))) {
      expect(fs.readFileSync(path.join(back, f)).equals(fs.readFileSync(path.join(content, f))), f).toBe(true);
    }
    // FAT32 (repart's choice for vfat) with the label from the partition label.
    const info = execFileSync('minfo', ['-i', vol, '::'], { encoding: 'utf8', env: mtoolsEnv });
    expect(info).toMatch(/disk type="FAT32/);
    expect(info).toMatch(/disk label="ESP/);
  });

  it('sd-firmware: FAT16 FIRMWARE at 8 MiB with the files, names and bytes mkfs.fat + mcopy give', () => {
    requireTools('mkfs.fat', 'mcopy');
    const { out, plan } = build('sd-firmware');
    const fw = plan.partitions[0]!;
    expect(fw).toMatchObject({ offsetBytes: 8 << 20, sizeBytes: 30 << 20, mbrType: 0x0b, mbrBootable: true });
    const t = sfdiskJson(out);
    expect(t.id).toBe('0x2178694e');
    const ours = extract(out, fw.offsetBytes, fw.sizeBytes, path.join(work, 'fw-ours.vfat'));
    expect(execFileSync('fsck.fat', ['-n', ours], { encoding: 'utf8' })).not.toMatch(/differ|corrupt|invalid/i);
    // What NixOS's sd-image.nix does: mkfs.vfat --invariant on a 30 MiB file, then mcopy the files in sorted order.
    const ref = path.join(work, 'fw-ref.vfat');
    fs.rmSync(ref, { force: true });
    execFileSync('truncate', ['-s', '30M', ref]);
    execFileSync('mkfs.vfat', ['--invariant', '-i', '0x2178694e', '-n', 'FIRMWARE', ref], { stdio: 'pipe' });
    const src = path.join(EXAMPLES, 'sd-firmware/firmware');
    for (const f of fs.readdirSync(src).sort()) execFileSync('mcopy', ['-psvm', '-i', ref, path.join(src, f), '::'], { env: mtoolsEnv, stdio: 'pipe' });
    const info = (v: string) => execFileSync('minfo', ['-i', v, '::'], { encoding: 'utf8', env: mtoolsEnv });
    for (const v of [ours, ref]) {
      expect(info(v)).toMatch(/disk type="FAT16/);
      expect(info(v)).toMatch(/disk label="FIRMWARE/);
      expect(info(v)).toMatch(/serial number: 2178694E/i);
    }
    const dirs = [ours, ref].map((v) => {
      const d = path.join(work, `${path.basename(v)}-files`);
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d);
      execFileSync('mcopy', ['-s', '-n', '-i', v, '::/', d], { env: mtoolsEnv });
      return d;
    });
    expect(listFiles(dirs[0]!)).toEqual(listFiles(dirs[1]!));
    for (const f of listFiles(dirs[1]!).filter((f) => !f.endsWith('/'))) {
      expect(fs.readFileSync(path.join(dirs[0]!, f)).equals(fs.readFileSync(path.join(dirs[1]!, f))), f).toBe(true);
    }
    // The root: ext4 NIXOS_SD at 38 MiB with the fixed UUID.
    const rootPart = plan.partitions[1]!;
    expect(rootPart.offsetBytes).toBe(38 << 20);
    const rootFs = extract(out, rootPart.offsetBytes, rootPart.sizeBytes, path.join(work, 'sd-root.ext4'));
    expect(spawnSync('e2fsck', ['-fn', rootFs]).status).toBe(0);
    const blkid = execFileSync('blkid', ['-p', '-o', 'export', rootFs], { encoding: 'utf8' });
    expect(blkid).toContain('LABEL=NIXOS_SD');
    expect(blkid).toContain('UUID=44444444-4444-4444-8888-888888888888');
    // Short (8.3) names as mtools made them.
    const names = (v: string) => execFileSync('mdir', ['-/', '-i', v, '::/'], { encoding: 'utf8', env: mtoolsEnv })
      .split('\n').filter((l) => /^\S/.test(l) && !/^(Directory|Volume| )/.test(l)).map((l) => l.slice(0, 12)).sort();
    expect(names(ours)).toEqual(names(ref));
  });

  it('Minimize=best makes the smallest FAT that holds the content', () => {
    const dir = path.join(work, 'minimize.d');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10-esp.conf'), `[Partition]\nType=esp\nFormat=vfat\nCopyFiles=/content:/\nMinimize=best\n\n[X-Partwright]\nFATType=12\n\n[X-Partwright-Disk]\nCopySource=${path.join(EXAMPLES, 'esp-vfat')}\n`);
    const r = cli('build', dir, '-o', path.join(work, 'min.img'), '--json');
    expect(r.stderr).toBe('');
    const plan: PlanJson = JSON.parse(r.stdout).plan;
    expect(plan.partitions[0]!.sizeBytes).toBeLessThan(1 << 20);
    const vol = extract(path.join(work, 'min.img'), plan.partitions[0]!.offsetBytes, plan.partitions[0]!.sizeBytes, path.join(work, 'min.vfat'));
    execFileSync('fsck.fat', ['-n', vol]);
    expect(execFileSync('mtype', ['-i', vol, '::/loader/loader.conf'], { encoding: 'utf8', env: mtoolsEnv })).toContain('default nixos.conf');
  });

  it('content too large for its partition is refused naming the bytes needed', () => {
    const dir = path.join(work, 'toobig.d');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'content'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'content/big.bin'), Buffer.alloc(12 << 20, 1));
    fs.writeFileSync(path.join(dir, '10-esp.conf'), '[Partition]\nType=esp\nFormat=vfat\nCopyFiles=/content:/\nSizeMinBytes=10M\nSizeMaxBytes=10M\n\n[X-Partwright]\nFATType=16\n\n[X-Partwright-Disk]\nCopySource=.\n');
    const r = cli('build', dir, '-o', path.join(work, 'toobig.img'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\d+ bytes/);
    expect(fs.existsSync(path.join(work, 'toobig.img'))).toBe(false);
  });
});

describe('Format=ext4: examples/ext4-root', () => {
  it('makes ext4 roots that e2fsck and debugfs accept, with modes, owners, symlinks and repart identities; twice the same bytes', async () => {
    requireTools('e2fsck', 'debugfs');
    // git keeps only 644/755: give the copied example the modes its README describes.
    const example = path.join(work, 'ext4-root');
    fs.rmSync(example, { recursive: true, force: true });
    fs.cpSync(path.join(EXAMPLES, 'ext4-root'), example, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(path.join(example, 'rootfs/etc/passwd'), 0o600);
    const buildCopy = () => {
      const r = cli('build', example, '-o', path.join(work, 'ext4-root.img'), '--json');
      expect(r.stderr).toBe('');
      return { out: path.join(work, 'ext4-root.img'), plan: JSON.parse(r.stdout).plan as PlanJson };
    };
    const { out, plan } = buildCopy();
    const first = sha256File(out);
    const { ext4UuidFromPartitionUuid } = await import('../workers/tools/mke2fs.ts');
    const part = (i: number) => extractPart(out, plan.partitions[i]!.offsetBytes, plan.partitions[i]!.sizeBytes, path.join(work, `ext4-${i}.img`));
    const root = part(1);
    const sd = part(2);
    for (const fsImage of [root, sd]) {
      const fsck = spawnSync('e2fsck', ['-fn', fsImage], { encoding: 'utf8' });
      expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    }
    const debugfs = (img: string, cmd: string) => execFileSync('debugfs', ['-R', cmd, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(debugfs(root, 'stat /etc/passwd')).toMatch(/Mode:\s+0600/);
    expect(debugfs(root, 'stat /usr/bin/hello')).toMatch(/Mode:\s+0755/);
    expect(debugfs(root, 'stat /bin')).toMatch(/Fast link dest: "usr\/bin"/);
    expect(debugfs(root, 'cat /etc/hostname')).toBe('partwright-example\n');
    expect(debugfs(root, 'ls -l /')).toMatch(/home/);
    expect(debugfs(root, 'stat /etc/hostname')).toMatch(/User:\s+0\s+Group:\s+0/);
    const uuidOf = (img: string) => /Filesystem UUID:\s+(\S+)/.exec(execFileSync('dumpe2fs', ['-h', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))![1];
    const labelOf = (img: string) => /Filesystem volume name:\s+(\S+)/.exec(execFileSync('dumpe2fs', ['-h', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))![1];
    expect(uuidOf(root)).toBe(ext4UuidFromPartitionUuid(plan.partitions[1]!.uuid));
    expect(uuidOf(sd)).toBe('44444444-4444-4444-8888-888888888888');
    expect(labelOf(sd)).toBe('NIXOS_SD');
    expect(sha256File(buildCopy().out)).toBe(first);
  });
});

describe('Table=iso: examples/iso-hybrid', () => {
  it('builds an isohybrid ISO with Rock Ridge, Joliet, BIOS and EFI El Torito that xorriso, isoinfo and QEMU accept', async () => {
    requireTools('xorriso', 'isoinfo', 'osirrox', 'qemu-system-x86_64');
    execFileSync('bash', [path.join(ROOT, 'scripts/assets.sh')], { stdio: 'pipe' });
    const out = path.join(work, 'example.iso');
    const r = cli('build', path.join(EXAMPLES, 'iso-hybrid'), '-o', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = execFileSync('xorriso', ['-indev', out, '-report_el_torito', 'plain', '-report_system_area', 'plain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(report).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none/);
    expect(report).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y\s+none/);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/isolinux\/isolinux.bin/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/boot\/efi.img/);
    expect(report).toMatch(/MBR partition path :\s+2\s+\/boot\/efi.img/);
    expect(report).toMatch(/GPT partition path :\s+2\s+\/boot\/efi.img/);
    const info = execFileSync('isoinfo', ['-d', '-i', out], { encoding: 'utf8' });
    expect(info).toContain('Volume id: PARTWRIGHT_ISO');
    expect(info).toContain('Joliet with UCS level 3');
    expect(info).toMatch(/Rock Ridge signatures version 1/);
    const x = path.join(work, 'iso-extract');
    fs.rmSync(x, { recursive: true, force: true });
    execFileSync('osirrox', ['-indev', out, '-extract', '/', x], { stdio: 'pipe' });
    const same = (a: string, b: string) => expect(fs.readFileSync(a).equals(fs.readFileSync(b)), a).toBe(true);
    same(path.join(x, 'README.txt'), path.join(EXAMPLES, 'iso-hybrid/content/README.txt'));
    same(path.join(x, 'isolinux/ldlinux.c32'), path.join(EXAMPLES, 'iso-hybrid/assets/isolinux/ldlinux.c32'));
    // The EFI image is a FAT volume holding systemd-boot and the loader config.
    const efi = path.join(x, 'boot/efi.img');
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    expect(execFileSync('mtype', ['-i', efi, '::/loader/loader.conf'], { encoding: 'utf8', env })).toContain('timeout 3');
    execFileSync('fsck.fat', ['-n', efi]);
    // SeaBIOS boots it from a hard disk through the isohybrid MBR into isolinux, which prints our SAY line.
    const { bootUntil } = await import('../workers/formats/iso9660/test-support/iso-tools.ts');
    const log = await bootUntil(['-M', 'pc', '-m', '256', '-boot', 'order=c', '-drive', `file=${out},format=raw,if=ide,snapshot=on`],
      [/isolinux is running/], path.join(work, 'iso-bios-hd.log'), 120_000);
    expect(log).toMatch(/ISOLINUX \S+ \S+ EHDD/);
    expect(log).toContain('Partwright example ISO: isolinux is running');
  });
});

describe('StorePaths=: Nix closures from a binary cache', () => {
  it('lays a verified closure and its nix-path-registration into the image; real nix-store loads and verifies it', async () => {
    const { makeNixEnv, writeTestExpression, serveDirectory } = await import('../workers/nix/test-support/nix-env.ts');
    requireTools('osirrox');
    const env = makeNixEnv('partwright-cli-test-1');
    const served: { close(): Promise<void> }[] = [];
    try {
      const expr = writeTestExpression(env.dir);
      const app = env.build(expr, 'app');
      const cacheDir = path.join(env.dir, 'cache');
      env.copyToCache([app], cacheDir, 'zstd');
      const cache = await serveDirectory(cacheDir);
      served.push(cache);
      const layout = path.join(work, 'nix.d');
      fs.rmSync(layout, { recursive: true, force: true });
      fs.mkdirSync(layout);
      fs.writeFileSync(path.join(layout, '10-store.conf'),
        `[Partition]\nType=linux-generic\nLabel=NIX_STORE\nFormat=iso9660\n\n[X-Partwright]\nStorePaths=${app}\n\n[X-Partwright-Disk]\nTable=iso\n`);
      const out = path.join(work, 'nix.iso');
      // Without a cache the build says what to pass.
      let r = await cliAsync('build', layout, '-o', out);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('--substituter');
      // With a key that did not sign the cache, nothing is built.
      r = await cliAsync('build', layout, '-o', out, '--substituter', cache.url, '--trusted-public-key', 'other-1:' + Buffer.alloc(32, 7).toString('base64'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/partwright-cli-test-1|untrusted|signature/i);
      expect(fs.existsSync(out)).toBe(false);
      r = await cliAsync('build', layout, '-o', out, '--substituter', cache.url, '--trusted-public-key', env.publicKey);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const nixStore = (args: string[], input?: string) => spawnSync('nix-store', args, { env: env.env, encoding: 'utf8', input });
      const check = (x: string) => {
        const registration = fs.readFileSync(path.join(x, 'nix-path-registration'), 'utf8');
        expect(registration.split('\n')[0]).toMatch(/^\/nix\/store\/[a-z0-9]{32}-pw-lib$/);
        const load = nixStore(['--store', x, '--load-db'], registration);
        expect(load.status, load.stderr).toBe(0);
        const verify = nixStore(['--store', x, '--verify', '--check-contents']);
        expect(verify.status, verify.stderr).toBe(0);
        expect(verify.stderr).not.toMatch(/modified|error|warning/i);
        expect(fs.readlinkSync(path.join(x, app.slice(1), 'bin/run'))).toMatch(/-pw-lib\/run$/);
      };
      // An ISO: extracted with osirrox.
      const x = path.join(work, 'nix-extract');
      fs.rmSync(x, { recursive: true, force: true });
      execFileSync('osirrox', ['-indev', out, '-extract', '/', x], { stdio: 'pipe' });
      check(x);
      // An ext4 root on a GPT disk: extracted with debugfs rdump.
      const extLayout = path.join(work, 'nix-ext4.d');
      fs.rmSync(extLayout, { recursive: true, force: true });
      fs.mkdirSync(extLayout);
      fs.writeFileSync(path.join(extLayout, '10-root.conf'), `[Partition]\nType=root\nFormat=ext4\nMinimize=best\n\n[X-Partwright]\nStorePaths=${app}\n`);
      const disk = path.join(work, 'nix-ext4.img');
      r = await cliAsync('build', extLayout, '-o', disk, '--json', '--substituter', cache.url, '--trusted-public-key', env.publicKey);
      expect(r.stderr).toBe('');
      const rootPart = (JSON.parse(r.stdout).plan as PlanJson).partitions[0]!;
      const rootFs = extractPart(disk, rootPart.offsetBytes, rootPart.sizeBytes, path.join(work, 'nix-root.ext4'));
      expect(spawnSync('e2fsck', ['-fn', rootFs]).status).toBe(0);
      const y = path.join(work, 'nix-ext4-extract');
      fs.rmSync(y, { recursive: true, force: true });
      fs.mkdirSync(y);
      execFileSync('debugfs', ['-R', `rdump / ${y}`, rootFs], { stdio: 'pipe' });
      check(y);
    } finally {
      for (const s of served) await s.close();
      env.cleanup();
    }
  });
});

describe('presets', () => {
  it('lists the presets and builds one from --copy-source: loader entry names the planned root PARTUUID', () => {
    const list = cli('presets');
    expect(list.status).toBe(0);
    for (const name of ['repart-disk', 'vm-disk', 'vm-disk-legacy', 'sd-card']) expect(list.stdout).toContain(name);
    const src = path.join(work, 'preset-src');
    fs.rmSync(src, { recursive: true, force: true });
    for (const [f, text] of [['boot/vmlinuz', 'kernel'], ['boot/initrd', 'initrd'], ['boot/systemd-bootx64.efi', 'MZ efi'], ['rootfs/partwright-marker', 'hi\n']]) {
      fs.mkdirSync(path.dirname(path.join(src, f!)), { recursive: true });
      fs.writeFileSync(path.join(src, f!), text!);
    }
    const out = path.join(work, 'preset.img');
    expect(cli('build', '--preset', 'repart-disk', '-o', out).stderr).toContain('--copy-source');
    const r = cli('build', '--preset', 'repart-disk', '-o', out, '--copy-source', src, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const plan: PlanJson = JSON.parse(r.stdout).plan;
    const root = plan.partitions.find((p) => p.label === 'root')!;
    const esp = plan.partitions[0]!;
    const vol = extractPart(out, esp.offsetBytes, esp.sizeBytes, path.join(work, 'preset-esp.vfat'));
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const entries = execFileSync('mdir', ['-b', '-i', vol, '::/loader/entries'], { encoding: 'utf8', env }).trim().split('\n');
    const entry = execFileSync('mtype', ['-i', vol, entries[0]!], { encoding: 'utf8', env });
    expect(entry).toContain(`root=PARTUUID=${root.uuid}`);
    expect(execFileSync('mtype', ['-i', vol, '::/EFI/BOOT/BOOTX64.EFI'], { encoding: 'utf8', env })).toBe('MZ efi');
    const rootFs = extractPart(out, root.offsetBytes, root.sizeBytes, path.join(work, 'preset-root.ext4'));
    expect(spawnSync('e2fsck', ['-fn', rootFs]).status).toBe(0);
    expect(execFileSync('debugfs', ['-R', 'cat /partwright-marker', rootFs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('hi\n');
  });
});

describe('Preset= in a layout', () => {
  it('a preset layout exported as JSON or repart.d builds the same bytes as --preset; --preset sets a layout\'s Preset=; unknown names are refused where written', () => {
    const src = path.join(work, 'preset-key-src');
    fs.rmSync(src, { recursive: true, force: true });
    for (const [f, text] of [['boot/vmlinuz', 'kernel'], ['boot/initrd', 'initrd'], ['boot/systemd-bootx64.efi', 'MZ efi'], ['rootfs/partwright-marker', 'hi\n']]) {
      fs.mkdirSync(path.dirname(path.join(src, f!)), { recursive: true });
      fs.writeFileSync(path.join(src, f!), text!);
    }
    const build = (out: string, ...args: string[]) => {
      const r = cli('build', ...args, '-o', out, '--copy-source', src);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return sha256File(out);
    };
    const byFlag = build(path.join(work, 'pk-flag.img'), '--preset', 'repart-disk');
    // The app's export of the opened preset: layout JSON and a repart.d directory, both naming Preset=.
    const json = path.join(work, 'pk-layout.json');
    fs.writeFileSync(json, stringifyLayoutJson(presetLayout(repartDisk)));
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).preset).toBe('repart-disk');
    expect(build(path.join(work, 'pk-json.img'), json)).toBe(byFlag);
    const dir = path.join(work, 'pk-repart.d');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    for (const f of exportRepartDirectory(presetLayout(repartDisk))) fs.writeFileSync(path.join(dir, f.name), f.text);
    expect(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('')).toContain('Preset=repart-disk');
    expect(build(path.join(work, 'pk-dir.img'), dir)).toBe(byFlag);
    // The same layout without Preset= builds as written (no loaders); --preset NAME puts them back.
    const plain = path.join(work, 'pk-plain.json');
    fs.writeFileSync(plain, stringifyLayoutJson(repartDisk.spec));
    expect(build(path.join(work, 'pk-plain.img'), plain)).not.toBe(byFlag);
    expect(build(path.join(work, 'pk-plain-flag.img'), plain, '--preset', 'repart-disk')).toBe(byFlag);
    // plan reads the layout's preset the same way.
    const plan = (...args: string[]) => JSON.parse(cli('plan', ...args, '--copy-source', src, '--json').stdout);
    expect(plan(json)).toEqual(plan('--preset', 'repart-disk'));
    // Mistakes: where they were written, naming the presets.
    const names = PRESETS.map((p) => p.name).join(', ');
    expect(cli('build', plain, '--preset', 'vm-dsk', '-o', path.join(work, 'x.img')).stderr).toContain(`no preset 'vm-dsk'; presets are ${names}`);
    const bad = path.join(work, 'pk-bad.d');
    fs.rmSync(bad, { recursive: true, force: true });
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, '10-esp.conf'), '[Partition]\nType=esp\n\n[X-Partwright-Disk]\nPreset=vm-dsk\n');
    const r = cli('build', bad, '-o', path.join(work, 'x.img'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`10-esp.conf:5: Unknown preset vm-dsk; presets are ${names}`);
    const badJson = path.join(work, 'pk-bad.json');
    fs.writeFileSync(badJson, JSON.stringify({ table: 'gpt', preset: 'vm-dsk', partitions: [{ type: 'esp' }] }));
    expect(cli('plan', badJson).stderr).toContain(`${badJson}: preset: must be one of ${names}`);
    // A preset's boot files live in a copy source: without one, the error says so.
    expect(cli('build', json, '-o', path.join(work, 'x.img')).stderr).toContain("preset 'repart-disk' needs --copy-source DIR (or CopySource= in the layout)");
  });
});

describe('layout JSON and 4096-byte sectors', () => {
  it('builds a 4096-byte-sector GPT that fdisk -b 4096 reads as planned', () => {
    const layout = path.join(work, 'l4k.json');
    fs.writeFileSync(layout, JSON.stringify({
      table: 'gpt', sectorSizeBytes: 4096, sizeBytes: 1 << 30,
      partitions: [{ type: 'esp', sizeMinBytes: 100 << 20, sizeMaxBytes: 100 << 20 }, { type: 'root', label: 'root' }],
    }));
    const out = path.join(work, 'l4k.img');
    const r = cli('build', layout, '-o', out, '--json');
    expect(r.status).toBe(0);
    const plan: PlanJson = JSON.parse(r.stdout).plan;
    const listing = execFileSync('fdisk', ['-b', '4096', '-l', '-o', 'Device,Start,End,Type-UUID,UUID,Name', out], { encoding: 'utf8' });
    for (const p of plan.partitions) {
      const row = listing.split('\n').find((l) => l.startsWith(`${out}${p.partitionNumber} `));
      expect(row).toBeDefined();
      const cols = row!.trim().split(/\s+/);
      expect(Number(cols[1])).toBe(p.offsetBytes / 4096);
      expect(Number(cols[2])).toBe((p.offsetBytes + p.sizeBytes) / 4096 - 1);
      expect(cols[3]!.toLowerCase()).toBe(p.typeGuid);
      expect(cols[4]!.toLowerCase()).toBe(p.uuid);
    }
    const inspected = JSON.parse(cli('inspect', out, '--json').stdout);
    expect(inspected.sectorSizeBytes).toBe(4096);
    expect(inspected.partitions.map((p: { offsetBytes: number }) => p.offsetBytes)).toEqual(plan.partitions.map((p) => p.offsetBytes));
  });
});

describe('the command line', () => {
  it('--help works for every command', () => {
    for (const c of ['build', 'plan', 'inspect']) {
      const r = cli(c, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: partwright ${c}`);
    }
    expect(cli('--help').stdout).toContain('Commands:');
  });

  it('runs the prebuilt bundle, rebuilding it when a source is newer; plan reads no WASM tool', () => {
    const bundle = path.join(ROOT, 'dist/cli/partwright.mjs');
    expect(cli('--version').status).toBe(0);
    const inputs: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/cli/inputs.json'), 'utf8'));
    expect(inputs).toContain('cli/main.ts');
    expect(inputs).toContain('workers/plan/plan-image.ts');
    // A bundle older than its sources (an edit after the last build) is rebuilt before the run.
    fs.utimesSync(bundle, new Date(0), new Date(0));
    expect(cli('--version').stdout).toBe('partwright 0.1.0\n');
    expect(fs.statSync(bundle).mtimeMs).toBeGreaterThan(Date.now() - 600_000);
    // …and then counts as fresh: the set-up's `--if-stale` leaves it alone.
    expect(execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-cli.mjs'), '--if-stale'], { encoding: 'utf8' })).toBe('');
    // `plan` through the real entry point: no tsx, no TypeScript, no WASM tool read or compiled.
    const hooks = path.join(work, 'hooks.mjs');
    const register = path.join(work, 'register.mjs');
    const log = path.join(work, 'loaded.txt');
    fs.writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.PW_LOADED, url + '\\n'); return next(url, context); }\n`);
    fs.writeFileSync(register, `import { register, syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const read = fs.readFileSync;
fs.readFileSync = function (file, ...rest) { if (String(file).endsWith('.wasm')) fs.appendFileSync(process.env.PW_LOADED, 'READ ' + String(file) + '\\n'); return read.call(this, file, ...rest); };
syncBuiltinESMExports();\n`);
    const r = spawnSync(process.execPath, ['--import', register, BIN, 'plan', path.join(EXAMPLES, 'gpt-disk')], { encoding: 'utf8', env: { ...process.env, PW_LOADED: log } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/esp\s+ESP/);
    const loaded = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(loaded.some((u) => u.endsWith('dist/cli/partwright.mjs'))).toBe(true);
    expect(loaded.filter((u) => u.includes('tsx') || u.endsWith('.ts') || u.startsWith('READ ') || u.includes('hash-wasm'))).toEqual([]);
  });

  it('plan prints the table without writing', () => {
    const r = cli('plan', path.join(EXAMPLES, 'gpt-disk'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/esp\s+ESP/);
    expect(r.stdout).toContain('disk GUID');
  });

  it('--size auto gives the minimum, and --seed changes the identities', () => {
    const a = JSON.parse(cli('plan', path.join(EXAMPLES, 'gpt-disk'), '--size', 'auto', '--json').stdout);
    expect(a.diskSizeBytes).toBe(a.minimumSizeBytes);
    const b = JSON.parse(cli('plan', path.join(EXAMPLES, 'gpt-disk'), '--seed', '0123456789abcdef0123456789abcdef', '--json').stdout);
    expect(b.diskGuid).toBe('6913f4b6-6690-4a57-a202-f1b53c56dbdf');
  });

  const oneLineFailure = (r: { status: number; stdout: string; stderr: string }) => {
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  };

  it('fails with one line that says what to fix', () => {
    let r = cli('build', path.join(EXAMPLES, 'gpt-disk'));
    oneLineFailure(r);
    expect(r.stderr).toContain('missing -o OUT');

    r = cli('build', path.join(EXAMPLES, 'gpt-disk'), '-o', path.join(work, 'x.img'), '--frobnicate');
    oneLineFailure(r);
    expect(r.stderr).toContain('unknown option --frobnicate');

    r = cli('plan', path.join(EXAMPLES, 'gpt-disk'), '--size', '1G');
    oneLineFailure(r);
    expect(r.stderr).toMatch(/the minimum disk size is \d+ bytes/);

    const bad = path.join(work, 'bad.d');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, '10-root.conf'), '[Partition]\nType=root\nSizeMinBytes=12Q\n');
    r = cli('plan', bad);
    oneLineFailure(r);
    expect(r.stderr).toContain('10-root.conf:3');

    r = cli('inspect', path.join(EXAMPLES, 'README.md'));
    oneLineFailure(r);

    r = cli('build', path.join(EXAMPLES, 'base-image'), '-o', path.join(EXAMPLES, 'base-image/base.img'));
    oneLineFailure(r);
    expect(r.stderr).toContain('--in-place');

    r = cli('plan', path.join(EXAMPLES, 'base-image'), '--size', '8M');
    oneLineFailure(r);
    expect(r.stderr).toContain('a base image can only grow');

    r = cli('plan', path.join(EXAMPLES, 'base-image'), '--base', path.join(EXAMPLES, 'README.md'));
    oneLineFailure(r);
    // --empty=refuse, the default with a base image (context_load_partition_table()).
    expect(r.stderr).toContain('has no GPT disk label, not repartitioning (it holds no partition table');

    r = cli('frob');
    oneLineFailure(r);
  });

  it('a failed build leaves no output file behind', () => {
    const out = path.join(work, 'never.img');
    const r = cli('build', path.join(EXAMPLES, 'gpt-disk'), '-o', out, '--size', '1G');
    expect(r.status).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('inspect decodes an MBR image with logical partitions', () => {
    const { out } = build('mbr-disk');
    const r = JSON.parse(cli('inspect', out, '--json').stdout);
    expect(r.table).toBe('mbr');
    expect(r.mbrDiskId).toBe(0x2178694e);
    expect(r.partitions.map((p: { partitionNumber: number }) => p.partitionNumber)).toEqual([1, 2, 3, 5, 6]);
    expect(r.partitions[0].mbrBootable).toBe(true);
  });
});

describe('--cloud-init-*: a NoCloud seed in the vfat partition', () => {
  it('writes user-data, meta-data and network-config into the ESP, and cloud-init accepts the user-data', () => {
    requireTools('mdir', 'mtype', 'cloud-init');
    const out = path.join(work, 'cloud-init.img');
    const r = cli('build', path.join(EXAMPLES, 'esp-vfat'), '-o', out, '--json',
      '--cloud-init-hostname', 'pi-kitchen', '--cloud-init-user', 'ada',
      '--cloud-init-ssh-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop',
      '--cloud-init-wifi-ssid', 'home', '--cloud-init-wifi-password', 'correct horse', '--cloud-init-locale', 'en_GB.UTF-8');
    expect(r.status, r.stderr).toBe(0);
    const esp = (JSON.parse(r.stdout) as { plan: { partitions: { offsetBytes: number; label: string }[] } }).plan.partitions.find((p) => p.label === 'ESP')!;
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const at = `${out}@@${esp.offsetBytes}`;
    const names = spawnSync('mdir', ['-b', '-i', at, '::/'], { encoding: 'utf8', env }).stdout.split('\n');
    expect(names).toEqual(expect.arrayContaining(['::/user-data', '::/meta-data', '::/network-config']));
    const userData = spawnSync('mtype', ['-i', at, '::/user-data'], { encoding: 'utf8', env }).stdout;
    expect(userData).toContain('hostname: "pi-kitchen"');
    const file = path.join(work, 'user-data');
    fs.writeFileSync(file, userData);
    const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    expect(schema.status, `${schema.stdout}${schema.stderr}`).toBe(0);
  });

  it('builds the seed from [X-Partwright-CloudInit] in the layout into the partition Partition= names; flags override and add keys', () => {
    requireTools('mdir', 'mtype', 'cloud-init');
    const dir = fs.mkdtempSync(path.join(work, 'ci-layout-'));
    const key1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop';
    const key2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk2b8w9N0p3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk4 ada@phone';
    fs.writeFileSync(path.join(dir, '10-firmware.conf'), '[Partition]\nType=esp\nLabel=FIRMWARE\nFormat=vfat\nSizeMinBytes=16M\nSizeMaxBytes=16M\n\n[X-Partwright]\nFATType=16\n\n'
      + `[X-Partwright-CloudInit]\nHostname=from-layout\nUser=ada\nSSHAuthorizedKeys=${key1}\nTimezone=Europe/London\nPartition=SEED\n`);
    fs.writeFileSync(path.join(dir, '20-seed.conf'), '[Partition]\nType=linux-generic\nLabel=SEED\nFormat=vfat\nSizeMinBytes=16M\nSizeMaxBytes=16M\n\n[X-Partwright]\nFATType=16\n');
    const out = path.join(work, 'cloud-init-layout.img');
    const r = cli('build', dir, '-o', out, '--json', '--cloud-init-hostname', 'pi-hall', '--cloud-init-ssh-key', key2);
    expect(r.status, r.stderr).toBe(0);
    const parts = (JSON.parse(r.stdout) as { plan: { partitions: { offsetBytes: number; label: string }[] } }).plan.partitions;
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const at = (label: string) => `${out}@@${parts.find((p) => p.label === label)!.offsetBytes}`;
    expect(spawnSync('mdir', ['-b', '-i', at('SEED'), '::/'], { encoding: 'utf8', env }).stdout.split('\n').filter(Boolean).sort()).toEqual(['::/meta-data', '::/user-data']);
    expect(spawnSync('mdir', ['-b', '-i', at('FIRMWARE'), '::/'], { encoding: 'utf8', env }).stdout.trim()).toBe('');
    const userData = spawnSync('mtype', ['-i', at('SEED'), '::/user-data'], { encoding: 'utf8', env }).stdout;
    expect(userData).toContain('hostname: "pi-hall"');
    expect(userData).toContain('timezone: "Europe/London"');
    expect(userData).toContain(`- ${JSON.stringify(key1)}\n      - ${JSON.stringify(key2)}`);
    const file = path.join(work, 'user-data-layout');
    fs.writeFileSync(file, userData);
    const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    expect(schema.status, `${schema.stdout}${schema.stderr}`).toBe(0);
    // A clear-text password in the layout is refused at its file:line.
    fs.appendFileSync(path.join(dir, '20-seed.conf'), '\n[X-Partwright-CloudInit]\nPasswordHash=hunter2\n');
    const bad = cli('build', dir, '-o', path.join(work, 'never.img'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('20-seed.conf:12: PasswordHash= refused: Password hash must be a crypt(3) hash');
  });

  it('a password hash without User= in the layout: plan warns at its file:line, build refuses it; --cloud-init-user mends it', () => {
    const dir = fs.mkdtempSync(path.join(work, 'ci-cross-'));
    const hash = '$6$partwright$7x7nO0zWbQ8WGh0S0nq8cVv8yGkq6oB3yq1m8C2t7o6cX1E7R1w3xQe7b8W7Yx0i7Y0t2r8e5Q9Z0p3s4u5v6.';
    fs.writeFileSync(path.join(dir, '10-esp.conf'), `[Partition]\nType=esp\nFormat=vfat\nSizeMinBytes=16M\nSizeMaxBytes=16M\n\n[X-Partwright-CloudInit]\nHostname=pi\nPasswordHash=${hash}\n`);
    const plan = cli('plan', dir);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('10-esp.conf:9: PasswordHash=: A password hash needs a user to belong to.');
    const bad = cli('build', dir, '-o', path.join(work, 'never.img'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('A password hash needs a user to belong to.');
    expect(fs.existsSync(path.join(work, 'never.img'))).toBe(false);
    const good = cli('build', dir, '-o', path.join(work, 'ci-cross.img'), '--cloud-init-user', 'ada');
    expect(good.status, good.stderr).toBe(0);
    // The same layout as layout JSON: the same warning, at the key's line.
    const json = path.join(dir, 'layout.json');
    fs.writeFileSync(json, JSON.stringify({ table: 'gpt', partitions: [{ type: 'esp', format: 'vfat', sizeMinBytes: 16 << 20, sizeMaxBytes: 16 << 20 }], cloudInit: { hostname: 'pi', passwordHash: hash } }, null, 2));
    const planJson = cli('plan', json);
    expect(planJson.status, planJson.stderr).toBe(0);
    expect(planJson.stderr).toMatch(/layout\.json:\d+: cloudInit\.passwordHash: A password hash needs a user to belong to\./);
    expect(cli('build', json, '-o', path.join(work, 'never.img')).status).not.toBe(0);
  });

  it('refuses a plain password, naming the option', () => {
    const r = cli('build', path.join(EXAMPLES, 'esp-vfat'), '-o', path.join(work, 'never.img'), '--cloud-init-user', 'ada', '--cloud-init-password-hash', 'hunter2');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--cloud-init-password-hash: Password hash must be a crypt(3) hash');
  });
});
