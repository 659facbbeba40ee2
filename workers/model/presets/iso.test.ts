/**
 * The installer ISO preset builds into what NixOS's isoImage makes, as the real tools read it:
 * xorriso (BIOS and EFI El Torito entries, isohybrid MBR + GPT), isoinfo (volume ID, Rock Ridge,
 * Joliet), osirrox (the contents), fsck.fat and mtools (the EFI image: systemd-boot, its entry, the
 * kernel and initrd). That it boots all four ways is test/boot/iso.boot.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIsoImage } from '../../build/build-iso.ts';
import { FileSource } from '../../hosts/node/file.ts';
import { readTree } from '../../hosts/node/tree.ts';
import { writeOutputFiles as writeOutput } from '../../hosts/node/outputs.ts';
import { requireIsoTools, run } from '../../formats/iso9660/test-support/iso-tools.ts';
import { ISO_CMDLINE, ISO_INITRD, ISO_KERNEL, ISO_VOLUME_ID, PRESET_INPUTS as IN, installerIso, presetByName } from './index.ts';

const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const SDBOOT = '/usr/lib/systemd/boot/efi/systemd-bootx64.efi';

const work = mkdtempSync(join(tmpdir(), 'partwright-iso-preset-'));
const src = join(work, 'src');
const out = join(work, 'installer.iso');
const x = join(work, 'x');
afterAll(() => void (process.env.KEEP ? 0 : rmSync(work, { recursive: true, force: true })));

/** Recognisable bytes standing in for a kernel and an initrd (the boot test uses real ones). */
function pattern(sizeBytes: number, salt: number): string {
  const b = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) b[i] = (i * 31 + salt) & 0xff;
  const file = join(work, `pattern-${salt}`);
  writeFileSync(file, b);
  return file;
}

/** Put `files` (copy-source path → host file or text) into `dir`. */
function stage(dir: string, files: Record<string, string | { text: string }>): void {
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, join(dir, path));
    else writeFileSync(join(dir, path), from.text);
  }
}

beforeAll(async () => {
  requireIsoTools('xorriso', 'osirrox', 'isoinfo', 'mcopy', 'mkfs.fat', ISOLINUX, ISOHDPFX, LDLINUX, SDBOOT);
  stage(src, {
    [IN.kernel]: pattern(3_000_001, 1),
    [IN.initrd]: pattern(1_000_003, 2),
    [IN.systemdBootEfi]: SDBOOT,
    [IN.isolinuxBin]: ISOLINUX,
    [IN.ldlinuxC32]: LDLINUX,
    [IN.isohdpfxBin]: ISOHDPFX,
    [`${IN.rootfs}/partwright-marker`]: { text: 'hello\n' },
    ...Object.fromEntries(Object.entries(installerIso.files ?? {}).map(([p, text]) => [p, { text }])),
  });
  const opened: FileSource[] = [];
  const { image, plan } = buildIsoImage(installerIso.spec, {
    open: (p) => { const s = new FileSource(join(src, p)); opened.push(s); return s; },
    openTree: (p) => readTree(join(src, p)),
  });
  await writeOutput(image, plan, 'raw', out);
  for (const s of opened) s.close();
  execFileSync('osirrox', ['-indev', out, '-extract', '/', x], { stdio: 'pipe' });
}, 120_000);

const same = (a: string, b: string) => expect(readFileSync(a).equals(readFileSync(b)), `${a} = ${b}`).toBe(true);

describe('installer-iso preset', () => {
  it('is listed, data only, and its loaders name the ISO by the volume ID it gets', () => {
    expect(presetByName('installer-iso')).toBe(installerIso);
    expect(installerIso.spec.table).toBe('iso');
    expect(installerIso.spec.partitions.find((p) => p.format === 'iso9660')?.label).toBe(ISO_VOLUME_ID);
    expect(ISO_CMDLINE).toContain(`root=LABEL=${ISO_VOLUME_ID}`);
    expect(JSON.parse(JSON.stringify(installerIso))).toEqual(installerIso);
    for (const text of Object.values(installerIso.files ?? {})) if (/linux|options/i.test(text)) expect(text).toContain(ISO_CMDLINE);
  });

  it('has a BIOS and an EFI El Torito entry and an isohybrid MBR + GPT (xorriso)', () => {
    const report = run('xorriso', ['-indev', out, '-report_el_torito', 'plain', '-report_system_area', 'plain']);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/isolinux\/isolinux.bin/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/boot\/efi.img/);
    expect(report).toMatch(/El Torito boot img :\s+2\s+UEFI/);
    expect(report).toMatch(/MBR partition path :\s+2\s+\/boot\/efi.img/);
    expect(report).toMatch(/GPT partition path :\s+2\s+\/boot\/efi.img/);
    expect(report).toMatch(/System area summary: MBR isohybrid/);
  });

  it('has the volume ID, Rock Ridge and Joliet (isoinfo)', () => {
    const info = run('isoinfo', ['-d', '-i', out]);
    expect(info).toContain(`Volume id: ${ISO_VOLUME_ID}`);
    expect(info).toMatch(/Rock Ridge signatures version 1/);
    expect(info).toContain('Joliet with UCS level 3');
  });

  it('holds the kernel, initrd, isolinux and its config, and the copy source root (osirrox)', () => {
    same(join(x, ISO_KERNEL), join(src, IN.kernel));
    same(join(x, ISO_INITRD), join(src, IN.initrd));
    // isolinux.bin as shipped, but for the boot-info table (bytes 8–63) El Torito patches in.
    const bin = readFileSync(join(x, 'isolinux/isolinux.bin'));
    const shipped = readFileSync(ISOLINUX);
    expect(bin.length).toBe(shipped.length);
    expect(bin.subarray(0, 8).equals(shipped.subarray(0, 8)) && bin.subarray(64).equals(shipped.subarray(64))).toBe(true);
    same(join(x, 'isolinux/ldlinux.c32'), LDLINUX);
    expect(readFileSync(join(x, 'partwright-marker'), 'utf8')).toBe('hello\n');
    const cfg = readFileSync(join(x, 'isolinux/isolinux.cfg'), 'utf8');
    expect(cfg).toContain(`LINUX ${ISO_KERNEL}`);
    expect(cfg).toContain(`INITRD ${ISO_INITRD}`);
    expect(cfg).toContain(`APPEND ${ISO_CMDLINE}`);
  });

  it('has an EFI image with systemd-boot, its entry, the kernel and initrd (fsck.fat, mtools)', () => {
    const efi = join(x, 'boot/efi.img');
    expect(run('fsck.fat', ['-n', efi])).toMatch(/\d+ files, \d+\/\d+ clusters/);
    const get = (path: string) => {
      const to = join(work, `efi-${path.replace(/\//g, '_')}`);
      execFileSync('mcopy', ['-n', '-i', efi, `::${path}`, to]);
      return to;
    };
    same(get('/EFI/BOOT/BOOTX64.EFI'), SDBOOT);
    same(get(ISO_KERNEL), join(src, IN.kernel));
    same(get(ISO_INITRD), join(src, IN.initrd));
    expect(readFileSync(get('/loader/loader.conf'), 'utf8')).toContain('default installer.conf');
    const entry = readFileSync(get('/loader/entries/installer.conf'), 'utf8');
    expect(entry).toContain(`linux ${ISO_KERNEL}`);
    expect(entry).toContain(`initrd ${ISO_INITRD}`);
    expect(entry).toContain(`options ${ISO_CMDLINE}`);
    expect(run('blkid', ['-o', 'value', '-s', 'LABEL', efi]).trim()).toBe('EFIBOOT');
  });
});
