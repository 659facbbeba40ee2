/**
 * Boot-test assets: Debian's QEMU and firmware (installed by apt-get when running as root), and the
 * kernel, modules, busybox, systemd-boot, GRUB images and isolinux that scripts/boot-assets.sh fetches into
 * .cache/boot-assets/ (unpacked from Debian packages, nothing installed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const CACHE = process.env.PARTWRIGHT_BOOT_ASSETS ?? join(REPO, '.cache/boot-assets');

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** Debian packages the boot tests run (the boot files themselves come from boot-assets.sh). */
const SYSTEM: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  [OVMF_CODE]: 'ovmf',
  '/usr/share/seabios/bios-256k.bin': 'seabios',
  cpio: 'cpio',
  gzip: 'gzip',
  sfdisk: 'fdisk',
};

function present(what: string): boolean {
  return what.startsWith('/') ? existsSync(what) : spawnSync('sh', ['-c', `command -v ${what}`]).status === 0;
}

export interface BootAssets {
  vmlinuz: string;
  modulesDir: string;
  busybox: string;
  systemdBootEfi: string;
  grubBootImg: string;
  grubCoreImg: string;
  isolinuxBin: string;
  isohdpfxBin: string;
  ldlinuxC32: string;
}

let ready: BootAssets | undefined;

export function ensureBootAssets(): BootAssets {
  if (ready) return ready;
  const missing = Object.keys(SYSTEM).filter((w) => !present(w));
  if (missing.length) {
    const packages = [...new Set(missing.map((w) => SYSTEM[w]!))];
    if (process.getuid?.() !== 0) throw new Error(`boot tests need Debian packages: apt-get install ${packages.join(' ')}`);
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  execFileSync('bash', [join(REPO, 'scripts/boot-assets.sh'), CACHE], { stdio: 'inherit' });
  ready = {
    vmlinuz: join(CACHE, 'vmlinuz'),
    modulesDir: join(CACHE, 'modules'),
    busybox: join(CACHE, 'busybox'),
    systemdBootEfi: join(CACHE, 'systemd-bootx64.efi'),
    grubBootImg: join(CACHE, 'grub/i386-pc/boot.img'),
    grubCoreImg: join(CACHE, 'grub/i386-pc/core.img'),
    isolinuxBin: join(CACHE, 'isolinux/isolinux.bin'),
    isohdpfxBin: join(CACHE, 'isolinux/isohdpfx.bin'),
    ldlinuxC32: join(CACHE, 'isolinux/ldlinux.c32'),
  };
  return ready;
}
