import { describe, expect, it } from 'vitest';
import { composeTree, treeFileBytes, type InputDir, type InputEntry } from '../build/input-tree.ts';
import { unpackNar } from './nar.ts';
import { encodeTestNar, streamOf } from './test-support/nar-encode.ts';
import { MemoryTreeSink } from './tree-sink.ts';

const LIB = '/nix/store/00000000000000000000000000000000-lib';
const APP = '/nix/store/11111111111111111111111111111111-app';

describe('MemoryTreeSink', () => {
  it('builds a tree the image builder takes as a CopyFiles= source, with store modes and times', async () => {
    const sink = new MemoryTreeSink();
    await unpackNar(streamOf(encodeTestNar({ type: 'directory', entries: [['bin', { type: 'directory', entries: [['x', { type: 'regular', contents: 'run', executable: true }]] }], ['data', { type: 'regular', contents: 'hello' }]] })), sink, { rootPath: LIB });
    await unpackNar(streamOf(encodeTestNar({ type: 'symlink', target: `${LIB}/bin/x` })), sink, { rootPath: APP });
    const root: InputDir = composeTree([{ target: '/', entry: sink.root }], ['/etc']);
    const find = (path: string): InputEntry => {
      let e: InputEntry = root;
      for (const name of path.split('/').filter(Boolean)) e = (e as InputDir).children.find((c) => c.name === name)!;
      return e;
    };
    expect(find(`${LIB}/bin/x`)).toMatchObject({ kind: 'file', mode: 0o555, mtimeSeconds: 1, sizeBytes: 3 });
    expect(find(`${LIB}/data`)).toMatchObject({ kind: 'file', mode: 0o444 });
    expect(find(`${LIB}/bin`)).toMatchObject({ kind: 'dir', mode: 0o555 });
    expect(find(APP)).toMatchObject({ kind: 'symlink', target: `${LIB}/bin/x` });
    const data = find(`${LIB}/data`) as Extract<InputEntry, { kind: 'file' }>;
    const buf = new Uint8Array(4);
    data.read(1, buf);
    expect(new TextDecoder().decode(buf)).toBe('ello');
    expect(treeFileBytes(root)).toBe(8);
  });
});
