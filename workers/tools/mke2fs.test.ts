/**
 * formatExt4 against Debian's native e2fsprogs 1.47.0: e2fsck -fn must be clean, debugfs must show
 * every entry with the right type, mode, owner, size, mtime and link target, dumped contents must
 * equal the inputs, and native mke2fs given the same options must agree.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, closeSync, lchownSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync,
  rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputDir, InputEntry, InputFile } from '../build/input-tree.ts';
import { MemoryStore, type ByteStore } from '../disk/byte-store.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { isPartwrightError } from '../model/errors.ts';
import { minimalExt4SizeBytes } from './ext4-minimize.ts';
import { MKE2FS_CONF } from './mke2fs-conf.ts';
import { encodeMetadataManifest, ext4UuidFromPartitionUuid, formatExt4, hostDataCopy, mke2fsArgs, PartitionFile, type FormatExt4Options } from './mke2fs.ts';
import { treeDirectory } from './tree-vfs.ts';
import { memoryDirectory, memoryFile, runWasi } from './wasi-host.ts';
import { debugfs, debugfsStat, E2FS_ENV, mke2fsModule, requireE2fsprogs, run, saveImage } from './test-support/e2fs-tools.ts';

const EPOCH = 1_700_000_000;
const UUID = '858b0893-a411-4983-9ae1-7716540bfbaa';
const HASH_SEED = '5f3c1e2d-8a9b-4c7d-9e0f-112233445566';
const MiB = 1 << 20;

let tmp: string;
beforeAll(() => {
  requireE2fsprogs();
  tmp = mkdtempSync(join(tmpdir(), 'pw-mke2fs-'));
  writeFileSync(join(tmp, 'mke2fs.conf'), MKE2FS_CONF);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const meta = (mode: number, uid = 0, gid = 0, mtimeSeconds = EPOCH - 1000) => ({ mode, uid, gid, mtimeSeconds });
function file(name: string, data: Uint8Array | string, m = meta(0o644)): InputFile {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return { kind: 'file', name, ...m, sizeBytes: bytes.length, read: (off, target) => target.set(bytes.subarray(off, off + target.length)) };
}
function dir(name: string, children: InputEntry[], m = meta(0o755)): InputDir {
  return { kind: 'dir', name, ...m, children };
}
function link(name: string, target: string, m = meta(0o777)): InputEntry {
  return { kind: 'symlink', name, ...m, target };
}

function options(sizeBytes: number, extra: Partial<FormatExt4Options> = {}): FormatExt4Options {
  return { module: mke2fsModule(), offsetBytes: 0, sizeBytes, label: 'root', uuid: UUID, hashSeed: HASH_SEED, rootOwner: { uid: 0, gid: 0 }, sourceDateEpoch: EPOCH, ...extra };
}

function fsck(path: string): void {
  const r = run('e2fsck', ['-fn', path]);
  expect(r.stderr + r.stdout, 'e2fsck -fn').not.toMatch(/\b(error|corrupt|Fix\?|inconsistenc)/i);
  expect(r.status).toBe(0);
}

function imageSha256(image: SparseImage): string {
  const h = createHash('sha256');
  for (const r of image.dataRanges()) {
    h.update(`${r.offsetBytes}+${r.sizeBytes}:`);
    h.update(image.read(r.offsetBytes, r.sizeBytes));
  }
  return h.digest('hex');
}

/** s_kbytes_written (superblock 0x178, 8 bytes) and the superblock checksum (0x3FC): native mke2fs
 * zeroes the journal with fallocate (not counted), the WASI build writes zeros (counted). */
function maskWriteCounter(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  b.fill(0, 1024 + 0x178, 1024 + 0x180);
  b.fill(0, 1024 + 0x3fc, 1024 + 0x400);
  return b;
}

