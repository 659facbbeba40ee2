/**
 * Test helpers for the mke2fs adapter: Debian's native e2fsprogs as the oracle (mke2fs, e2fsck,
 * debugfs, dumpe2fs), the compiled module, sparse image files, input trees on disk. Node only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { SparseImage } from '../../disk/sparse-image.ts';
import { compileMke2fsModule, MKE2FS_WASM_URL } from '../mke2fs-module.ts';

export const E2FS_ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C', TZ: 'UTC' };

function holds(check: string): boolean {
  return spawnSync('sh', ['-c', check], { env: E2FS_ENV, stdio: 'ignore' }).status === 0;
}

/**
 * Make sure Debian packages are there: each entry is a shell test and the package that satisfies
 * it. Missing ones are installed when running as root (apt-get update only if the first try fails).
 */
export function requireDebian(needs: ReadonlyArray<readonly [check: string, pkg: string]>): void {
  const missing = needs.filter(([check]) => !holds(check));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (process.getuid?.() === 0 && holds('command -v apt-get')) {
    const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore', env: { ...E2FS_ENV, DEBIAN_FRONTEND: 'noninteractive' } });
    if (install().status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      install();
    }
  }
  const still = needs.filter(([check]) => !holds(check));
  if (still.length) throw new Error(`tests need ${still.map(([c]) => c).join('; ')}: apt-get install ${packages.join(' ')}`);
}

export function requireE2fsprogs(): void {
  requireDebian(['mke2fs', 'e2fsck', 'debugfs', 'dumpe2fs'].map((t) => [`command -v ${t}`, 'e2fsprogs'] as const));
}

let compiled: WebAssembly.Module | undefined;
export function mke2fsModule(): WebAssembly.Module {
  return (compiled ??= compileMke2fsModule(readFileSync(MKE2FS_WASM_URL)));
}

/** Write the image's data ranges (only) into a sparse file of the image's size. */
export function saveImage(image: SparseImage, path: string, windowOffsetBytes = 0, windowSizeBytes = image.sizeBytes): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, windowSizeBytes);
    for (const r of image.dataRanges(windowOffsetBytes, windowSizeBytes)) {
      for (let done = 0; done < r.sizeBytes; done += 8 << 20) {
        const n = Math.min(8 << 20, r.sizeBytes - done);
        writeSync(fd, image.read(r.offsetBytes + done, n), 0, n, r.offsetBytes + done - windowOffsetBytes);
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = E2FS_ENV): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `debugfs -R cmd image` output (debugfs prints its banner on stderr). */
export function debugfs(image: string, command: string): string {
  return execFileSync('debugfs', ['-R', command, image], { env: E2FS_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
}

/** One `stat` of an inode as fields: type, mode, uid, gid, size, mtime, and a fast/slow link target. */
export function debugfsStat(image: string, path: string): { type: string; mode: number; uid: number; gid: number; sizeBytes: number; mtime: number; linkTarget?: string } {
  const out = debugfs(image, `stat "${path}"`);
  const m = /Type: (\S+)\s+Mode:\s+(\d+)/.exec(out);
  const u = /User:\s+(\d+)\s+Group:\s+(\d+)(?:\s+Project:\s+\d+)?\s+Size: (\d+)/.exec(out);
  const t = /mtime: 0x([0-9a-f]+)/.exec(out);
  if (!m || !u || !t) throw new Error(`debugfs stat ${path}: ${out}`);
  const link = /Fast link dest: "(.*)"/.exec(out);
  const r = { type: m[1]!, mode: parseInt(m[2]!, 8), uid: Number(u[1]), gid: Number(u[2]), sizeBytes: Number(u[3]), mtime: parseInt(t[1]!, 16) };
  return link ? { ...r, linkTarget: link[1]! } : r;
}
