import { describe, expect, it } from 'vitest';
import { archiveBaseName, parseStagedMeta, stagedMetaName, stagedSourceName } from '../../workers/model/staged-contents.ts';
import { cleanRelativePath, contentsDir, groupByTopFolder, isContentArchive, metadataWarnings, treeRows, type FileToStage, type StagedContent } from './contents-store.ts';

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

describe('archives and metadata warnings', () => {
  const staged = (paths: [string, number][], extra: Partial<StagedContent> = {}): StagedContent => ({
    files: paths.map(([path, sizeBytes]) => ({ path, sizeBytes })),
    totalBytes: paths.reduce((n, [, b]) => n + b, 0),
    ...extra,
  });

  it('takes .tar, .tar.gz, .tgz, .tar.zst, .cpio and .zip as archives, named without the extension', () => {
    for (const name of ['rootfs.tar', 'rootfs.tar.gz', 'rootfs.tgz', 'rootfs.tar.zst', 'rootfs.cpio', 'rootfs.zip', 'ROOTFS.TAR.GZ']) {
      expect(isContentArchive(new File([], name)), name).toBe(true);
      expect(archiveBaseName(name).toLowerCase()).toBe('rootfs');
    }
    for (const name of ['notes.txt', 'tar', 'image.gz', 'boot.img']) expect(isContentArchive(new File([], name)), name).toBe(false);
  });

  it('keeps the sidecar beside the source, under a name no encoded source can take', () => {
    expect(stagedMetaName('/rootfs')).toBe(`${stagedSourceName('/rootfs')}#meta.json`);
    expect(stagedSourceName('/a#meta.json')).not.toContain('#');
    expect(parseStagedMeta('{"archive":"rootfs.tar","mtimes":{"a":5,"b":-1,"c":"x"},"unreadable":["bin",3]}')).toEqual({ archive: 'rootfs.tar', mtimes: { a: 5 }, unreadable: ['bin'] });
    expect(parseStagedMeta('{"archive":"../x"}')).toEqual({});
    expect(parseStagedMeta('not json')).toEqual({});
  });

  it('warns for a picked folder on ext4, naming merged-/usr links dropped or followed; not for archives or vfat', () => {
    const dropped = staged([['usr/bin/hello', 43], ['etc/hostname', 19]]);
    const [w] = metadataWarnings(dropped, 'ext4');
    expect(w).toContain('0644');
    expect(w).toContain('/bin is missing or copied');
    expect(w).toContain('drop an archive');
    const followed = staged([['bin/hello', 43], ['usr/bin/hello', 43]]);
    expect(metadataWarnings(followed, 'ext4')[0]).toContain('/bin');
    const real = staged([['bin/busybox', 900], ['usr/bin/hello', 43]]);
    expect(metadataWarnings(real, 'ext4')[0]).not.toContain('/bin');
    expect(metadataWarnings(dropped, 'vfat')).toEqual([]);
    expect(metadataWarnings(dropped, undefined)).toEqual([]);
    expect(metadataWarnings(staged([['rootfs.tar', 1024]], { archive: 'rootfs.tar' }), 'ext4')).toEqual([]);
    // What Chromium's picker leaves of examples/ext4-root's rootfs: etc/ only (bin → usr/bin took usr/ along).
    expect(metadataWarnings(staged([['etc/hostname', 19], ['etc/passwd', 30]]), 'ext4')[0]).toContain('/bin, /usr are missing');
    expect(metadataWarnings(staged([['etc/hostname', 19]]), 'ext4', '/srv')[0]).not.toContain('/bin');
    const unreadable = metadataWarnings(staged([['a', 1]], { unreadable: ['lib', 'sbin'] }), 'ext4');
    expect(unreadable[1]).toContain('could not read 2 entries (lib, sbin)');
  });
});
