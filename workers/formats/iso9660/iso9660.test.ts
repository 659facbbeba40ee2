/**
 * The ISO writer against the real tools: xorriso's El Torito and system area reports, isoinfo,
 * osirrox extraction (Rock Ridge names, modes, owners, symlinks), Joliet listings, fdisk/sgdisk on the
 * isohybrid tables, and a reference image xorriso builds from the same tree with NixOS's flags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SparseImage } from '../../disk/sparse-image.ts';
import { decodeIso, planIso, readIsoFile, writeIso, type IsoEntryInput, type IsoOptions } from './index.ts';
import { entriesFromDir, fileRead, makeFatImage, requireIsoTools, run, runAll, saveSparse } from './test-support/iso-tools.ts';

const EPOCH = 1_700_000_000;
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const DISK_GUID = '01234567-89ab-cdef-0123-456789abcdef';
const LONG_NAME = `${'long-name-'.repeat(20)}end.txt`; // 207 bytes: NM past one record → CE
const LONG_TARGET = `${'../deep/'.repeat(40)}target`; // an SL entry that needs a continuation area

let work: string;
let tree: string;
let isoPath: string;
let written: ReturnType<typeof writeIso>;

function options(): IsoOptions {
  return {
    volumeId: 'PARTWRIGHT_TEST', publisherId: 'PARTWRIGHT', applicationId: 'PARTWRIGHT TESTS', sourceDateEpoch: EPOCH,
    boot: { bios: { path: 'isolinux/isolinux.bin' }, efi: { path: 'boot/efi.img' }, catalogPath: 'isolinux/boot.cat' },
    isohybrid: { mbrBootCode: new Uint8Array(readFileSync(ISOHDPFX)), gptDiskGuid: DISK_GUID, mbrDiskId: 0x1234abcd },
    fileOrder: ['isolinux/ldlinux.c32', 'isolinux/isolinux.cfg'],
  };
}

function build(entries: IsoEntryInput[], o: IsoOptions, path: string): ReturnType<typeof writeIso> {
  const plan = planIso(entries, o);
  const image = new SparseImage(plan.sizeBytes);
  const result = writeIso(image, plan);
  saveSparse(image, path);
  return result;
}

function makeTree(root: string): void {
  const w = (p: string, content: string | Uint8Array, mode = 0o644) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
    chmodSync(join(root, p), mode);
  };
  w('isolinux/isolinux.bin', readFileSync(ISOLINUX));
  w('isolinux/ldlinux.c32', readFileSync(LDLINUX));
  w('isolinux/isolinux.cfg', 'SERIAL 0 115200\nSAY PARTWRIGHT-ISOLINUX-OK\nPROMPT 0\nTIMEOUT 1\n');
  mkdirSync(join(root, 'boot'), { recursive: true });
  makeFatImage(join(root, 'boot/efi.img'), { 'EFI/BOOT/BOOTX64.EFI': 'not really an EFI binary' });
  rmSync(join(root, 'boot/efi.img.d'), { recursive: true, force: true });
  w('bin/tool', '#!/bin/sh\necho hi\n', 0o4755);
  w('etc/secret', 'x', 0o600);
  w(`docs/${LONG_NAME}`, 'a long name\n');
  w('docs/Ünïcødé ✓ name.md', 'unicode\n');
  w('docs/same.TXT', '1');
  w('docs/SAME.txt', '2');
  w('docs/same.txt', '3');
  w('empty', '');
  w('data/random.bin', createHash('sha256').update('seed').digest().toString('hex').repeat(3000));
  for (let i = 0; i < 120; i++) w(`many/file-${String(i).padStart(3, '0')}.dat`, `file ${i}\n`); // a directory over several sectors
  mkdirSync(join(root, 'a/b/c/d/e/f/g/h/i/j'), { recursive: true });
  w('a/b/c/d/e/f/g/h/i/j/deep.txt', 'deep\n');
  symlinkSync('../docs/same.txt', join(root, 'bin/rel-link'));
  symlinkSync('/etc/os-release', join(root, 'bin/abs-link'));
  symlinkSync('a/b/c', join(root, 'dir-link'));
  symlinkSync(LONG_TARGET, join(root, 'long-link'));
  chownSync(join(root, 'etc/secret'), 1000, 100);
  chownSync(join(root, 'bin/tool'), 0, 50);
  chmodSync(join(root, 'a/b'), 0o750);
}

beforeAll(() => {
  requireIsoTools('xorriso', 'osirrox', 'isoinfo', 'mkfs.fat', 'mcopy', 'mmd', 'sgdisk', 'fdisk', ISOLINUX, ISOHDPFX, LDLINUX);
  work = mkdtempSync(join(tmpdir(), 'partwright-iso-'));
  tree = join(work, 'tree');
  makeTree(tree);
  isoPath = join(work, 'ours.iso');
  written = build(entriesFromDir(tree), options(), isoPath);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Lines of xorriso's reports, without the media lines that name the file. */
