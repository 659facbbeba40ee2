/**
 * Booting the hybrid image in QEMU (TCG): SeaBIOS + isolinux from the image as a CD-ROM (El Torito
 * BIOS entry) and as a hard disk (isohdpfx MBR), and OVMF from it as a CD-ROM (El Torito EFI entry)
 * and as a disk (the MBR's 0xEF record), each reaching the boot loader: isolinux prints a marker from
 * its config on the serial console; for UEFI, systemd-boot from the FAT image draws its menu.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparseImage } from '../../disk/sparse-image.ts';
import { planIso, writeIso } from './index.ts';
import { bootUntil, entriesFromDir, makeFatImage, requireIsoTools, saveSparse } from './test-support/iso-tools.ts';

const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const SYSTEMD_BOOT = '/usr/lib/systemd/boot/efi/systemd-bootx64.efi';
const MARKER = 'PARTWRIGHT-ISOLINUX-OK';

let work: string;
let iso: string;

beforeAll(() => {
  requireIsoTools('qemu-system-x86_64', 'mkfs.fat', 'mcopy', 'mmd', ISOLINUX, ISOHDPFX, LDLINUX, OVMF_CODE, SYSTEMD_BOOT);
  work = mkdtempSync(join(tmpdir(), 'partwright-iso-boot-'));
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'isolinux'), { recursive: true });
  mkdirSync(join(tree, 'boot'), { recursive: true });
  copyFileSync(ISOLINUX, join(tree, 'isolinux/isolinux.bin'));
  copyFileSync(LDLINUX, join(tree, 'isolinux/ldlinux.c32'));
  writeFileSync(join(tree, 'isolinux/isolinux.cfg'), `SERIAL 0 115200\nSAY ${MARKER}\nPROMPT 0\nTIMEOUT 1\n`);
  makeFatImage(join(tree, 'boot/efi.img'), { 'EFI/BOOT/BOOTX64.EFI': readFileSync(SYSTEMD_BOOT) });
  rmSync(join(tree, 'boot/efi.img.d'), { recursive: true, force: true });
  const plan = planIso(entriesFromDir(tree), {
    volumeId: 'PARTWRIGHT_BOOT', sourceDateEpoch: 1_700_000_000,
    boot: { bios: { path: 'isolinux/isolinux.bin' }, efi: { path: 'boot/efi.img' }, catalogPath: 'isolinux/boot.cat' },
    isohybrid: { mbrBootCode: new Uint8Array(readFileSync(ISOHDPFX)), gptDiskGuid: '0867da16-f251-457d-a9e8-c31f9a3c220b' },
  });
  const image = new SparseImage(plan.sizeBytes);
  writeIso(image, plan);
  iso = join(work, 'boot.iso');
  saveSparse(image, iso);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cdrom = () => ['-drive', `file=${iso},format=raw,if=none,id=cd,media=cdrom,readonly=on`, '-device', 'ide-cd,drive=cd'];
const disk = () => ['-drive', `file=${iso},format=raw,if=none,id=hd,snapshot=on`, '-device', 'virtio-blk-pci,drive=hd'];
function ovmf(name: string): string[] {
  const vars = join(work, `${name}-vars.fd`);
  copyFileSync(OVMF_VARS, vars);
  return ['-M', 'q35', '-m', '512', '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${vars}`];
}

describe('the isohybrid image boots in QEMU', () => {
  it('SeaBIOS + isolinux as a CD-ROM', async () => {
    const out = await bootUntil(['-M', 'pc', '-m', '256', '-boot', 'order=d', '-drive', `file=${iso},format=raw,media=cdrom,readonly=on`], [new RegExp(MARKER)], join(work, 'bios-cd.log'));
    expect(out).toMatch(/ISOLINUX \S+ \S+ ETCD/);
    expect(out).toContain(MARKER);
  });

  it('SeaBIOS + isolinux as a hard disk (isohdpfx MBR)', async () => {
    const out = await bootUntil(['-M', 'pc', '-m', '256', '-boot', 'order=c', '-drive', `file=${iso},format=raw,if=ide,snapshot=on`], [new RegExp(MARKER)], join(work, 'bios-hd.log'));
    expect(out).toMatch(/ISOLINUX \S+ \S+ EHDD/);
    expect(out).toContain(MARKER);
  });

  it('OVMF from the El Torito EFI entry as a CD-ROM', async () => {
    const out = await bootUntil([...ovmf('efi-cd'), ...cdrom()], [/BdsDxe: starting Boot\d+ "UEFI QEMU DVD-ROM/, /Reboot Into Firmware Interface/], join(work, 'efi-cd.log'));
    expect(out).toMatch(/BdsDxe: starting Boot\d+ "UEFI QEMU DVD-ROM/);
    expect(out).toMatch(/Reboot Into Firmware Interface/); // systemd-boot's menu
  });

  it('OVMF from the EFI image as a disk', async () => {
    const out = await bootUntil([...ovmf('efi-hd'), ...disk()], [/BdsDxe: starting Boot\d+ "UEFI Misc Device"/, /Reboot Into Firmware Interface/], join(work, 'efi-hd.log'));
    expect(out).toMatch(/BdsDxe: starting Boot\d+ "UEFI Misc Device"/);
    expect(out).toMatch(/Reboot Into Firmware Interface/);
  });
});
