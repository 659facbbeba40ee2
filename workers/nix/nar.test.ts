import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NixProblem } from './errors.ts';
import { unpackNar, type NarSink } from './nar.ts';
import { encodeTestNar, streamOf, type TestNode } from './test-support/nar-encode.ts';
import { makeNixEnv, writeTestExpression, type NixEnv } from './test-support/nix-env.ts';
import { MemoryTreeSink, type StoreTreeDir, type StoreTreeFile } from './tree-sink.ts';

const ROOT = '/nix/store/00000000000000000000000000000000-t';

/** A sink that records calls, to show nothing was created past a refused entry. */
function recordingSink(): NarSink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    directory: (p) => void calls.push(`dir ${p}`),
    symlink: (p, t) => void calls.push(`symlink ${p} -> ${t}`),
    file: (p, x, n) => {
      calls.push(`file ${p} ${x ? 'x' : '-'} ${n}`);
      return { write() {}, close() {} };
    },
  };
}

async function problemOf(node: TestNode | Uint8Array, sink: NarSink = recordingSink(), expectedSizeBytes?: number): Promise<string | undefined> {
  const bytes = node instanceof Uint8Array ? node : encodeTestNar(node);
  try {
    await unpackNar(streamOf(bytes, 5), sink, { rootPath: ROOT, ...(expectedSizeBytes !== undefined ? { expectedSizeBytes } : {}) });
  } catch (e) {
    return (e as { problem?: string }).problem ?? `uncoded: ${(e as Error).message}`;
  }
  return undefined;
}

const file = (contents: string, executable = false): TestNode => ({ type: 'regular', contents, executable });
const dir = (...entries: Array<[string, TestNode]>): TestNode => ({ type: 'directory', entries });

describe('NAR unpacking', () => {
  let env: NixEnv;
  beforeAll(() => {
    env = makeNixEnv();
  });
  afterAll(() => env.cleanup());

  it('writes the same bytes as `nix store dump-path` and unpacks a real NAR with the right hash', async () => {
    const lib = env.build(writeTestExpression(env.dir), 'lib');
    const dump = spawnSync('nix', ['store', 'dump-path', '--store', env.storeRoot, lib], { env: env.env, maxBuffer: 1 << 26 });
    expect(dump.status).toBe(0);
    const real = new Uint8Array(dump.stdout);
    const sink = new MemoryTreeSink();
    const result = await unpackNar(streamOf(real, 13), sink, { rootPath: lib, expectedSizeBytes: real.length });
    expect(Buffer.from(result.narHash).toString('hex')).toBe(createHash('sha256').update(real).digest('hex'));

    // Re-encode what was unpacked: the test encoder must reproduce Nix's bytes exactly.
    const toNode = (e: StoreTreeDir['children'][number]): TestNode => {
      if (e.kind === 'dir') return { type: 'directory', entries: e.children.map((c) => [c.name, toNode(c)]) };
      if (e.kind === 'symlink') return { type: 'symlink', target: e.target };
      const data = new Uint8Array((e as StoreTreeFile).sizeBytes);
      e.read(0, data);
      return { type: 'regular', contents: data, executable: e.mode === 0o555 };
    };
    const store = (sink.root.children[0] as StoreTreeDir).children[0] as StoreTreeDir;
    expect(Buffer.compare(encodeTestNar(toNode(store.children[0]!)), real)).toBe(0);
  });

  it('gives the sink directories, files (with the executable flag) and symlinks in NAR order', async () => {
    const sink = recordingSink();
    const nar = encodeTestNar(dir(['a', file('x', true)], ['b', dir(['c', file('hello')])], ['l', { type: 'symlink', target: '../x' }]));
    const r = await unpackNar(streamOf(nar, 3), sink, { rootPath: ROOT, expectedSizeBytes: nar.length });
    expect(r.narSizeBytes).toBe(nar.length);
    expect(sink.calls).toEqual([`dir ${ROOT}`, `file ${ROOT}/a x 1`, `dir ${ROOT}/b`, `file ${ROOT}/b/c - 5`, `symlink ${ROOT}/l -> ../x`]);
  });

  it('refuses "..", ".", "/", empty, NUL, duplicate and unsorted names', async () => {
    expect(await problemOf(dir(['..', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['.', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['a/b', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['/etc', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['a\0b', file('x')]))).toBe(NixProblem.BadEntryName);
    expect(await problemOf(dir(['a', file('x')], ['a', file('y')]))).toBe(NixProblem.DuplicateEntry);
    expect(await problemOf(dir(['b', file('x')], ['a', file('y')]))).toBe(NixProblem.UnsortedEntries);
  });

  it('never writes through a symlink: a symlink then a directory or file of the same name is refused', async () => {
    const sink = recordingSink();
    const hostile = dir(['etc', { type: 'symlink', target: '/etc' }], ['etc', dir(['passwd', file('pwned')])]);
    expect(await problemOf(hostile, sink)).toBe(NixProblem.DuplicateEntry);
    expect(sink.calls).toEqual([`dir ${ROOT}`, `symlink ${ROOT}/etc -> /etc`]);
    // The same through the in-memory tree, across two store paths with the same name.
    const tree = new MemoryTreeSink();
    await unpackNar(streamOf(encodeTestNar({ type: 'symlink', target: '/etc' })), tree, { rootPath: ROOT });
    await expect(unpackNar(streamOf(encodeTestNar(dir(['passwd', file('x')]))), tree, { rootPath: ROOT })).rejects.toMatchObject({ problem: NixProblem.DuplicateEntry });
    await expect(unpackNar(streamOf(encodeTestNar(file('x'))), tree, { rootPath: `${ROOT}/passwd` })).rejects.toMatchObject({ problem: NixProblem.BadEntryName });
  });

  it('refuses truncated, padded-with-garbage, trailing, oversized and foreign streams', async () => {
    const good = encodeTestNar(dir(['a', file('hello')]));
    expect(await problemOf(good.subarray(0, good.length - 8))).toBe(NixProblem.BadNar);
    expect(await problemOf(good.subarray(0, 100))).toBe(NixProblem.BadNar);
    const trailing = new Uint8Array(good.length + 8);
    trailing.set(good);
    expect(await problemOf(trailing)).toBe(NixProblem.BadNar);
    const badPad = good.slice();
    // "hello" (5 bytes) is followed by 3 padding bytes; find it and dirty the padding.
    const at = Buffer.from(badPad).indexOf('hello') + 5;
    badPad[at] = 1;
    expect(await problemOf(badPad)).toBe(NixProblem.BadNar);
    expect(await problemOf(good, recordingSink(), good.length - 1)).toBe(NixProblem.NarSizeMismatch);
    expect(await problemOf(good, recordingSink(), good.length + 8)).toBe(NixProblem.NarSizeMismatch);
    expect(await problemOf(new TextEncoder().encode('PK\u0003\u0004 not a nar at all....'))).toBe(NixProblem.BadNar);
    const badType = encodeTestNar(file('x')).slice();
    Buffer.from(badType.buffer).write('regulaX', Buffer.from(badType).indexOf('regular'));
    expect(await problemOf(badType)).toBe(NixProblem.BadNar);
  });
});
