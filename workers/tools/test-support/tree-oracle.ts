/**
 * Test helpers for the read-only file system makers: a deterministic input tree that exercises what
 * squashfs and erofs must keep (modes with setuid/sticky bits, owners beyond 16 bits, symlinks,
 * times before and after SOURCE_DATE_EPOCH, empty files and directories, files around the block
 * size, a directory big enough to need several directory headers and index entries), and a
 * comparison of a tree extracted by the real tool (unsquashfs -d, fsck.erofs --extract) with it.
 * Node only.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { InputDir, InputEntry, InputFile } from '../../build/input-tree.ts';

export const ORACLE_EPOCH = 1_700_000_000;

function bytesFile(name: string, bytes: Uint8Array, meta: Partial<InputFile> = {}): InputFile {
  return { kind: 'file', name, mode: 0o644, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 3600, sizeBytes: bytes.length, ...meta, read: (off, target) => target.set(bytes.subarray(off, off + target.length)) };
}

/** Text-like bytes (compressible) or xorshift noise (not), deterministic by seed. */
export function patternBytes(sizeBytes: number, seed: number, compressible: boolean): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = compressible ? 0x61 + ((x >>> 8) % 6) * ((i >> 6) % 2) : x & 0xff;
  }
  return out;
}

export function oracleTree(): InputDir {
  const big: InputEntry[] = Array.from({ length: 1500 }, (_, i) =>
    bytesFile(`entry-with-a-rather-long-name-to-fill-directory-blocks-${String(i).padStart(5, '0')}`, patternBytes(i % 7, i + 1, true), { mtimeSeconds: ORACLE_EPOCH - i }));
  const children: InputEntry[] = [
    { kind: 'dir', name: 'bin', mode: 0o755, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 100, children: [
      bytesFile('tool', patternBytes(300_000, 7, false), { mode: 0o4755 }),
      bytesFile('script', patternBytes(200_000, 8, true), { mode: 0o755 }),
      { kind: 'symlink', name: 'sh', target: 'tool', mode: 0o777, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 100 },
      { kind: 'symlink', name: 'abs', target: '/usr/lib/' + 'x'.repeat(300), mode: 0o777, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 100 },
    ] },
    { kind: 'dir', name: 'sizes', mode: 0o750, uid: 0, gid: 10, mtimeSeconds: ORACLE_EPOCH - 200, children: [
      bytesFile('empty', new Uint8Array(0)),
      bytesFile('one', patternBytes(1, 3, false)),
      bytesFile('4095', patternBytes(4095, 4, true)),
      bytesFile('4096', patternBytes(4096, 5, false)),
      bytesFile('block', patternBytes(131072, 6, true)),
      bytesFile('block-plus-one', patternBytes(131073, 9, false)),
      bytesFile('zeros', new Uint8Array(400_000)),
    ] },
    { kind: 'dir', name: 'big-directory', mode: 0o755, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 300, children: big },
    { kind: 'dir', name: 'empty-dir', mode: 0o1777, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 400, children: [] },
    { kind: 'dir', name: 'home', mode: 0o755, uid: 0, gid: 0, children: [
      { kind: 'dir', name: 'user', mode: 0o700, uid: 70000, gid: 70001, mtimeSeconds: ORACLE_EPOCH + 999_999, children: [
        bytesFile('secret', patternBytes(5000, 11, true), { mode: 0o600, uid: 70000, gid: 70001, mtimeSeconds: ORACLE_EPOCH + 5 }),
      ] },
    ] },
    bytesFile('ünïcödé name', patternBytes(10, 12, true), { mode: 0o640, uid: 1000, gid: 100 }),
  ];
  return { kind: 'dir', name: '', mode: 0o755, uid: 0, gid: 0, mtimeSeconds: ORACLE_EPOCH - 10, children };
}

const DEFAULT_MODE = { file: 0o644, dir: 0o755, symlink: 0o777 } as const;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readAll(f: InputFile): Uint8Array {
  const out = new Uint8Array(f.sizeBytes);
  if (f.sizeBytes > 0) f.read(0, out);
  return out;
}

export interface CompareOptions {
  epoch: number;
  /** Check the root directory's own mode/owner/time too (unsquashfs -d applies them; fsck.erofs as well). */
  root?: boolean;
  /** Symlink times are not restored by every extractor (lutimes): skip them when false. */
  symlinkTimes?: boolean;
  /**
   * Mode bits compared on regular files (default 07777). fsck.erofs 1.5 --extract chowns after
   * chmod, which clears setuid/setgid on files: its tests compare 01777 and check the stored mode
   * another way.
   */
  fileModeMask?: number;
}

/** Everything `dir` holds (as extracted) equals `tree`: names, types, modes, owners, times (clamped), targets, bytes. */
export function expectExtractedTree(dir: string, tree: InputDir, o: CompareOptions): void {
  const clamp = (t: number | undefined) => (t === undefined ? o.epoch : Math.min(t, o.epoch));
  const check = (path: string, e: InputEntry) => {
    const st = lstatSync(path);
    const what = `${path}`;
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
    expect(kind, `${what}: type`).toBe(e.kind);
    const mask = e.kind === 'file' ? (o.fileModeMask ?? 0o7777) : 0o7777;
    if (e.kind !== 'symlink') expect((st.mode & mask).toString(8), `${what}: mode`).toBe(((e.mode ?? DEFAULT_MODE[e.kind]) & mask).toString(8));
    expect([st.uid, st.gid], `${what}: owner`).toEqual([e.uid ?? 0, e.gid ?? 0]);
    if (e.kind !== 'symlink' || o.symlinkTimes !== false) expect(Math.floor(st.mtimeMs / 1000), `${what}: mtime`).toBe(clamp(e.mtimeSeconds));
    if (e.kind === 'symlink') expect(readlinkSync(path), `${what}: target`).toBe(e.target);
    if (e.kind === 'file') {
      expect(st.size, `${what}: size`).toBe(e.sizeBytes);
      expect(sha256(readFileSync(path)), `${what}: bytes`).toBe(sha256(readAll(e)));
    }
    if (e.kind === 'dir') {
      const names = readdirSync(path).sort();
      expect(names, `${what}: entries`).toEqual(e.children.map((c) => c.name).sort());
      for (const c of e.children) check(join(path, c.name), c);
    }
  };
  if (o.root) check(dir, tree);
  else {
    expect(readdirSync(dir).sort()).toEqual(tree.children.map((c) => c.name).sort());
    for (const c of tree.children) check(join(dir, c.name), c);
  }
}

/**
 * `unsquashfs -lln` lines ("mode owner/group size date time path") for comparison with the tree:
 * returns path → { mode string, owner, size }.
 */
export function parseLongListing(text: string): Map<string, { mode: string; owner: string; size: number }> {
  const out = new Map<string, { mode: string; owner: string; size: number }>();
  for (const line of text.split('\n')) {
    const m = /^(\S{10}) (\d+)\/(\d+)\s+(\d+) \S+ \S+ (.*?)(?: -> .*)?$/.exec(line);
    if (!m) continue;
    out.set(m[5]!, { mode: m[1]!, owner: `${m[2]}/${m[3]}`, size: Number(m[4]) });
  }
  return out;
}
