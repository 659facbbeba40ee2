/**
 * The squashfs writer (workers/formats/squashfs) with its gzip (zlib.wasm), zstd and xz (xz.wasm) compressors against Debian's
 * squashfs-tools 4.5.1: `unsquashfs -s` reads the superblock and compressor options, `unsquashfs -lln`
 * lists every entry with the tree's modes, owners and sizes, and `unsquashfs -d` gives back exactly
 * the input tree (types, modes, owners, times clamped to SOURCE_DATE_EPOCH, symlink targets, bytes).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputDir } from '../build/input-tree.ts';
import { decodeSquashfsSuperblock, SB_FLAG, writeSquashfs, type SquashfsCompressor } from '../formats/squashfs/index.ts';
import { isPartwrightError } from '../model/errors.ts';
import { requireTools } from '../test-support/debian.ts';
import { MemoryImage } from './image-window.ts';
import { gzipSquashfsCompressor, XZ_WASM_URL, xzSquashfsCompressor, ZLIB_WASM_URL, zstdSquashfsCompressor } from './squashfs-compressors.ts';
import { expectExtractedTree, ORACLE_EPOCH, oracleTree, parseLongListing } from './test-support/tree-oracle.ts';
import { compileWasmTool } from './wasm-tools.ts';
import { compileZstdModule, ZSTD_WASM_URL } from './zstd.ts';

let tmp: string;
let zstdModule: WebAssembly.Module;
let zlibModule: WebAssembly.Module;
let xzModule: WebAssembly.Module;
beforeAll(() => {
  requireTools('unsquashfs', 'mksquashfs', 'python3');
  xzModule = compileWasmTool(readFileSync(XZ_WASM_URL));
  tmp = mkdtempSync(join(tmpdir(), 'pw-squashfs-'));
  zstdModule = compileZstdModule(readFileSync(ZSTD_WASM_URL));
  zlibModule = compileWasmTool(readFileSync(ZLIB_WASM_URL));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function make(tree: InputDir, compressor: SquashfsCompressor, blockSizeBytes?: number): { bytes: Uint8Array; path: string } {
  const image = new MemoryImage();
  const r = writeSquashfs(image, tree, { compressor, sourceDateEpoch: ORACLE_EPOCH, ...(blockSizeBytes ? { blockSizeBytes } : {}) });
  expect(image.sizeBytes).toBe(r.sizeBytes);
  expect(r.sizeBytes % 4096).toBe(0);
  const bytes = image.bytes();
  const path = join(tmp, `img-${Math.random().toString(36).slice(2)}.sqfs`);
  writeFileSync(path, bytes);
  return { bytes, path };
}

function unsquashfs(args: string[]): string {
  const r = spawnSync('unsquashfs', args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  expect(r.status, `unsquashfs ${args.join(' ')}: ${r.stderr}`).toBe(0);
  expect(r.stderr).not.toMatch(/error|failed|corrupt/i);
  return r.stdout;
}

function walk(dir: InputDir, prefix: string, out: Map<string, { kind: string; mode: number; owner: string; size: number }>): void {
  for (const e of dir.children) {
    const p = `${prefix}/${e.name}`;
    const mode = e.mode ?? (e.kind === 'dir' ? 0o755 : e.kind === 'file' ? 0o644 : 0o777);
    out.set(p, { kind: e.kind, mode, owner: `${e.uid ?? 0}/${e.gid ?? 0}`, size: e.kind === 'file' ? e.sizeBytes : e.kind === 'symlink' ? new TextEncoder().encode(e.target).length : -1 });
    if (e.kind === 'dir') walk(e, p, out);
  }
}

/** ls -l style mode string for a kind + permission bits (setuid/setgid/sticky included). */
function modeString(kind: string, mode: number): string {
  const t = kind === 'dir' ? 'd' : kind === 'symlink' ? 'l' : '-';
  const rwx = (bits: number, special: boolean, ch: string) => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return t + rwx(mode >> 6, (mode & 0o4000) !== 0, 's') + rwx(mode >> 3, (mode & 0o2000) !== 0, 's') + rwx(mode, (mode & 0o1000) !== 0, 't');
}

