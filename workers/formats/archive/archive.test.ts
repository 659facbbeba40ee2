/**
 * Content archives made by the real tools (GNU tar in gnu/pax/ustar formats, gzip, zstd, GNU cpio
 * newc/crc, Info-ZIP zip, Python's zipfile) read back as trees: every entry's kind, mode, owner, time,
 * symlink target and bytes must equal what lstat says of the folder they were made from. Damaged and
 * hostile archives give specific coded errors.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../../test-support/debian.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { ArchiveProblem, memoryScratch, memorySource, readArchive, type ArchiveCodecs, type ArchiveDir, type ArchiveEntry } from './index.ts';
import { loadNodeTool } from '../../hosts/node/tools.ts';
import { ZstdDecompressor } from '../../tools/zstd.ts';
import { fzstdHangInput } from '../../nix/test-support/fzstd-hang.ts';

const CODECS: ArchiveCodecs = { zstd: (onData) => new ZstdDecompressor(loadNodeTool('zstd'), onData) };

let work: string;
let tree: string;

/** A folder with what a root file system holds: modes, owners, times, symlinks, a hard link, long and UTF-8 names. */
function makeTree(): string {
  const root = join(work, 'tree');
  const files: Record<string, { bytes: Buffer; mode: number; uid?: number; gid?: number }> = {
    'etc/hostname': { bytes: Buffer.from('partwright\n'), mode: 0o644 },
    'etc/shadow': { bytes: Buffer.from('root:*:1::::::\n'), mode: 0o640, gid: 42 },
    'usr/bin/hello': { bytes: Buffer.from('#!/bin/sh\necho hello\n'), mode: 0o755 },
    'usr/bin/su': { bytes: randomBytes(3000), mode: 0o4755 },
    'home/user/data.bin': { bytes: randomBytes(300 * 1024 + 17), mode: 0o600, uid: 1000, gid: 1000 },
    'opt/big-owner': { bytes: Buffer.from('owner beyond octal\n'), mode: 0o644, uid: 3_000_000, gid: 3_000_001 },
    [`usr/share/${'a-rather-long-directory-name/'.repeat(4)}and-a-file-name-past-one-hundred-bytes.txt`]: { bytes: Buffer.from('long\n'), mode: 0o644 },
    'usr/share/ünïcødé.txt': { bytes: Buffer.from('utf-8 name\n'), mode: 0o644 },
    'empty-file': { bytes: Buffer.alloc(0), mode: 0o644 },
  };
  for (const [path, f] of Object.entries(files)) {
    fs.mkdirSync(join(root, path, '..'), { recursive: true });
    fs.writeFileSync(join(root, path), f.bytes);
    fs.chmodSync(join(root, path), f.mode);
    fs.chownSync(join(root, path), f.uid ?? 0, f.gid ?? 0);
  }
  fs.mkdirSync(join(root, 'var/empty'), { recursive: true });
  fs.chmodSync(join(root, 'var/empty'), 0o700);
  fs.mkdirSync(join(root, 'tmp'));
  fs.chmodSync(join(root, 'tmp'), 0o1777);
  fs.symlinkSync('usr/bin', join(root, 'bin'));
  fs.symlinkSync('/usr/bin/hello', join(root, 'usr/bin/hi'));
  fs.linkSync(join(root, 'usr/bin/hello'), join(root, 'usr/bin/hello-again'));
  // Fixed, even times (DOS times keep 2 s), deepest first so a directory's time is not changed after.
  let t = 1_600_000_000;
  const stamp = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) stamp(join(p, n));
    t += 2;
    fs.lutimesSync(p, t, t);
  };
  stamp(root);
  return root;
}

interface Expected {
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtimeSeconds: number;
  target?: string;
  bytes?: Buffer;
}

/** What lstat says of every path below `root`, by relative path. */
function expectedOf(root: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const walk = (dir: string, prefix: string) => {
    for (const n of fs.readdirSync(dir)) {
      const p = join(dir, n);
      const st = fs.lstatSync(p);
      const rel = `${prefix}${n}`;
      const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
      if (st.isSymbolicLink()) out.set(rel, { kind: 'symlink', ...meta, target: fs.readlinkSync(p) });
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir', ...meta });
        walk(p, `${rel}/`);
      } else out.set(rel, { kind: 'file', ...meta, bytes: fs.readFileSync(p) });
    }
  };
  walk(root, '');
  return out;
}