function reports(path: string): string[] {
  return run('xorriso', ['-indev', path, '-report_el_torito', 'plain', '-report_system_area', 'plain'])
    .split('\n').filter((l) => /^(El Torito|System area|ISO image size|Partition offset|MBR|GPT)/.test(l));
}

function field(lines: string[], prefix: string): string[][] {
  return lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(l.indexOf(':') + 1).trim().split(/\s+/));
}

describe('ISO 9660 image checked by xorriso, isoinfo and osirrox', () => {
  it('has a BIOS and an EFI El Torito entry where the files are', () => {
    const lines = reports(isoPath);
    const imgs = field(lines, 'El Torito boot img :');
    expect(imgs).toEqual([
      ['1', 'BIOS', 'y', 'none', '0x0000', '0x00', '4', String(written.fileLbas['isolinux/isolinux.bin'])],
      ['2', 'UEFI', 'y', 'none', '0x0000', '0x00', '4096', String(written.fileLbas['boot/efi.img'])],
    ]);
    expect(field(lines, 'El Torito img path :')).toEqual([['1', '/isolinux/isolinux.bin'], ['2', '/boot/efi.img']]);
    expect(field(lines, 'El Torito img opts :')[0]).toEqual(['1', 'boot-info-table', 'isohybrid-suitable']);
    expect(field(lines, 'El Torito cat path :')).toEqual([['/isolinux/boot.cat']]);
    // Boot files first, then fileOrder.
    expect(written.fileLbas['boot/efi.img']).toBeGreaterThan(written.fileLbas['isolinux/isolinux.bin']!);
    expect(written.fileLbas['isolinux/ldlinux.c32']).toBeGreaterThan(written.fileLbas['boot/efi.img']!);
    expect(written.fileLbas['isolinux/isolinux.cfg']).toBeGreaterThan(written.fileLbas['isolinux/ldlinux.c32']!);
    expect(Math.min(...Object.entries(written.fileLbas).filter(([p]) => p !== 'isolinux/boot.cat' && p !== 'empty').map(([, l]) => l)))
      .toBe(written.fileLbas['isolinux/isolinux.bin']);
  });

  it('has the isohybrid MBR and GPT xorriso -isohybrid-gpt-basdat writes for the same tree', () => {
    const refPath = join(work, 'ref.iso');
    run('xorriso', ['-boot_image', 'any', `gpt_disk_guid=${DISK_GUID}`, '-volume_date', 'all_file_dates', `=${EPOCH}`, '-as', 'mkisofs',
      '-iso-level', '3', '-volid', 'PARTWRIGHT_TEST', '-joliet', '-r', '-eltorito-boot', 'isolinux/isolinux.bin', '-eltorito-catalog', 'isolinux/boot.cat',
      '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-isohybrid-mbr', ISOHDPFX, '-eltorito-alt-boot', '-e', 'boot/efi.img',
      '-no-emul-boot', '-isohybrid-gpt-basdat', '-o', refPath, tree]);
    const ours = reports(isoPath);
    const ref = reports(refPath);
    // Same structure; block addresses differ because file placement differs.
    for (const prefix of ['System area options', 'System area summary', 'Partition offset', 'MBR heads per cyl', 'MBR secs per head', 'GPT entry array', 'GPT partition name', 'GPT type GUID', 'GPT partition flags', 'GPT disk GUID', 'GPT partition GUID']) {
      expect(field(ours, prefix), prefix).toEqual(field(ref, prefix));
    }
    expect(field(ours, 'MBR partition      :').map((r) => r.slice(0, 3))).toEqual(field(ref, 'MBR partition      :').map((r) => r.slice(0, 3)));
    const efiSector = written.fileLbas['boot/efi.img']! * 4;
    const total = written.sizeBytes / 512;
    expect(field(ours, 'MBR partition      :')).toEqual([['1', '0x80', '0x00', '0', String(total)], ['2', '0x00', '0xef', String(efiSector), '4096']]);
    expect(field(ours, 'GPT start and size :')).toEqual([['1', '0', String(total - 64)], ['2', String(efiSector), '4096']]);
    expect(field(ours, 'GPT lba range      :')).toEqual([['64', String(total - 64), String(total - 1)]]);
    expect(field(ours, 'ISO image size/512 :')).toEqual([[String(total)]]);
    expect(written.sizeBytes % (1 << 20)).toBe(0);
    // The MBR code is isohdpfx.bin with the boot file's 512-byte LBA at 432 and our disk ID at 440.
    const mbr = fileRead(isoPath)(0, 512);
    expect(mbr.subarray(0, 432)).toEqual(new Uint8Array(readFileSync(ISOHDPFX)));
    const v = new DataView(mbr.buffer, mbr.byteOffset);
    expect(v.getUint32(432, true)).toBe(written.fileLbas['isolinux/isolinux.bin']! * 4);
    expect(v.getUint32(440, true)).toBe(0x1234abcd);
    // fdisk reads the MBR; sgdisk finds exactly the problems it finds in xorriso's own image.
    const fdisk = run('fdisk', ['-l', isoPath]);
    expect(fdisk).toMatch(/Disklabel type: dos/);
    expect(fdisk).toMatch(new RegExp(`ours\\.iso2\\s+${efiSector}\\s+${efiSector + 4095}\\s+4096\\s+2M ef EFI`));
    const problems = (p: string) => runAll('sgdisk', ['-v', p]).output.split('\n').filter((l) => /Problem|Warning|problems/.test(l));
    expect(problems(isoPath)).toEqual(problems(refPath));
  });

  it('isoinfo -d sees the volume, Joliet, Rock Ridge and the catalog', () => {
    const out = run('isoinfo', ['-d', '-i', isoPath]);
    expect(out).toMatch(/^Volume id: PARTWRIGHT_TEST$/m);
    expect(out).toMatch(/^Publisher id: PARTWRIGHT$/m);
    expect(out).toMatch(/^Application id: PARTWRIGHT TESTS$/m);
    expect(out).toMatch(/^Joliet with UCS level 3 found$/m);
    expect(out).toMatch(/^Rock Ridge signatures version 1 found$/m);
    expect(out).toMatch(new RegExp(`^Volume size is: ${written.sizeBytes / 2048}$`, 'm'));
    expect(out).toMatch(/El Torito VD version 1 found, boot catalog is in sector \d+/);
    expect(out).toMatch(/Nsect 4/);
  });

  it('osirrox extracts the inputs: Rock Ridge names, modes, owners, times and symlinks', () => {
    const out = join(work, 'extracted');
    run('osirrox', ['-indev', isoPath, '-extract', '/', out]);
    const list = (root: string) => {
      const acc: string[] = [];
      const visit = (d: string) => {
        for (const name of readdirSync(d).sort()) {
          const full = join(d, name);
          const st = lstatSync(full);
          const rel = relative(root, full);
          if (rel === 'isolinux/boot.cat') continue;
          const kind = st.isSymbolicLink() ? `link ${readlinkSync(full)}` : st.isDirectory() ? 'dir' : `file ${rel === 'isolinux/isolinux.bin' ? 'boot' : createHash('sha256').update(readFileSync(full)).digest('hex')}`;
          acc.push(`${rel} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
          if (st.isDirectory()) visit(full);
        }
      };
      visit(root);
      return acc;
    };
    expect(list(out)).toEqual(list(tree));
    expect(lstatSync(join(out, 'docs', LONG_NAME)).mtimeMs / 1000).toBe(EPOCH);
    // The boot file carries the boot information table at 8..63 and is otherwise unchanged.
    const boot = readFileSync(join(out, 'isolinux/isolinux.bin'));
    const orig = readFileSync(ISOLINUX);
    expect(boot.subarray(64)).toEqual(orig.subarray(64));
    expect(boot.readUInt32LE(8)).toBe(16);
    expect(boot.readUInt32LE(12)).toBe(written.fileLbas['isolinux/isolinux.bin']);
    expect(boot.readUInt32LE(16)).toBe(orig.length);
    let sum = 0;
    for (let i = 64; i < orig.length; i += 4) sum = (sum + orig.readUInt32LE(i)) >>> 0;
    expect(boot.readUInt32LE(20)).toBe(sum);
    expect(readFileSync(join(out, 'isolinux/boot.cat')).subarray(0, 2)).toEqual(Buffer.from([1, 0]));
  });

  it('isoinfo -J lists Joliet names (UCS-2, at most 64 characters)', () => {
    // isoinfo prints Joliet names in ISO 8859-1 ('_' for what it lacks).
    const out = execFileSync('isoinfo', ['-J', '-l', '-i', isoPath], { encoding: 'latin1' });
    expect(out).toContain('Ünïcødé _ name.md;1');
    expect(out).toContain(`${LONG_NAME.slice(0, 62 - 4)}.txt`);
    expect(out).toMatch(/same\.TXT/);
    expect(out).not.toContain('rel-link'); // symlinks have no Joliet form
    const iso = run('isoinfo', ['-l', '-i', isoPath]);
    expect(iso).toMatch(/SAME\.TXT;1/);
    expect(iso).toMatch(/SAME1\.TXT;1/);
    expect(iso).toMatch(/SAME2\.TXT;1/);
  });

  it('our reader lists the same tree and reads files back', () => {
    const read = fileRead(isoPath);
    const iso = decodeIso(read);
    expect(iso.primary.volumeId).toBe('PARTWRIGHT_TEST');
    expect(iso.rockRidge).toBe(true);
    expect(iso.joliet?.volumeId).toBe('PARTWRIGHT_TEST');
    expect(iso.bootEntries.map((e) => [e.platformId, e.loadLba, e.sectorCount])).toEqual(written.bootEntries.map((e) => [e.platformId, e.loadLba, e.sectorCount]));
    const inputs = entriesFromDir(tree);
    const byPath = new Map(iso.entries.map((e) => [e.path, e]));
    for (const e of inputs) {
      const got = byPath.get(e.path);
      expect(got, e.path).toBeDefined();
      expect([got!.kind, got!.mode, got!.uid, got!.gid, got!.target], e.path).toEqual([e.kind, e.mode, e.uid, e.gid, e.target]);
      if (e.kind === 'file' && e.path !== 'isolinux/isolinux.bin') {
        const buf = new Uint8Array(e.sizeBytes);
        readIsoFile(read, got!, 0, buf);
        expect(Buffer.from(buf).equals(readFileSync(join(tree, e.path))), e.path).toBe(true);
      }
    }
    expect(iso.entries.find((e) => e.path === 'long-link')!.target).toBe(LONG_TARGET);
    const joliet = decodeIso(read, { tree: 'joliet' });
    expect(joliet.entries.some((e) => e.path === 'docs/Ünïcødé ✓ name.md;1' || e.path === 'docs/Ünïcødé ✓ name.md')).toBe(true);
  });

  it('same inputs give the same bytes, whatever their order', () => {
    const again = join(work, 'again.iso');
    build(entriesFromDir(tree).reverse(), options(), again);
    const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(hash(again)).toBe(hash(isoPath));
  });
});

describe('level 3: files of 4 GiB and more', () => {
  it('splits a 4.5 GiB file into extents that xorriso reads back across the boundary', () => {
    const size = 4.5 * 2 ** 30;
    const marks = [0, 0xffff_f800 - 8, 0xffff_f800, size - 16];
    const byteAt = (pos: number) => (pos * 2654435761) % 251 + 1;
    const read = (offset: number, target: Uint8Array) => {
      target.fill(0);
      for (const m of marks) {
        for (let i = 0; i < 16; i++) {
          const p = m + i - offset;
          if (p >= 0 && p < target.length) target[p] = byteAt(m + i);
        }
      }
    };
    const entries: IsoEntryInput[] = [
      { path: 'big/huge.bin', kind: 'file', sizeBytes: size, mode: 0o644, uid: 0, gid: 0, read },
      { path: 'small.txt', kind: 'file', sizeBytes: 3, mode: 0o644, uid: 0, gid: 0, read: (_o, t) => t.set([104, 105, 10]) },
    ];
    const path = join(work, 'big.iso');
    build(entries, { volumeId: 'BIG', sourceDateEpoch: EPOCH }, path);
    const listing = run('isoinfo', ['-R', '-l', '-i', path]);
    expect(listing.match(/huge\.bin/g)).toHaveLength(2); // two extent records
    const iso = decodeIso(fileRead(path));
    const huge = iso.entries.find((e) => e.path === 'big/huge.bin')!;
    expect(huge.sizeBytes).toBe(size);
    expect(huge.extents.map((e) => e.sizeBytes)).toEqual([0xffff_f800, size - 0xffff_f800]);
    expect(huge.extents[1]!.lba - huge.extents[0]!.lba).toBe(0xffff_f800 / 2048);
    const lsl = run('xorriso', ['-indev', path, '-lsl', '/big/huge.bin']);
    expect(lsl).toContain(String(size));
    // Bytes on both sides of the extent boundary and at the end, cut out by xorriso.
    for (const m of marks) {
      const cut = join(work, `cut-${m}`);
      run('xorriso', ['-osirrox', 'on', '-indev', path, '-extract_cut', '/big/huge.bin', String(m), '16', cut]);
      expect([...readFileSync(cut)]).toEqual(Array.from({ length: 16 }, (_, i) => byteAt(m + i)));
      const ours = new Uint8Array(16);
      readIsoFile(fileRead(path), huge, m, ours);
      expect([...ours]).toEqual(Array.from({ length: 16 }, (_, i) => byteAt(m + i)));
    }
  });
});