describe('squashfs writer against unsquashfs', () => {
  const cases: Array<[string, () => SquashfsCompressor, RegExp]> = [
    ['gzip (default level 9)', () => gzipSquashfsCompressor(zlibModule), /Compression gzip/],
    ['gzip level 1', () => gzipSquashfsCompressor(zlibModule, 1), /compression-level 1/],
    ['zstd (default level 15)', () => zstdSquashfsCompressor(zstdModule), /Compression zstd/],
    ['zstd level 3', () => zstdSquashfsCompressor(zstdModule, 3), /compression-level 3/],
    ['xz (preset 6, block-size dictionary)', () => xzSquashfsCompressor(xzModule), /Compression xz/],
  ];
  for (const [name, compressor, stat] of cases) {
    it(`${name}: -s, -lln and -d give back the tree`, () => {
      const tree = oracleTree();
      const { path, bytes } = make(tree, compressor());
      const s = unsquashfs(['-s', path]);
      expect(s).toMatch(stat);
      expect(s).toMatch(/Block size 131072/);
      expect(s).toMatch(/Xattrs are not stored/);
      const sb = decodeSquashfsSuperblock(bytes);
      expect(sb.mkfsTime).toBe(ORACLE_EPOCH);
      expect(sb.flags & SB_FLAG.noXattrs).toBe(SB_FLAG.noXattrs);

      const listed = parseLongListing(unsquashfs(['-lln', '-d', '', path]));
      const want = new Map<string, { kind: string; mode: number; owner: string; size: number }>();
      walk(tree, '', want);
      expect([...listed.keys()].filter((k) => k !== '').sort()).toEqual([...want.keys()].sort());
      for (const [p, w] of want) {
        const got = listed.get(p)!;
        expect(got.mode, p).toBe(modeString(w.kind, w.mode));
        expect(got.owner, p).toBe(w.owner);
        if (w.size >= 0) expect(got.size, p).toBe(w.size);
      }

      const out = join(tmp, `x-${Math.random().toString(36).slice(2)}`);
      unsquashfs(['-q', '-n', '-d', out, path]);
      expectExtractedTree(out, tree, { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false });
    });
  }

  it('small blocks (4 KiB): many blocks per file, still exact', () => {
    const tree = oracleTree();
    const { path } = make(tree, gzipSquashfsCompressor(zlibModule), 4096);
    expect(unsquashfs(['-s', path])).toMatch(/Block size 4096/);
    const out = join(tmp, 'x-4k');
    unsquashfs(['-q', '-n', '-d', out, path]);
    expectExtractedTree(out, tree, { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false });
  });

  it('the big directory (~100 KiB of listing: many headers, index entries) lists every name in order', () => {
    const tree = oracleTree();
    const { path } = make(tree, gzipSquashfsCompressor(zlibModule));
    const lines = unsquashfs(['-lln', '-d', '', path]).split('\n').filter((l) => l.includes('/big-directory/'));
    expect(lines).toHaveLength(1500);
    const names = lines.map((l) => l.slice(l.lastIndexOf('/') + 1));
    expect(names).toEqual([...names].sort());
  });

  it('is deterministic: two builds are byte-identical', () => {
    const a = make(oracleTree(), zstdSquashfsCompressor(zstdModule)).bytes;
    const b = make(oracleTree(), zstdSquashfsCompressor(zstdModule)).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('an empty tree is a valid image', () => {
    const { path } = make({ kind: 'dir', name: '', children: [] }, gzipSquashfsCompressor(zlibModule));
    expect(unsquashfs(['-s', path])).toMatch(/Number of inodes 1/);
  });

  it('xz: a data block is the bytes mksquashfs -comp xz writes; metadata blocks use an 8 KiB dictionary', () => {
    const text = new TextEncoder().encode(Array.from({ length: 6000 }, (_, i) => `line ${i % 97}: the quick brown fox\n`).join('')).subarray(0, 131072);
    const dir = join(tmp, 'xz-one');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), text);
    // Enough empty files that the inode table compresses (a tiny one is stored as it is).
    const empties = Array.from({ length: 400 }, (_, i) => `empty-${String(i).padStart(3, '0')}`);
    for (const n of empties) writeFileSync(join(dir, n), '');
    const theirs = join(tmp, 'xz-one.sqfs');
    const r = spawnSync('mksquashfs', [dir, theirs, '-comp', 'xz', '-noappend', '-quiet', '-no-progress', '-processors', '1'], { env: { ...process.env, SOURCE_DATE_EPOCH: String(ORACLE_EPOCH) } });
    expect(r.status, String(r.stderr)).toBe(0);
    const ours = make({ kind: 'dir', name: '', children: [
      { kind: 'file', name: 'f', sizeBytes: text.length, mtimeSeconds: ORACLE_EPOCH, read: (o, t) => t.set(text.subarray(o, o + t.length)) },
      ...empties.map((name) => ({ kind: 'file' as const, name, sizeBytes: 0, read: () => {} })),
    ] }, xzSquashfsCompressor(xzModule));
    // Both put the file's one data block right after the 96-byte superblock (no compressor options).
    const block = xzSquashfsCompressor(xzModule).compress(text)!;
    expect(block.length).toBeLessThan(text.length / 10);
    expect(Buffer.from(ours.bytes.subarray(96, 96 + block.length)).equals(Buffer.from(block))).toBe(true);
    expect(Buffer.from(readFileSync(theirs).subarray(96, 96 + block.length)).equals(Buffer.from(block))).toBe(true);

    // The LZMA2 dictionary byte of the first block header (xz file format 1.1.0 §3.1): 2 = 8 KiB, 10 = 128 KiB.
    const dictionaryByte = (xz: Uint8Array): number => {
      let at = 12 + 2; // stream header, block header size, block flags
      const flags = xz[13]!;
      const varint = () => { while (xz[at++]! & 0x80); };
      if (flags & 0x40) varint();
      if (flags & 0x80) varint();
      expect([xz[at], xz[at + 1]]).toEqual([0x21, 1]); // LZMA2, one property byte
      return xz[at + 2]!;
    };
    const meta = text.subarray(0, 8192);
    const c = xzSquashfsCompressor(xzModule);
    const packedMeta = c.compressMetadata!(meta)!;
    expect(dictionaryByte(packedMeta)).toBe(2);
    expect(dictionaryByte(c.compress(meta)!)).toBe(10);
    const img = readFileSync(theirs);
    expect(dictionaryByte(img.subarray(96))).toBe(10);
    // mksquashfs's inode table (superblock inode_table_start, +2 for the metadata header): 8 KiB too.
    const inodeTable = Number(img.readBigUInt64LE(64));
    expect(img.readUInt16LE(inodeTable) & 0x8000).toBe(0); // compressed
    expect(dictionaryByte(img.subarray(inodeTable + 2))).toBe(2);
    // Python's lzma (Debian's liblzma) reads the stream back.
    const back = spawnSync('python3', ['-c', 'import lzma,sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))'], { input: packedMeta }).stdout;
    expect(Buffer.from(meta).equals(back)).toBe(true);
  });

  it('refuses bad names, duplicate names, bad block sizes and levels with coded errors', () => {
    const file = (name: string) => ({ kind: 'file' as const, name, sizeBytes: 0, read: () => {} });
    const codes = [
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [file('a/b')] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0 }),
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [file('x'), file('x')] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0 }),
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0, blockSizeBytes: 5000 }),
      () => gzipSquashfsCompressor(zlibModule, 10),
      () => zstdSquashfsCompressor(zstdModule, 0),
      () => xzSquashfsCompressor(xzModule, 6),
    ].map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return isPartwrightError(e) ? e.code : String(e);
      }
    });
    expect(codes).toEqual(['invalid-spec', 'invalid-spec', 'invalid-spec', 'invalid-spec', 'invalid-spec', 'invalid-spec']);
  });

  it('decodeSquashfsSuperblock refuses what is not squashfs 4.0', () => {
    const { bytes } = make({ kind: 'dir', name: '', children: [] }, gzipSquashfsCompressor(zlibModule));
    const bad = bytes.slice(0, 96);
    bad[0] = 0;
    expect(() => decodeSquashfsSuperblock(bad)).toThrow(/magic/);
    const v3 = bytes.slice(0, 96);
    v3[28] = 3;
    expect(() => decodeSquashfsSuperblock(v3)).toThrow(/version 3\.0/);
  });
});
