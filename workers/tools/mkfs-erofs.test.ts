/**
 * mkfs.erofs.wasm (erofs-utils 1.5) against Debian's native erofs-utils 1.5: `fsck.erofs` finds the
 * image clean, `fsck.erofs --extract` gives back exactly the input tree (types, modes, owners, times
 * clamped to SOURCE_DATE_EPOCH, symlink targets, bytes), `dump.erofs -s` shows the UUID and build
 * time; uncompressed, lz4, lz4hc and lzma (checked by a native fsck.erofs with liblzma built from the
 * same pinned source: Debian's has no liblzma); byte-identical rebuilds; setErofsUuid equals a direct run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputDir } from '../build/input-tree.ts';
import { isPartwrightError } from '../model/errors.ts';
import { requireTools } from '../test-support/debian.ts';
import { MemoryImage } from './image-window.ts';
import { compileMkfsErofsModule, MKFS_EROFS_WASM_URL } from './mkfs-erofs-module.ts';
import { erofsUuidFromPartitionUuid, makeErofs, setErofsUuid, type MakeErofsOptions } from './mkfs-erofs.ts';
import { requireDebian } from './test-support/e2fs-tools.ts';
import { expectExtractedTree, ORACLE_EPOCH, oracleTree } from './test-support/tree-oracle.ts';

const UUID = '858b0893-a411-4983-9ae1-7716540bfbaa';
let tmp: string;
let module: WebAssembly.Module;
beforeAll(() => {
  requireTools('fsck.erofs', 'dump.erofs', 'mkfs.erofs');
  tmp = mkdtempSync(join(tmpdir(), 'pw-erofs-'));
  module = compileMkfsErofsModule(readFileSync(MKFS_EROFS_WASM_URL));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function make(tree: InputDir, extra: Partial<MakeErofsOptions> = {}): { bytes: Uint8Array; path: string } {
  const image = new MemoryImage();
  const r = makeErofs(image, { module, tree, uuid: UUID, sourceDateEpoch: ORACLE_EPOCH, ...extra });
  expect(r.sizeBytes).toBe(image.sizeBytes);
  expect(r.sizeBytes % 4096).toBe(0);
  const bytes = image.bytes();
  const path = join(tmp, `img-${Math.random().toString(36).slice(2)}.erofs`);
  writeFileSync(path, bytes);
  return { bytes, path };
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return r.stdout + r.stderr;
}

/**
 * i_mode as stored: dump.erofs names the inode (NID), the inode sits at meta_blkaddr * 4096 + nid * 32
 * (erofs_fs.h: superblock at 1024, meta_blkaddr at +40; i_mode at +4 of the inode, after i_format and i_xattr_icount). fsck.erofs
 * --extract loses setuid bits (see CompareOptions.fileModeMask), so this reads them directly.
 */
function storedMode(path: string, inImage: string): number {
  const nid = Number(/NID:\s+(\d+)/.exec(tool('dump.erofs', [`--path=${inImage}`, path]))?.[1]);
  const bytes = readFileSync(path);
  const metaBlock = bytes.readUInt32LE(1024 + 40);
  return bytes.readUInt16LE(metaBlock * 4096 + nid * 32 + 4);
}

