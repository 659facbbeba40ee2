/**
 * Files and folders a Node process creates for a build (OUT.partial, scratch stores, temp folders):
 * created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW: an existing path, a planted symlink included,
 * is never followed or reused) and never left behind. Every one is listed with a small watchdog
 * process that removes whatever is still listed when this process ends for any reason — an error,
 * Ctrl-C, SIGTERM, even SIGKILL — so no handler has to run inside a process busy in synchronous
 * WASM or file code. Renamed or removed paths are taken off the list first.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';

const { O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/**
 * Random hex for fresh names. node:crypto is required on first use, not imported: `plan` loads this
 * module but rarely makes a name, and loading node:crypto is a noticeable part of its cold start.
 */
let randomBytes: ((n: number) => Buffer) | undefined;
function randomHex(bytes: number): string {
  randomBytes ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomBytes;
  return randomBytes(bytes).toString('hex');
}
/** Create a new file only: fail on any existing path, never follow a symlink. */
export const EXCLUSIVE_RW = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW;
export const EXCLUSIVE_W = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

/**
 * The watchdog: reads JSON lines ({add, dir} / {drop}) from the list file when its stdin (a pipe
 * only this process holds) closes, removes what is still listed, then the list itself. Folders
 * are made writable first (staged Nix store paths are read-only).
 */
const WATCHDOG = `
const fs = require('node:fs'), path = require('node:path');
const list = process.argv[1];
process.stdin.on('data', () => {});
process.stdin.on('close', () => {
  let lines = [];
  try { lines = fs.readFileSync(list, 'utf8').split('\\n'); } catch {}
  const live = new Map();
  for (const l of lines) {
    if (!l) continue;
    try { const e = JSON.parse(l); if (e.add) live.set(e.add, { dir: !!e.dir, pending: !!e.pending }); else if (e.drop) live.delete(e.drop); } catch {}
  }
  const unseal = (p) => {
    let st; try { st = fs.lstatSync(p); } catch { return; }
    if (!st.isDirectory()) return;
    try { fs.chmodSync(p, 0o755); } catch {}
    for (const n of fs.readdirSync(p)) unseal(path.join(p, n));
  };
  for (const [p, { dir, pending }] of live) {
    try {
      // Listed just before its exclusive create and never confirmed: the process ended in between.
      // Only an empty regular file can be the one it made (a planted symlink or a user's file stays).
      if (pending) { const st = fs.lstatSync(p); if (!st.isFile() || st.size !== 0) continue; }
      if (dir) unseal(p);
      fs.rmSync(p, { recursive: dir, force: true });
    } catch {}
  }
  try { fs.rmSync(list, { force: true }); } catch {}
  process.exit(0);
});
`;

let listFd: number | undefined;

/** Start the watchdog (once) before anything is created, so no kill can come before it exists. */
function ensureWatchdog(): number {
  if (listFd === undefined) {
    const list = path.join(os.tmpdir(), `partwright-owned-${process.pid}-${randomHex(6)}.list`);
    listFd = fs.openSync(list, EXCLUSIVE_W | fs.constants.O_APPEND, 0o600);
    const child = spawn(process.execPath, ['-e', WATCHDOG, list], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    // Keep the pipe's write end open (it closes when this process ends) without holding the event loop.
    (child.stdin as unknown as { unref(): void }).unref();
  }
  return listFd;
}

function record(entry: { add: string; dir: boolean; pending?: true } | { drop: string }): void {
  fs.writeSync(ensureWatchdog(), JSON.stringify(entry) + '\n');
}

/** A path not in use now beside `file`: `file.partial`, else `file.<random>.partial`. */
export function freshPartialName(file: string, suffix = '.partial'): string {
  const first = `${file}${suffix}`;
  if (!fs.existsSync(first) && !isSymlink(first)) return first;
  return `${file}.${randomHex(4)}${suffix}`;
}

/** `p` when nothing is there, else `p` with a random part before its last extension. */
export function freshPath(p: string): string {
  if (!fs.existsSync(p) && !isSymlink(p)) return p;
  const ext = path.extname(p);
  return `${p.slice(0, p.length - ext.length)}.${randomHex(4)}${ext}`;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Create `file` exclusively (see the module note), list it for removal, and return its descriptor. */
export function createOwnedFile(file: string, mode = 0o644, flags = EXCLUSIVE_RW): number {
  // Listed (as pending) before it exists, so a kill between the create and the listing cannot leave
  // it behind; confirmed once created, taken off the list if the create fails.
  record({ add: file, dir: false, pending: true });
  let fd: number;
  try {
    fd = fs.openSync(file, flags, mode);
  } catch (e) {
    record({ drop: file });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') {
      throw new PartwrightError(ErrorCode.Io, `Refusing to write ${file}: something already exists at that path (a file or a symlink); remove it or choose another output.`, { where: file });
    }
    throw new PartwrightError(ErrorCode.Io, `Cannot create ${file}: ${(e as Error).message}`, { where: file });
  }
  record({ add: file, dir: false });
  return fd;
}

/** A new folder in the system temp directory, removed when this process ends if not before. */
export function makeOwnedTempDir(prefix: string): string {
  ensureWatchdog();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  record({ add: dir, dir: true });
  return dir;
}

/** Rename an owned file to its final name (which it then no longer is: it stays). */
export function renameOwned(from: string, to: string): void {
  fs.renameSync(from, to);
  record({ drop: from });
}

/** Remove an owned file or folder now. */
export function removeOwned(p: string, unseal?: (p: string) => void): void {
  unseal?.(p);
  fs.rmSync(p, { recursive: true, force: true });
  record({ drop: p });
}