function flatten(dir: ArchiveDir, prefix = '', out = new Map<string, ArchiveEntry>()): Map<string, ArchiveEntry> {
  for (const c of dir.children) {
    out.set(`${prefix}${c.name}`, c);
    if (c.kind === 'dir') flatten(c, `${prefix}${c.name}/`, out);
  }
  return out;
}

function bytesOf(e: ArchiveEntry): Buffer {
  if (e.kind !== 'file') throw new Error(`${e.name} is not a file`);
  const out = Buffer.alloc(e.sizeBytes);
  // Read in odd pieces, as a writer would, to cross chunk boundaries.
  for (let at = 0; at < e.sizeBytes; at += 7777) e.read(at, out.subarray(at, Math.min(e.sizeBytes, at + 7777)));
  return out;
}

interface Compare {
  owners?: boolean;
  times?: boolean;
}

function expectSameTree(got: ArchiveDir, root: string, { owners = true, times = true }: Compare = {}): void {
  const expected = expectedOf(root);
  const entries = flatten(got);
  expect([...entries.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [path, want] of expected) {
    const e = entries.get(path)!;
    expect(e.kind, path).toBe(want.kind);
    if (want.kind !== 'symlink') expect(e.mode, path).toBe(want.mode);
    if (owners) expect([e.uid, e.gid], path).toEqual([want.uid, want.gid]);
    if (times) expect(e.mtimeSeconds, path).toBe(want.mtimeSeconds);
    if (e.kind === 'symlink') expect(e.target, path).toBe(want.target);
    if (e.kind === 'file') expect(bytesOf(e).equals(want.bytes!), path).toBe(true);
  }
}

function archive(file: string): ArchiveDir {
  return readArchive(memorySource(new Uint8Array(fs.readFileSync(file))), file.split('/').pop()!, memoryScratch(), '', CODECS);
}

function sh(command: string, cwd = tree): void {
  execFileSync('sh', ['-c', command], { cwd, stdio: 'pipe', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
}

beforeAll(() => {
  requireTools('tar', 'gzip', 'zstd', 'cpio', 'zip', 'python3');
  work = fs.mkdtempSync(join(tmpdir(), 'partwright-archive-'));
  tree = makeTree();
});

describe('tar', () => {
  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads GNU tar --format=${format}: modes, owners, times, symlinks, hard links, long names`, () => {
      const out = join(work, `t-${format}.tar`);
      // ustar cannot hold the owner past 0o7777777: leave that file out there.
      const exclude = format === 'ustar' ? "--exclude='./opt'" : '';
      sh(`tar --format=${format} ${exclude} -cf ${out} .`);
      const got = archive(out);
      if (format === 'ustar') {
        const trimmed = join(work, 'ustar-tree');
        sh(`rm -rf ${trimmed} && cp -a ${tree} ${trimmed} && rm -rf ${trimmed}/opt && touch -h -d @${fs.lstatSync(tree).mtimeMs / 1000} ${trimmed}`);
        expectSameTree(got, trimmed);
      } else expectSameTree(got, tree);
      // The archive's "./" gives the root its own metadata.
      expect(got.mode).toBe(fs.statSync(tree).mode & 0o7777);
    });
  }

  it('reads tar.gz and tar.zst made by tar -z and tar --zstd', () => {
    for (const [flag, ext] of [['-z', 'tar.gz'], ['--zstd', 'tar.zst']] as const) {
      const out = join(work, `t.${ext}`);
      sh(`tar ${flag} -cf ${out} .`);
      expectSameTree(archive(out), tree);
    }
  });

  it('keeps sub-second pax times as whole seconds', () => {
    const dir = join(work, 'frac');
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, 'f'), 'x');
    fs.utimesSync(join(dir, 'f'), 1_700_000_000.75, 1_700_000_000.75);
    sh(`tar --format=pax -cf ${join(work, 'frac.tar')} f`, dir);
    const f = flatten(archive(join(work, 'frac.tar'))).get('f')!;
    expect(f.mtimeSeconds).toBe(1_700_000_000);
  });
});

describe('cpio', () => {
  for (const format of ['newc', 'crc'] as const) {
    it(`reads GNU cpio -H ${format} (hard links carry their data once)`, () => {
      const out = join(work, `c-${format}.cpio`);
      sh(`find . | cpio -o -H ${format} > ${out}`);
      expectSameTree(archive(out), tree);
    });
  }

  it('reads a gzip- and a zstd-compressed newc (initramfs style)', () => {
    sh(`find . | cpio -o -H newc | gzip -9 > ${join(work, 'c.cpio.gz')}`);
    sh(`find . | cpio -o -H newc | zstd -q > ${join(work, 'c.cpio.zst')}`);
    expectSameTree(archive(join(work, 'c.cpio.gz')), tree);
    expectSameTree(archive(join(work, 'c.cpio.zst')), tree);
  });
});

describe('zip', () => {
  it('reads Info-ZIP zip -r -y: Unix modes, symlinks, owners (ux) and UTC times (UT), deflated and stored', () => {
    for (const level of ['-6', '-0']) {
      const out = join(work, `z${level}.zip`);
      sh(`rm -f ${out} && zip -q -r -y ${level} ${out} .`);
      const got = archive(out);
      expectSameTree(got, tree);
    }
  });

  it("reads Python's zipfile (modes, DOS times, no owners; it follows symlinks)", () => {
    const dir = join(work, 'py');
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
    fs.chmodSync(join(dir, 'run.sh'), 0o750);
    fs.mkdirSync(join(dir, 'sub'));
    fs.writeFileSync(join(dir, 'sub', 'a.txt'), 'a\n');
    for (const p of ['run.sh', 'sub/a.txt', 'sub']) fs.utimesSync(join(dir, p), 1_650_000_000, 1_650_000_000);
    sh(`python3 -m zipfile -c ${join(work, 'py.zip')} run.sh sub`, dir);
    const got = flatten(archive(join(work, 'py.zip')));
    expect(got.get('run.sh')).toMatchObject({ kind: 'file', mode: 0o750, mtimeSeconds: 1_650_000_000 });
    expect(got.get('sub')).toMatchObject({ kind: 'dir', mode: 0o755 });
    expect(bytesOf(got.get('sub/a.txt')!).toString()).toBe('a\n');
    expect(got.get('run.sh')!.uid).toBeUndefined();
  });
});

/** The coded error `fn` throws. */
function failure(fn: () => unknown): PartwrightError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PartwrightError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

function expectProblem(bytes: Uint8Array, name: string, problem: ArchiveProblem, entry?: string): PartwrightError {
  const e = failure(() => readArchive(memorySource(bytes), name, memoryScratch(), '', CODECS));
  expect(e.code).toBe(ErrorCode.CorruptArchive);
  expect(e.detail.problem, e.message).toBe(problem);
  expect(e.detail.archive).toBe(name);
  expect(e.message).toContain(name);
  if (entry !== undefined) {
    expect(e.detail.entry).toBe(entry);
    expect(e.message).toContain(entry);
  }
  return e;
}

/** A tar made by Python's tarfile from (name, type, data/linkname) rows: hostile shapes GNU tar will not write. */
function pythonTar(rows: [string, 'file' | 'symlink' | 'link' | 'chr', string][]): Uint8Array {
  const out = join(work, `py-${Math.random().toString(36).slice(2)}.tar`);
  const script = `
import io, sys, tarfile, json
rows = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as t:
    for name, kind, data in rows:
        i = tarfile.TarInfo(name)
        i.mtime = 1600000000
        if kind == 'file':
            b = data.encode(); i.size = len(b); t.addfile(i, io.BytesIO(b))
        elif kind == 'symlink':
            i.type = tarfile.SYMTYPE; i.linkname = data; t.addfile(i)
        elif kind == 'link':
            i.type = tarfile.LNKTYPE; i.linkname = data; t.addfile(i)
        else:
            i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)
`;
  execFileSync('python3', ['-c', script, out, JSON.stringify(rows)]);
  return new Uint8Array(fs.readFileSync(out));
}

describe('damaged and hostile archives', () => {
  const tarOf = (name: string) => {
    const out = join(work, name);
    sh(`tar --format=gnu -cf ${out} ./etc/hostname ./usr/bin/hello`);
    return new Uint8Array(fs.readFileSync(out));
  };

  it('a flipped byte in a header: bad-checksum naming the entry', () => {
    const bytes = tarOf('flip.tar');
    bytes[1024 + 10]! ^= 0x01; // inside the second header's name field
    const e = expectProblem(bytes, 'flip.tar', ArchiveProblem.BadChecksum);
    expect(e.message).toMatch(/checksum/);
  });

  it('cut short inside a file: truncated naming the entry', () => {
    const bytes = tarOf('cut.tar').subarray(0, 1024 + 512 + 10);
    expectProblem(bytes, 'cut.tar', ArchiveProblem.Truncated, './usr/bin/hello');
  });

  it('a huge declared size: truncated, nothing allocated', () => {
    const bytes = tarOf('huge.tar');
    // Size field of the first header: 11 octal digits of 7 (8 GiB), checksum recomputed.
    bytes.set(new TextEncoder().encode('77777777777\0'), 124);
    bytes.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[i]!;
    bytes.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    const e = expectProblem(bytes, 'huge.tar', ArchiveProblem.Truncated, './etc/hostname');
    expect(e.message).toContain('8589934591');
  });

  it('"..", absolute paths, paths through symlinks, duplicates, devices', () => {
    expectProblem(pythonTar([['../evil', 'file', 'x']]), 'dotdot.tar', ArchiveProblem.UnsafePath, '../evil');
    expectProblem(pythonTar([['a/../../evil', 'file', 'x']]), 'dotdot2.tar', ArchiveProblem.UnsafePath, 'a/../../evil');
    expectProblem(pythonTar([['/etc/passwd', 'file', 'x']]), 'abs.tar', ArchiveProblem.UnsafePath, '/etc/passwd');
    expectProblem(pythonTar([['etc', 'symlink', '/etc'], ['etc/passwd', 'file', 'x']]), 'through.tar', ArchiveProblem.UnsafePath, 'etc/passwd');
    expectProblem(pythonTar([['a', 'file', 'x'], ['a', 'file', 'y']]), 'dup.tar', ArchiveProblem.Duplicate, 'a');
    expectProblem(pythonTar([['dev/null', 'chr', '']]), 'dev.tar', ArchiveProblem.UnsupportedEntry, 'dev/null');
    expectProblem(pythonTar([['a', 'link', 'nowhere']]), 'link.tar', ArchiveProblem.BadHeader, 'a');
    expectProblem(pythonTar([['d', 'symlink', 'x'], ['d', 'file', 'y']]), 'dup2.tar', ArchiveProblem.Duplicate, 'd');
    // A directory named twice is one directory; the root may be named as ".".
    const twice = readArchive(memorySource(pythonTar([['x/f', 'file', 'a'], ['x/g', 'file', 'b']])), 'ok.tar', memoryScratch(), '', CODECS);
    expect(twice.children.map((c) => c.name)).toEqual(['x']);
    // GNU tar itself writes absolute names with -P.
    const abs = join(work, 'abs-gnu.tar');
    sh(`tar -P -cf ${abs} ${join(tree, 'etc/hostname')}`);
    expectProblem(new Uint8Array(fs.readFileSync(abs)), 'abs-gnu.tar', ArchiveProblem.UnsafePath, join(tree, 'etc/hostname'));
  });

  it('cpio: a damaged crc checksum, a missing trailer, a bad magic', () => {
    const out = join(work, 'bad.cpio');
    sh(`printf '%s\\n' ./etc ./etc/hostname | cpio -o -H crc > ${out}`);
    const bytes = new Uint8Array(fs.readFileSync(out));
    const at = Buffer.from(bytes).indexOf('partwright\n');
    const flipped = bytes.slice();
    flipped[at]! ^= 0x20;
    expectProblem(flipped, 'bad.cpio', ArchiveProblem.BadChecksum, 'etc/hostname');
    expectProblem(bytes.subarray(0, at + 4), 'bad.cpio', ArchiveProblem.Truncated, 'etc/hostname');
    const trailer = Buffer.from(bytes).indexOf('TRAILER!!!');
    expectProblem(bytes.subarray(0, trailer - 110), 'bad.cpio', ArchiveProblem.Truncated);
    const magic = bytes.slice();
    magic[at + 12] = 0x41; // the next header's magic
    expect(failure(() => readArchive(memorySource(magic), 'bad.cpio', memoryScratch(), '', CODECS)).detail.problem).toBe(ArchiveProblem.BadChecksum);
  });

  it('zip: a damaged stored file, damaged deflate data, a cut-off directory', () => {
    const stored = join(work, 'stored.zip');
    const deflated = join(work, 'deflated.zip');
    sh(`rm -f ${stored} ${deflated} && zip -q -0 ${stored} etc/hostname && zip -q -9 ${deflated} home/user/data.bin`);
    const s = new Uint8Array(fs.readFileSync(stored));
    s[Buffer.from(s).indexOf('partwright\n')]! ^= 0x01;
    expectProblem(s, 'stored.zip', ArchiveProblem.BadChecksum, 'etc/hostname');
    const d = new Uint8Array(fs.readFileSync(deflated));
    for (let i = 200; i < 400; i++) d[i]! ^= 0x5a;
    const e = failure(() => readArchive(memorySource(d), 'deflated.zip', memoryScratch(), '', CODECS));
    expect([ArchiveProblem.Decompress, ArchiveProblem.BadChecksum, ArchiveProblem.Truncated]).toContain(e.detail.problem);
    expect(e.detail.entry).toBe('home/user/data.bin');
    expectProblem(new Uint8Array(fs.readFileSync(deflated)).subarray(0, 5000), 'deflated.zip', ArchiveProblem.Truncated);
    // A declared size smaller than what inflates (a zip bomb's shape): stopped at the declared size.
    const bomb = new Uint8Array(fs.readFileSync(deflated));
    const central = Buffer.from(bomb).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    new DataView(bomb.buffer).setUint32(central + 24, 10, true);
    const over = expectProblem(bomb, 'deflated.zip', ArchiveProblem.Decompress, 'home/user/data.bin');
    expect(over.message).toContain('inflates to more than the 10 bytes');
  });

  it('compressed streams: damaged gzip and cut-off zstd; unknown bytes', () => {
    const gz = new Uint8Array(fs.readFileSync(join(work, 't.tar.gz')));
    const bad = gz.slice();
    for (let i = 20; i < 60; i++) bad[i]! ^= 0xff;
    expectProblem(bad, 't.tar.gz', ArchiveProblem.Decompress);
    const zst = new Uint8Array(fs.readFileSync(join(work, 't.tar.zst')));
    const e = failure(() => readArchive(memorySource(zst.subarray(0, zst.length >> 1)), 't.tar.zst', memoryScratch(), '', CODECS));
    expect([ArchiveProblem.Decompress, ArchiveProblem.Truncated]).toContain(e.detail.problem);
    expectProblem(new TextEncoder().encode('just some text, not an archive'.repeat(40)), 'notes.txt', ArchiveProblem.UnknownFormat);
  });

  it('the zstd frame that hung fzstd is a decompress error at once', () => {
    const e = expectProblem(fzstdHangInput(), 'hang.tar.zst', ArchiveProblem.Decompress);
    expect(e.message).toMatch(/zstd stream is corrupt/);
  }, 1000);

  it('zstd frames asking for a window over 128 MiB (zstd --long=28) are refused, as zstd -d does', () => {
    const big = join(work, 'long.tar.zst');
    sh(`head -c 300000 /dev/urandom > ${join(work, 'r.bin')} && tar -cf - -C ${work} r.bin | zstd -q --long=28 -o ${big}`);
    const e = expectProblem(new Uint8Array(fs.readFileSync(big)), 'long.tar.zst', ArchiveProblem.Decompress);
    expect(e.message).toMatch(/Frame requires too much memory/);
  });

  it('a zstd archive with no zstd decoder from the host is a coded error', () => {
    const zst = new Uint8Array(fs.readFileSync(join(work, 't.tar.zst')));
    const e = failure(() => readArchive(memorySource(zst), 't.tar.zst', memoryScratch()));
    expect(e.detail.problem).toBe(ArchiveProblem.Decompress);
    expect(e.message).toMatch(/no zstd decoder/);
  });
});