function nativeMke2fs(path: string, sizeBytes: number, o: FormatExt4Options, source?: string): void {
  rmSync(path, { force: true });
  writeFileSync(path, '');
  truncateSync(path, sizeBytes);
  const r = run('mke2fs', mke2fsArgs(o, path, source), { ...E2FS_ENV, MKE2FS_CONFIG: join(tmp, 'mke2fs.conf'), E2FSPROGS_FAKE_TIME: String(o.sourceDateEpoch) });
  expect(r.stderr, 'native mke2fs').toBe('');
  expect(r.status).toBe(0);
}

describe('ext4UuidFromPartitionUuid', () => {
  it('derives the UUID systemd-repart 252 gave (FACTS.md vector)', () => {
    expect(ext4UuidFromPartitionUuid('955d0f80-7cec-4cd4-8224-dcaebc6f5246')).toBe('858b0893-a411-4983-9ae1-7716540bfbaa');
  });
});

describe('formatExt4', () => {
  it('makes an empty filesystem identical to native mke2fs with the same options', () => {
    const size = 64 * MiB;
    const image = new SparseImage(size);
    formatExt4(image, options(size));
    const wasmPath = join(tmp, 'empty-wasm.img');
    saveImage(image, wasmPath);
    fsck(wasmPath);
    const nativePath = join(tmp, 'empty-native.img');
    nativeMke2fs(nativePath, size, options(size));
    const a = readFileSync(wasmPath);
    const b = readFileSync(nativePath);
    expect(createHash('sha256').update(maskWriteCounter(a)).digest('hex')).toBe(createHash('sha256').update(maskWriteCounter(b)).digest('hex'));
    const sb = debugfs(wasmPath, 'stats');
    expect(sb).toContain(`Filesystem UUID:          ${UUID}`);
    expect(sb).toContain(`Directory Hash Seed:      ${HASH_SEED}`);
    expect(sb).toContain('Filesystem volume name:   root');
    expect(sb).toMatch(/Filesystem created:\s+Tue Nov 14 22:13:20 2023/);
  });

  it('copies a tree: modes, owners, sizes, mtimes, symlinks and contents reach the image', () => {
    const big = randomBytes(5 * MiB + 123);
    const holey = new Uint8Array(3 * MiB);
    holey.set(randomBytes(4096), MiB);
    const longTarget = `/nix/store/${'a'.repeat(32)}-some-package-1.0/bin/some-binary-name`;
    const tree = dir('', [
      dir('bin', [
        file('suid', '#!/bin/sh\n', meta(0o4755, 0, 0)),
        link('sh', 'busybox'),
        file('busybox', big, meta(0o555, 0, 0, EPOCH - 5)),
      ]),
      dir('etc', [
        file('shadow', 'root:*:1::::::\n', meta(0o640, 0, 42)),
        file('empty', ''),
        link('long-link', longTarget),
        dir('ssh', [file('sshd_config', 'PermitRootLogin no\n')], meta(0o700, 0, 0, 1_000_000_000)),
      ]),
      dir('home', [dir('alice', [file('notes.txt', 'hi\n', meta(0o600, 1000, 100, EPOCH + 999_999))], meta(0o750, 1000, 100))]),
      dir('tmp', [], meta(0o1777)),
      file('holes', holey),
      file('naïve-ünïcode ☃.txt', 'snow\n'),
      link('dangling', '../nowhere'),
    ]);
    const size = 64 * MiB;
    const image = new SparseImage(size);
    formatExt4(image, options(size, { tree }));
    const path = join(tmp, 'tree.img');
    saveImage(image, path);
    fsck(path);

    const expectEntry = (p: string, type: string, mode: number, uid: number, gid: number, sizeBytes: number, mtime: number, target?: string) => {
      const s = debugfsStat(path, p);
      expect({ p, ...s }).toEqual({ p, type, mode, uid, gid, sizeBytes, mtime, ...(target !== undefined ? { linkTarget: target } : {}) });
    };
    expectEntry('/bin', 'directory', 0o755, 0, 0, 4096, EPOCH - 1000);
    expectEntry('/bin/suid', 'regular', 0o4755, 0, 0, 10, EPOCH - 1000);
    expectEntry('/bin/sh', 'symlink', 0o777, 0, 0, 7, EPOCH - 1000, 'busybox');
    expectEntry('/bin/busybox', 'regular', 0o555, 0, 0, big.length, EPOCH - 5);
    expectEntry('/etc/shadow', 'regular', 0o640, 0, 42, 15, EPOCH - 1000);
    expectEntry('/etc/empty', 'regular', 0o644, 0, 0, 0, EPOCH - 1000);
    expectEntry('/etc/ssh', 'directory', 0o700, 0, 0, 4096, 1_000_000_000);
    expectEntry('/home/alice', 'directory', 0o750, 1000, 100, 4096, EPOCH - 1000);
    // Times after SOURCE_DATE_EPOCH are clamped to it.
    expectEntry('/home/alice/notes.txt', 'regular', 0o600, 1000, 100, 3, EPOCH);
    expectEntry('/tmp', 'directory', 0o1777, 0, 0, 4096, EPOCH - 1000);
    expectEntry('/dangling', 'symlink', 0o777, 0, 0, 10, EPOCH - 1000, '../nowhere');
    // A long (slow) symlink keeps its target in a data block.
    expect(debugfsStat(path, '/etc/long-link').sizeBytes).toBe(longTarget.length);
    expect(run('debugfs', ['-R', 'cat /etc/long-link', path]).stdout).toBe(longTarget);

    const dump = (p: string) => {
      const out = join(tmp, 'dump.bin');
      debugfs(path, `dump "${p}" ${out}`);
      return readFileSync(out);
    };
    expect(dump('/bin/busybox').equals(big)).toBe(true);
    expect(dump('/holes').equals(Buffer.from(holey))).toBe(true);
    expect(dump('/naïve-ünïcode ☃.txt').toString()).toBe('snow\n');
    expect(dump('/etc/ssh/sshd_config').toString()).toBe('PermitRootLogin no\n');
    // The zero megabytes of /holes are holes in the file, not allocated blocks.
    expect(debugfs(path, 'stat /holes')).toMatch(/Blockcount: 8\b/);

    // Root directory: mke2fs 1.47.0 gives it 0755, root_owner and the fake time.
    expectEntry('/', 'directory', 0o755, 0, 0, 4096, EPOCH);
    const names = debugfs(path, 'ls -p /').split('\n').filter(Boolean).map((l) => l.split('/')[5]);
    // In the order mke2fs -d adds them: scandir() sorted by strcoll in the C locale (byte order).
    expect(names).toEqual(['.', '..', 'lost+found', 'bin', 'dangling', 'etc', 'holes', 'home', 'naïve-ünïcode ☃.txt', 'tmp']);
  });

  it('gives identical bytes for the same inputs, and different ones for a different seed', () => {
    const make = (hashSeed = HASH_SEED) => {
      const tree = dir('', Array.from({ length: 200 }, (_, i) => file(`f${i}`, `file ${i}\n`.repeat(i))));
      const image = new SparseImage(32 * MiB);
      formatExt4(image, options(32 * MiB, { tree, hashSeed }));
      return imageSha256(image);
    };
    const a = make();
    expect(make()).toBe(a);
    expect(make('00000000-1111-4222-8333-444444444444')).not.toBe(a);
  });

  it('moves file data on the host (patch 0003) into the same blocks mke2fs\'s own copy fills', () => {
    // Zero blocks (holes), partial last blocks, a file one byte past the 1 MiB data chunk, an
    // all-zero file, an empty one, and a file whose extent tree needs a block of its own.
    const random = (n: number) => Uint8Array.from(randomBytes(n));
    const holey = random(6 * 4096 + 100);
    holey.fill(0, 3 * 4096, 5 * 4096);
    const fragmented = random(40 * 4096);
    for (let b = 1; b < 40; b += 2) fragmented.fill(0, b * 4096, (b + 1) * 4096);
    const tree = dir('', [
      file('holey', holey), file('chunk-plus-one', random(MiB + 1)), file('zeros', new Uint8Array(100 * 1024)), file('empty', ''),
      file('tiny', 'hello'), file('fragmented', fragmented), file('big', random(3 * MiB + 7)),
      dir('many', Array.from({ length: 300 }, (_, i) => file(`f${i}`, random(i * 97)))),
    ]);
    const make = (hostCopy: boolean) => {
      const image = new SparseImage(64 * MiB);
      const partition = new PartitionFile(image, 0, 64 * MiB);
      let scans = 0;
      const copy = hostDataCopy(partition);
      const o = options(64 * MiB, { tree });
      const r = runWasi(mke2fsModule(), {
        args: ['mke2fs', ...mke2fsArgs(o, '/pw/partition', '/in')],
        env: { MKE2FS_CONFIG: '/pw/mke2fs.conf', E2FSPROGS_FAKE_TIME: String(EPOCH), E2FS_METADATA: '/pw/metadata' },
        preopens: {
          '/pw': memoryDirectory({ 'mke2fs.conf': memoryFile(MKE2FS_CONF), metadata: memoryFile(encodeMetadataManifest(tree, EPOCH)), partition }),
          '/in': treeDirectory(tree, EPOCH, 'an ext4 file system'),
        },
        clockSeconds: EPOCH,
        ...(hostCopy ? { extensions: (guest) => {
          const f = copy(guest);
          return { ...f, data_scan: (...a: Parameters<typeof f.data_scan>) => (scans++, f.data_scan(...a)) };
        } } : {}),
      });
      partition.flush();
      expect(r.exitCode, r.stderr).toBe(0);
      return { bytes: Buffer.from(image.read(0, 64 * MiB)), scans };
    };
    const guest = make(false);
    const host = make(true);
    expect(guest.scans).toBe(0);
    expect(host.scans).toBeGreaterThan(300);
    // Only the superblock's lifetime-writes counter (and so its checksum) may differ.
    expect(maskWriteCounter(host.bytes).equals(maskWriteCounter(guest.bytes))).toBe(true);
    const path = join(tmp, 'host-copy.img');
    writeFileSync(path, host.bytes);
    fsck(path);
    const dumped = join(tmp, 'holey.out');
    expect(run('debugfs', ['-R', `dump /holey ${dumped}`, path]).status).toBe(0);
    expect(readFileSync(dumped).equals(Buffer.from(holey))).toBe(true);
    expect(debugfs(path, 'blocks /holey').trim().split(/\s+/)).toHaveLength(5); // blocks 3 and 4 are holes
    expect(debugfs(path, 'blocks /zeros').trim()).toBe('');
  });

  it('agrees with native mke2fs -d on the same tree on disk (inodes, extents, modes, owners, times)', () => {
    const src = join(tmp, 'native-src');
    mkdirSync(join(src, 'usr/lib'), { recursive: true });
    mkdirSync(join(src, 'var/empty'), { recursive: true });
    writeFileSync(join(src, 'usr/lib/data.bin'), randomBytes(700_000));
    writeFileSync(join(src, 'usr/README'), 'read me\n');
    symlinkSync('lib/data.bin', join(src, 'usr/data'));
    chmodSync(join(src, 'usr/README'), 0o600);
    lchownSync(join(src, 'var/empty'), 1234, 5678);
    const t = EPOCH - 86_400;
    for (const p of ['usr/lib/data.bin', 'usr/README', 'usr/lib', 'var/empty', 'var', 'usr']) utimesSync(join(src, p), t, t);
    lutimesSync(join(src, 'usr/data'), t, t);

    // The same tree as the CLI reads it (modes, owners, mtimes from lstat).
    const tree = readDiskTree(src);
    const size = 32 * MiB;
    const image = new SparseImage(size);
    formatExt4(image, options(size, { tree }));
    const wasmPath = join(tmp, 'cmp-wasm.img');
    saveImage(image, wasmPath);
    const nativePath = join(tmp, 'cmp-native.img');
    nativeMke2fs(nativePath, size, options(size), src);
    fsck(wasmPath);
    fsck(nativePath);
    // Everything but ctimes/atimes (native takes those from the host's lstat), inode checksums and
    // the write counter is the same.
    const normalize = (s: string) => s.replace(/^\s*(ctime|atime|crtime):.*$/gm, '').replace(/Inode checksum: \S+/g, '');
    for (const p of ['/usr', '/usr/lib', '/usr/lib/data.bin', '/usr/README', '/usr/data', '/var', '/var/empty']) {
      expect(normalize(debugfs(wasmPath, `stat ${p}`)), p).toBe(normalize(debugfs(nativePath, `stat ${p}`)));
    }
    expect(debugfs(wasmPath, 'ls -l /usr')).toBe(debugfs(nativePath, 'ls -l /usr'));
    const blocks = (p: string) => run('dumpe2fs', ['-h', p]).stdout.match(/Free blocks:\s+\d+/)![0];
    expect(blocks(wasmPath)).toBe(blocks(nativePath));
  });

  it('copies 5,000 files', () => {
    const dirs = Array.from({ length: 50 }, (_, d) =>
      dir(`d${String(d).padStart(2, '0')}`, Array.from({ length: 100 }, (_, f) => file(`file-${f}.txt`, `${d}/${f}\n`.repeat(1 + (f % 7))))));
    const size = 128 * MiB;
    const image = new SparseImage(size);
    const t0 = performance.now();
    formatExt4(image, options(size, { tree: dir('', dirs) }));
    const ms = performance.now() - t0;
    const path = join(tmp, 'many.img');
    saveImage(image, path);
    fsck(path);
    expect(run('e2fsck', ['-fn', path]).stdout).toMatch(/ 5061\/8192 files/); // 5,000 files + 50 directories + the 11 reserved inodes
    expect(debugfs(path, 'cat /d49/file-99.txt')).toBe('49/99\n'.repeat(1 + (99 % 7)));
    console.log(`5,000 files into a 128 MiB ext4: ${ms.toFixed(0)} ms`);
  });

  it('formats a partition at an offset and leaves the rest of the image alone', () => {
    const image = new SparseImage(100 * MiB);
    image.write(0, new Uint8Array(512).fill(0xaa));
    formatExt4(image, options(16 * MiB, { offsetBytes: 8 * MiB }));
    const ranges = image.dataRanges();
    expect(ranges[0]).toEqual({ offsetBytes: 0, sizeBytes: 512 });
    for (const r of ranges.slice(1)) {
      expect(r.offsetBytes).toBeGreaterThanOrEqual(8 * MiB);
      expect(r.offsetBytes + r.sizeBytes).toBeLessThanOrEqual(24 * MiB);
    }
    const path = join(tmp, 'offset.img');
    saveImage(image, path, 8 * MiB, 16 * MiB);
    fsck(path);
  });

  it('gives the same bytes whatever the partition held before', () => {
    const fresh = new SparseImage(16 * MiB);
    formatExt4(fresh, options(16 * MiB));
    const used = new SparseImage(16 * MiB);
    used.write(0, new Uint8Array(16 * MiB).fill(0x5a));
    formatExt4(used, options(16 * MiB));
    expect(imageSha256(used)).toBe(imageSha256(fresh));
  });

  it('asks the store to discard only ranges that hold data (a file store zeroes what it discards)', () => {
    const memory = new MemoryStore();
    let discarded = 0;
    const store: ByteStore = {
      read: (o, t) => memory.read(o, t), write: (o, d) => memory.write(o, d), flush: () => memory.flush(), close: () => memory.close(),
      discard: (o, n) => { discarded += n; memory.discard(o, n); },
      get storedBytes() { return memory.storedBytes; },
    };
    const image = new SparseImage(8 * 1024 * MiB, store);
    image.write(100 * MiB, new Uint8Array(MiB).fill(1));
    formatExt4(image, options(4 * 1024 * MiB, { offsetBytes: 64 * MiB }));
    expect(discarded).toBe(MiB);
  });

  it('reuses one compiled module for many runs (fresh instance each time)', () => {
    const hashes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const image = new SparseImage(8 * MiB);
      formatExt4(image, options(8 * MiB, { tree: dir('', [file('x', 'y')]) }));
      hashes.add(imageSha256(image));
    }
    expect(hashes.size).toBe(1);
  });

  it('puts mke2fs\'s own message into the error when the content does not fit', () => {
    const image = new SparseImage(4 * MiB);
    const tree = dir('', [file('big', new Uint8Array(6 * MiB).fill(1))]);
    let error: unknown;
    try {
      formatExt4(image, options(4 * MiB, { tree }));
    } catch (e) {
      error = e;
    }
    expect(isPartwrightError(error)).toBe(true);
    const e = error as Error & { detail: { exitCode: number; stderr: string } };
    expect(e.message).toMatch(/mke2fs failed \(exit status 1\)/);
    expect(e.message).toMatch(/Could not allocate block|No space left|while writing file/i);
    expect(e.detail.stderr).toContain('__populate_fs');
  });

  it('rejects sizes and labels mke2fs would mangle, before running it', () => {
    const image = new SparseImage(64 * MiB);
    expect(() => formatExt4(image, options(8 * MiB + 512))).toThrow(/multiple of the 4096-byte block size/);
    expect(() => formatExt4(image, options(8 * MiB, { label: 'x'.repeat(17) }))).toThrow(/longer than 16 bytes/);
    expect(() => formatExt4(image, options(128 * MiB))).toThrow(/does not lie inside/);
  });

  it('writes the metadata manifest patch 0002 reads', () => {
    const tree = dir('', [dir('a b', [file('c', 'x', meta(0o4711, 7, 8, EPOCH + 5))])]);
    expect(new TextDecoder().decode(encodeMetadataManifest(tree, EPOCH))).toBe(
      `755 0 0 ${EPOCH - 1000} /a b\0` + `4711 7 8 ${EPOCH} /a b/c\0`,
    );
  });
});

