/**
 * A small reproducible initramfs: busybox-static, the disk and file system modules (in load order)
 * and test/boot/init.sh as /init. Every entry is owned by root and dated 1970-01-01, entries are in
 * byte order, and cpio (--reproducible) and gzip (-n) add nothing variable: the same assets give the
 * same bytes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootAssets } from './assets.ts';

export function makeInitramfs(assets: BootAssets, out: string): void {
  const stage = mkdtempSync(join(tmpdir(), 'partwright-initramfs-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'root', 'lib/modules']) mkdirSync(join(stage, d), { recursive: true });
    copyFileSync(assets.busybox, join(stage, 'bin/busybox'));
    chmodSync(join(stage, 'bin/busybox'), 0o755);
    writeFileSync(join(stage, 'init'), readFileSync(join(import.meta.dirname, 'init.sh')));
    chmodSync(join(stage, 'init'), 0o755);
    for (const m of readdirSync(assets.modulesDir)) copyFileSync(join(assets.modulesDir, m), join(stage, 'lib/modules', m));
    // /bin/sh for the #! line; everything else busybox --install makes at boot.
    execFileSync('ln', ['-s', 'busybox', join(stage, 'bin/sh')]);
    execFileSync('sh', ['-c', `cd "${stage}" && find . -exec touch -h -d @0 {} + && chmod -R u=rwX,go=rX . && chmod 0755 init bin/busybox && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --reproducible -R 0:0 --quiet | gzip -9n > "${out}"`]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
