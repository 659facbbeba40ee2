import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { unpackNar } from '../../nix/nar.ts';
import { encodeTestNar, streamOf } from '../../nix/test-support/nar-encode.ts';
import { composeTree, treeFileBytes, type InputDir, type InputEntry, type InputFile } from '../../build/input-tree.ts';
import { NIX_PACK_WRITE_BUFFER_BYTES, OpfsNarSink } from './nar-sink.ts';
import { FakeSyncHandle as FakeHandle } from './test-support/fake-sync-handle.ts';


const nodeSha256 = () => {
  const h = createHash('sha256');
  return { update: (d: Uint8Array) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
};

const LIB = '/nix/store/00000000000000000000000000000000-lib';
const APP = '/nix/store/11111111111111111111111111111111-app';

function find(root: InputDir, path: string): InputEntry {
  let e: InputEntry = root;
  for (const name of path.split('/').filter(Boolean)) e = (e as InputDir).children.find((c) => c.name === name)!;
  return e;
}

function readAll(f: InputFile): Uint8Array {
  const out = new Uint8Array(f.sizeBytes);
  f.read(0, out);
  return out;
}

describe('OpfsNarSink', () => {
  it('keeps file bytes in the pack file, with store modes and times, and reads them back lazily', async () => {
    const handle = new FakeHandle();
    let removed = false;
    const sink = new OpfsNarSink(handle, async () => {
      removed = true;
    });
    const big = new Uint8Array(NIX_PACK_WRITE_BUFFER_BYTES + 12345).map((_, i) => (i * 7) & 0xff);
    await unpackNar(
      streamOf(
        encodeTestNar({
          type: 'directory',
          entries: [
            ['big', { type: 'regular', contents: big }],
            ['bin', { type: 'directory', entries: [['x', { type: 'regular', contents: 'run', executable: true }]] }],
            ['data', { type: 'regular', contents: 'hello' }],
            ['empty', { type: 'regular', contents: '' }],
          ],
        }),
        4096,
      ),
      sink,
      { rootPath: LIB, createSha256: nodeSha256 },
    );
    await unpackNar(streamOf(encodeTestNar({ type: 'symlink', target: `${LIB}/bin/x` })), sink, { rootPath: APP });
    expect(sink.packedBytes).toBe(big.length + 3 + 5);
    const root = composeTree([{ target: '/', entry: sink.root }]);
    expect(find(root, `${LIB}/bin/x`)).toMatchObject({ kind: 'file', mode: 0o555, mtimeSeconds: 1, sizeBytes: 3 });
    expect(find(root, `${LIB}/data`)).toMatchObject({ kind: 'file', mode: 0o444, mtimeSeconds: 1, sizeBytes: 5 });
    expect(find(root, `${LIB}/bin`)).toMatchObject({ kind: 'dir', mode: 0o555 });
    expect(find(root, APP)).toMatchObject({ kind: 'symlink', target: `${LIB}/bin/x` });
    expect(Buffer.from(readAll(find(root, `${LIB}/big`) as InputFile)).equals(Buffer.from(big))).toBe(true);
    expect(new TextDecoder().decode(readAll(find(root, `${LIB}/bin/x`) as InputFile))).toBe('run');
    const part = new Uint8Array(6);
    (find(root, `${LIB}/data`) as InputFile).read(1, part);
    expect(new TextDecoder().decode(part.subarray(0, 4))).toBe('ello');
    expect(part.subarray(4)).toEqual(new Uint8Array(2));
    expect(readAll(find(root, `${LIB}/empty`) as InputFile)).toEqual(new Uint8Array(0));
    expect(treeFileBytes(root)).toBe(big.length + 8);
    // The bytes are in the file, not the tree.
    expect(handle.bytes.length).toBe(sink.packedBytes);
    await sink.close();
    expect(handle.closed).toBe(true);
    expect(removed).toBe(true);
  });
});