/** A directory on disk as an InputDir (what cli/node-tree.ts does; kept here so the test is self-contained). */
function readDiskTree(root: string): InputDir {
  const walk = (p: string, name: string): InputEntry => {
    const st = lstatSync(p);
    const m = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
    if (st.isSymbolicLink()) return { kind: 'symlink', ...m, target: readlinkSync(p) };
    if (st.isDirectory()) return { kind: 'dir', ...m, children: readdirSync(p).sort().map((n) => walk(join(p, n), n)) };
    return { kind: 'file', ...m, sizeBytes: st.size, read: (off, target) => { const fd = openSync(p, 'r'); readSync(fd, target, 0, target.length, off); closeSync(fd); } };
  };
  return walk(root, '') as InputDir;
}

describe('minimalExt4SizeBytes', () => {
  it('finds the smallest 4 KiB multiple that holds the tree (one grain less does not)', () => {
    const tree = dir('', [
      file('payload', randomBytes(6 * MiB)),
      dir('etc', Array.from({ length: 300 }, (_, i) => file(`conf${i}`, `setting ${i}\n`))),
    ]);
    const o = options(0, { tree });
    const { sizeBytes, trials } = minimalExt4SizeBytes(o);
    expect(sizeBytes % 4096).toBe(0);
    const image = new SparseImage(sizeBytes);
    formatExt4(image, { ...o, sizeBytes });
    const path = join(tmp, 'minimal.img');
    saveImage(image, path);
    fsck(path);
    expect(() => formatExt4(new SparseImage(sizeBytes - 4096), { ...o, sizeBytes: sizeBytes - 4096 })).toThrow(/mke2fs failed/);
    console.log(`minimal ext4 for 6 MiB + 300 files: ${sizeBytes} bytes after ${trials} trials`);
  });
});

describe('formatExt4 failures', () => {
  it('passes an input read error through as it was thrown', () => {
    const broken: InputFile = { kind: 'file', name: 'gone', sizeBytes: 10_000, read: () => { throw new Error('input vanished'); } };
    expect(() => formatExt4(new SparseImage(8 * MiB), options(8 * MiB, { tree: dir('', [broken]) }))).toThrow(/input vanished/);
  });
});
