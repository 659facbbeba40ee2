/**
 * A small reproducible initramfs: busybox-static, the disk and file system modules (in load order)
 * and test/boot/init.sh as /init. Every entry is owned by root and dated 1970-01-01, entries are in
 * byte order, and cpio (--reproducible) and gzip (-n) add nothing variable: the same assets give the
 * same bytes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BootAssets } from './assets.ts';

export interface InitramfsOptions {
  /**
   * Add the host's (Debian 12's, cryptsetup-bin) veritysetup and the shared libraries it loads:
   * busybox has no dm-verity setup, and Debian's kernel has device-mapper as a module, so
   * `dm-mod.create=` is not available.
   */
  veritysetup?: boolean;
}

/** A dynamically linked host binary and the libraries ldd says it loads (with the loader), as absolute paths. */
function withLibraries(binary: string): string[] {
  const ldd = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = [...ldd.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
  return [binary, ...new Set(libs)];
}

export function makeInitramfs(assets: BootAssets, out: string, options: InitramfsOptions = {}): void {
  const stage = mkdtempSync(join(tmpdir(), 'partwright-initramfs-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'root', 'lib/modules']) mkdirSync(join(stage, d), { recursive: true });
    copyFileSync(assets.busybox, join(stage, 'bin/busybox'));
    chmodSync(join(stage, 'bin/busybox'), 0o755);
    writeFileSync(join(stage, 'init'), readFileSync(join(import.meta.dirname, 'init.sh')));
    chmodSync(join(stage, 'init'), 0o755);
    for (const m of readdirSync(assets.modulesDir)) copyFileSync(join(assets.modulesDir, m), join(stage, 'lib/modules', m));
    if (options.veritysetup) {
      for (const file of withLibraries('/usr/sbin/veritysetup')) {
        const to = join(stage, file.startsWith('/usr/sbin/') ? `bin/${file.slice('/usr/sbin/'.length)}` : file);
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(file, to);
        chmodSync(to, 0o755);
      }
    }
    // /bin/sh for the #! line; everything else busybox --install makes at boot.
    execFileSync('ln', ['-s', 'busybox', join(stage, 'bin/sh')]);
    execFileSync('sh', ['-c', `cd "${stage}" && find . -exec touch -h -d @0 {} + && chmod -R u=rwX,go=rX . && chmod 0755 init bin/busybox && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --reproducible -R 0:0 --quiet | gzip -9n > "${out}"`]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
