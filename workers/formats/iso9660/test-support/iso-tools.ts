/**
 * Test helpers for the ISO writer: input trees from real folders, images written to sparse files,
 * the Debian tools used as oracles (xorriso, isoinfo, mtools, sgdisk, QEMU), and syslinux's files.
 * Node only (tests).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SparseImage } from '../../../disk/sparse-image.ts';
import type { IsoEntryInput } from '../tree.ts';
import type { ReadBytes } from '../../table-region.ts';

/** Debian packages holding each tool or file the ISO tests use. */
export { requireTools as requireIsoTools } from '../../../test-support/debian.ts';

export function run(cmd: string, args: string[], options: { timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: options.timeoutMs });
}

/** stdout + stderr and the status, never throwing. */
export function runAll(cmd: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Input entries for every file, folder and symlink under `dir` (modes, owners and times from lstat). */
export function entriesFromDir(dir: string): IsoEntryInput[] {
  const out: IsoEntryInput[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      const base = { path: relative(dir, full), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        out.push({ ...base, kind: 'dir', sizeBytes: 0 });
        visit(full);
      } else if (st.isSymbolicLink()) {
        out.push({ ...base, kind: 'symlink', sizeBytes: 0, target: readlinkSync(full) });
      } else {
        out.push({ ...base, kind: 'file', sizeBytes: st.size, read: fileReader(full) });
      }
    }
  };
  visit(dir);
  return out;
}

export function fileReader(path: string): (offsetBytes: number, target: Uint8Array) => void {
  return (offsetBytes, target) => {
    const fd = openSync(path, 'r');
    try {
      let done = 0;
      while (done < target.length) {
        const n = readSync(fd, target, done, target.length - done, offsetBytes + done);
        if (n === 0) throw new Error(`${path}: short read at ${offsetBytes + done}`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
  };
}

/** Copy a sparse image's data ranges into a sparse file of the image's size. */
export function saveSparse(image: SparseImage, path: string): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, image.sizeBytes);
    for (const r of image.dataRanges()) {
      for (let off = 0; off < r.sizeBytes; off += 1 << 22) {
        const n = Math.min(1 << 22, r.sizeBytes - off);
        writeSync(fd, image.read(r.offsetBytes + off, n), 0, n, r.offsetBytes + off);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A read callback over a file (short reads past its end). */
export { readFile as fileRead } from '../../test-support/tools.ts';

/** A small FAT image holding EFI/BOOT/BOOTX64.EFI (or given files), made with mkfs.fat + mtools. */
export function makeFatImage(path: string, files: Record<string, string | Uint8Array>, sizeKiB = 2048): void {
  run('mkfs.fat', ['-C', '-i', '12345678', '-n', 'EFIBOOT', path, String(sizeKiB)]);
  const tmp = `${path}.d`;
  mkdirSync(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) spawnSync('mmd', ['-D', 's', '-i', path, `::/${parts.slice(0, i).join('/')}`]);
    const local = join(tmp, parts.join('_'));
    writeFileSync(local, content);
    run('mcopy', ['-o', '-i', path, local, `::/${name}`]);
  }
}

/**
 * Boot QEMU (TCG; KVM does not work on these machines) with `args` until every marker appears on the
 * serial console or `timeoutMs` passes; returns the console text. The process is always killed.
 */
export async function bootUntil(args: string[], markers: readonly RegExp[], serialPath: string, timeoutMs = 90_000): Promise<string> {
  const { spawn } = await import('node:child_process');
  const { existsSync: exists, readFileSync: readText } = await import('node:fs');
  const qemu = spawn('qemu-system-x86_64', ['-nographic', '-no-reboot', '-monitor', 'none', '-display', 'none', '-net', 'none', '-serial', `file:${serialPath}`, ...args], { stdio: 'ignore' });
  const text = () => (exists(serialPath) ? readText(serialPath, 'latin1').replace(/\r/g, '').replace(/\x1b\[[0-9;?=]*[a-zA-Z]/g, '') : '');
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && qemu.exitCode === null) {
      if (markers.every((m) => m.test(text()))) return text();
      await new Promise((r) => setTimeout(r, 250));
    }
    return text();
  } finally {
    qemu.kill('SIGKILL');
  }
}
