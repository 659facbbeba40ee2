/**
 * Test setup shared by every suite: make sure the real tools the tests use as oracles are present,
 * installing their Debian packages when the tests run as root (CI on a fresh machine), and never
 * skipping. Tools are names on PATH (or in /usr/sbin) or absolute file paths.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Which Debian package holds each tool or file the tests call. */
const PACKAGES: Record<string, string> = {
  sfdisk: 'fdisk', fdisk: 'fdisk', sgdisk: 'gdisk', gdisk: 'gdisk',
  'mkfs.fat': 'dosfstools', 'fsck.fat': 'dosfstools', mdir: 'mtools', mcopy: 'mtools', mmd: 'mtools', mtype: 'mtools', minfo: 'mtools',
  simg2img: 'android-sdk-libsparse-utils', img2simg: 'android-sdk-libsparse-utils', bmaptool: 'bmap-tools', 'qemu-img': 'qemu-utils',
  xorriso: 'xorriso', osirrox: 'xorriso', isoinfo: 'genisoimage', 'qemu-system-x86_64': 'qemu-system-x86',
  e2fsck: 'e2fsprogs', debugfs: 'e2fsprogs', dumpe2fs: 'e2fsprogs', 'systemd-repart': 'systemd', fastboot: 'fastboot',
  '/usr/lib/ISOLINUX/isolinux.bin': 'isolinux', '/usr/lib/ISOLINUX/isohdpfx.bin': 'isolinux',
  '/usr/lib/syslinux/modules/bios/ldlinux.c32': 'syslinux-common', '/usr/share/OVMF/OVMF_CODE_4M.fd': 'ovmf',
  '/bin/busybox': 'busybox-static', cpio: 'cpio', '/usr/lib/systemd/boot/efi/systemd-bootx64.efi': 'systemd-boot-efi',
  python3: 'python3', zstd: 'zstd', zip: 'zip', tar: 'tar', gzip: 'gzip', losetup: 'mount',
  mksquashfs: 'squashfs-tools', unsquashfs: 'squashfs-tools', 'mkfs.erofs': 'erofs-utils', 'fsck.erofs': 'erofs-utils', 'dump.erofs': 'erofs-utils',
  veritysetup: 'cryptsetup-bin', blkid: 'util-linux', flock: 'util-linux', sha256sum: 'coreutils', swaplabel: 'util-linux', mkswap: 'util-linux', openssl: 'openssl',
};

function present(tool: string): boolean {
  if (tool.startsWith('/')) return existsSync(tool);
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
}

/** Make sure tools (or files) exist; as root, install their Debian packages; otherwise fail naming them. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => !present(t));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => PACKAGES[t] ?? t))];
  if (process.getuid?.() === 0 && present('apt-get')) {
    const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (install().status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      install();
    }
  }
  const still = tools.filter((t) => !present(t));
  if (still.length > 0) throw new Error(`tests need ${still.join(', ')}: apt-get install ${packages.join(' ')}`);
}
