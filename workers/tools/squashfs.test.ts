/**
 * The squashfs writer (workers/formats/squashfs) with its gzip (zlib.wasm) and zstd compressors against Debian's
 * squashfs-tools 4.5.1: `unsquashfs -s` reads the superblock and compressor options, `unsquashfs -lln`
 * lists every entry with the tree's modes, owners and sizes, and `unsquashfs -d` gives back exactly
 * the input tree (types, modes, owners, times clamped to SOURCE_DATE_EPOCH, symlink targets, bytes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputDir } from '../build/input-tree.ts';
import { decodeSquashfsSuperblock, SB_FLAG, writeSquashfs, type SquashfsCompressor } from '../formats/squashfs/index.ts';
import { isPartwrightError } from '../model/errors.ts';
import { requireTools } from '../test-support/debian.ts';
import { MemoryImage } from './image-window.ts';
import { gzipSquashfsCompressor, ZLIB_WASM_URL, zstdSquashfsCompressor } from './squashfs-compressors.ts';
import { expectExtractedTree, ORACLE_EPOCH, oracleTree, parseLongListing } from './test-support/tree-oracle.ts';
import { compileWasmTool } from './wasm-tools.ts';
import { compileZstdModule, ZSTD_WASM_URL } from './zstd.ts';

let tmp: string;
let zstdModule: WebAssembly.Module;
let zlibModule: WebAssembly.Module;
beforeAll(() => {
  requireTools('unsquashfs', 'mksquashfs');
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

  it('refuses bad names, duplicate names, bad block sizes and levels with coded errors', () => {
    const file = (name: string) => ({ kind: 'file' as const, name, sizeBytes: 0, read: () => {} });
    const codes = [
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [file('a/b')] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0 }),
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [file('x'), file('x')] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0 }),
      () => writeSquashfs(new MemoryImage(), { kind: 'dir', name: '', children: [] }, { compressor: gzipSquashfsCompressor(zlibModule), sourceDateEpoch: 0, blockSizeBytes: 5000 }),
      () => gzipSquashfsCompressor(zlibModule, 10),
      () => zstdSquashfsCompressor(zstdModule, 0),
    ].map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return isPartwrightError(e) ? e.code : String(e);
      }
    });
    expect(codes).toEqual(['invalid-spec', 'invalid-spec', 'invalid-spec', 'invalid-spec', 'invalid-spec']);
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
