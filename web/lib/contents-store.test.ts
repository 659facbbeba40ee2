import { describe, expect, it } from 'vitest';
import { cleanRelativePath, contentsDir, groupByTopFolder, treeRows, type FileToStage } from './contents-store.ts';

const file = (path: string): FileToStage => ({ path, file: new File(['x'], path.split('/').pop()!) });

describe('groupByTopFolder', () => {
  it('makes one source per picked folder (its contents below it) and one for loose files', () => {
    const groups = groupByTopFolder([file('boot/EFI/BOOT/BOOTX64.EFI'), file('boot/loader.conf'), file('README'), file('fw/start4.elf')]);
    expect(groups.map((g) => [g.name, g.files.map((f) => f.path)])).toEqual([
      ['boot', ['EFI/BOOT/BOOTX64.EFI', 'loader.conf']],
      [undefined, ['README']],
      ['fw', ['start4.elf']],
    ]);
  });

  it('with a drop, only dropped folders are folders', () => {
    const groups = groupByTopFolder([file('a/x'), file('b')], ['a']);
    expect(groups.map((g) => g.name)).toEqual(['a', undefined]);
  });
});

describe('cleanRelativePath', () => {
  it('keeps plain paths and refuses ones that climb out or hold control characters', () => {
    expect(cleanRelativePath('./EFI//BOOT/x.efi')).toBe('EFI/BOOT/x.efi');
    expect(cleanRelativePath('../etc/passwd')).toBeUndefined();
    expect(cleanRelativePath('a/\u0001b')).toBeUndefined();
    expect(cleanRelativePath('')).toBeUndefined();
  });
});

describe('contentsDir', () => {
  it('keeps each layout in its own OPFS directory, whatever its name', () => {
    expect(contentsDir('rpi/nixos')).toBe('contents/rpi%2Fnixos');
  });
});

describe('treeRows', () => {
  it('draws directories before files, each with the sizes below it', () => {
    const rows = treeRows([
      { path: 'A file.txt', sizeBytes: 50 },
      { path: 'EFI/BOOT/BOOTX64.EFI', sizeBytes: 54 },
      { path: 'loader/entries/nixos.conf', sizeBytes: 100 },
      { path: 'loader/loader.conf', sizeBytes: 29 },
    ]);
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.name}${r.kind === 'dir' ? '/' : ''} ${r.sizeBytes}`)).toEqual([
      'EFI/ 54',
      '  BOOT/ 54',
      '    BOOTX64.EFI 54',
      'loader/ 129',
      '  entries/ 100',
      '    nixos.conf 100',
      '  loader.conf 29',
      'A file.txt 50',
    ]);
    expect(rows.find((r) => r.name === 'loader')?.fileCount).toBe(2);
  });
});
