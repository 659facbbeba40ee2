/**
 * composeTree's newest-repart keys on their own: ExcludeFiles= (by source path), ExcludeFilesTarget=
 * (by path in the file system), trailing "/" = contents only, MakeSymlinks= after MakeDirectories=.
 * (cli/repart-newest.test.ts reads the same through a built ext4 with debugfs.)
 */
import { describe, expect, it } from 'vitest';
import { composeTree, type InputDir, type InputEntry } from './input-tree.ts';

const file = (name: string): InputEntry => ({ kind: 'file', name, sizeBytes: 0, read: () => {} });
const dir = (name: string, children: InputEntry[]): InputDir => ({ kind: 'dir', name, children });

/** Paths in the tree, directories with a trailing "/", symlinks as "path -> target". */
function paths(d: InputDir, prefix = ''): string[] {
  return d.children.flatMap((c) =>
    c.kind === 'dir' ? [`${prefix}/${c.name}/`, ...paths(c, `${prefix}/${c.name}`)] : c.kind === 'symlink' ? [`${prefix}/${c.name} -> ${c.target}`] : [`${prefix}/${c.name}`]);
}

const source = dir('tree', [
  dir('cache', [file('a'), dir('sub', [file('b')])]),
  file('secret'),
  dir('var', [dir('log', [file('old.log')]), file('keep')]),
]);

describe('composeTree: ExcludeFiles=, ExcludeFilesTarget=, MakeSymlinks=', () => {
  it('excludes by source path (under the copy\'s source) and by target path; "/" keeps the directory', () => {
    const t = composeTree([{ source: '/src/tree', target: '/', entry: source }], {
      excludeFiles: ['/src/tree/cache/', '/src/tree/secret', '/elsewhere/var'],
      excludeFilesTarget: ['/var/log'],
    });
    expect(paths(t)).toEqual(['/cache/', '/var/', '/var/keep']);
  });

  it('a source path equal to the copy\'s source leaves the whole copy out', () => {
    const t = composeTree([
      { source: '/src/tree', target: '/a', entry: source },
      { source: '/src/other', target: '/b', entry: dir('other', [file('x')]) },
    ], { excludeFiles: ['/src/tree'] });
    expect(paths(t)).toEqual(['/b/', '/b/x']);
  });

  it('makes symlinks after the directories, creating parents; a clash with a copied file is an error naming it', () => {
    const t = composeTree([{ source: '/src/tree', target: '/', entry: source }], {
      makeDirectories: ['/usr/bin'],
      makeSymlinks: [{ path: '/bin', target: 'usr/bin' }, { path: '/etc/resolv.conf', target: '../run/stub' }],
    });
    expect(paths(t)).toContain('/bin -> usr/bin');
    expect(paths(t)).toContain('/etc/resolv.conf -> ../run/stub');
    expect(() => composeTree([{ source: '/src/tree', target: '/', entry: source }], { makeSymlinks: [{ path: '/secret', target: 'x' }] }))
      .toThrow(/MakeSymlinks=\/secret:x: \/secret already exists in the file system \(a file/);
  });
});