describe('mkfs.erofs.wasm against fsck.erofs', () => {
  for (const compression of [undefined, 'lz4', 'lz4hc'] as const) {
    it(`${compression ?? 'uncompressed'}: fsck clean, --extract gives back the tree`, () => {
      const tree = oracleTree();
      const { path } = make(tree, compression ? { compression } : {});
      tool('fsck.erofs', [path]);
      const info = tool('dump.erofs', ['-s', path]);
      expect(info).toMatch(new RegExp(`Filesystem UUID:\\s+${UUID}`));
      expect(info).toMatch(/Filesystem created:\s+Tue Nov 14 22:13:20 2023/);
      if (compression) expect(info).toMatch(/0padding/);
      const out = join(tmp, `x-${Math.random().toString(36).slice(2)}`);
      tool('fsck.erofs', [`--extract=${out}`, '--preserve', path]);
      expectExtractedTree(out, tree, { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false, fileModeMask: 0o1777 });
      expect(storedMode(path, '/bin/tool').toString(8), 'setuid kept in the image').toBe('104755');
    });
  }

  it('lzma: a native fsck.erofs with liblzma (same pinned source) extracts the tree; Debian\'s cannot read it', () => {
    // Debian's fsck.erofs 1.5 is built without liblzma: the oracle is built from the pinned source.
    requireDebian([['command -v gcc', 'gcc'], ['test -f /usr/include/lzma.h', 'liblzma-dev'], ['command -v dpkg-source', 'dpkg-dev']]);
    // The script prints the binary's path last on stdout; apt-get's warnings go to stderr.
    const built = spawnSync('bash', [fileURLToPath(new URL('../../wasm/erofs-utils/native-fsck.sh', import.meta.url)), join(tmp, 'native-fsck')], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const fsck = built.stdout.trim().split('\n').at(-1)!;
    const tree = oracleTree();
    const plain = make(tree).bytes.length;
    const { path, bytes } = make(tree, { compression: 'lzma', compressionLevel: 6 });
    expect(bytes.length).toBeLessThan(plain);
    expect(spawnSync('fsck.erofs', [`--extract=${join(tmp, 'no-lzma')}`, path]).status).not.toBe(0);
    tool(fsck, [path]);
    const out = join(tmp, 'x-lzma');
    tool(fsck, [`--extract=${out}`, '--preserve', path]);
    expectExtractedTree(out, tree, { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false, fileModeMask: 0o1777 });
  });

  it('lz4hc compresses compressible data below the uncompressed size; level is honoured', () => {
    const tree = oracleTree();
    const plain = make(tree).bytes.length;
    const hc = make(tree, { compression: 'lz4hc', compressionLevel: 12 }).bytes.length;
    expect(hc).toBeLessThan(plain);
  });

  it('is deterministic: two builds are byte-identical', () => {
    const a = make(oracleTree(), { compression: 'lz4hc' }).bytes;
    const b = make(oracleTree(), { compression: 'lz4hc' }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('setErofsUuid gives the bytes mkfs.erofs -U writes', () => {
    const other = erofsUuidFromPartitionUuid('9e90c9c3-c7e8-44f2-bf19-9ae2689de795');
    const direct = make(oracleTree(), { uuid: other }).bytes;
    const image = new MemoryImage();
    makeErofs(image, { module, tree: oracleTree(), uuid: UUID, sourceDateEpoch: ORACLE_EPOCH });
    setErofsUuid(image, other);
    expect(Buffer.from(image.bytes()).equals(Buffer.from(direct))).toBe(true);
  });

  it('native mkfs.erofs 1.5 on the same tree on disk agrees on what the image holds', () => {
    // The reference: extract our image, rebuild it natively from the extraction, extract that.
    const tree = oracleTree();
    const ours = make(tree, { compression: 'lz4' });
    const a = join(tmp, 'native-src');
    tool('fsck.erofs', [`--extract=${a}`, '--preserve', ours.path]);
    const nativePath = join(tmp, 'native.erofs');
    tool('mkfs.erofs', ['-zlz4', '-U', UUID, '-x', '-1', '--quiet', nativePath, a]);
    const b = join(tmp, 'native-out');
    tool('fsck.erofs', [`--extract=${b}`, '--preserve', nativePath]);
    expectExtractedTree(b, tree, { epoch: ORACLE_EPOCH, root: false, symlinkTimes: false, fileModeMask: 0o1777 });
  });

  it('refuses unknown compressors, levels it cannot use and bad UUIDs with coded errors', () => {
    const attempt = (extra: Partial<MakeErofsOptions>) => {
      try {
        make({ kind: 'dir', name: '', children: [] }, extra);
        return 'no error';
      } catch (e) {
        return isPartwrightError(e) ? e.code : String(e);
      }
    };
    expect(attempt({ compression: 'xz' as never })).toBe('unsupported');
    expect(attempt({ compression: 'lz4', compressionLevel: 5 })).toBe('invalid-spec');
    expect(attempt({ compression: 'lz4hc', compressionLevel: 99 })).toBe('invalid-spec');
    expect(attempt({ compression: 'lzma', compressionLevel: 10 })).toBe('invalid-spec');
    expect(attempt({ compressionLevel: 9 })).toBe('invalid-spec');
    expect(attempt({ uuid: 'not-a-uuid' })).toBe('invalid-spec');
  });
});
