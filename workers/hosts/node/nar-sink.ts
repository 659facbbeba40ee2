/**
 * A NarSink onto a real directory (the CLI stages Nix closures with it; tests too): paths `/nix/store/...` land under `rootDir`. Each
 * entry is created exclusively (`wx`, mkdir without -p, symlink) after checking with lstat that its
 * parent is a real directory, so even a buggy parser could not write through a symlink.
 */
import { chmodSync, lstatSync, mkdirSync, openSync, closeSync, rmSync, symlinkSync, writeSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NarFileWriter, NarSink } from '../../nix/nar.ts';

export class FsTreeSink implements NarSink {
  private readonly dirsToSeal: string[] = [];
  constructor(readonly rootDir: string) {}

  private target(path: string): string {
    const full = join(this.rootDir, path);
    const parent = dirname(full);
    if (parent !== this.rootDir && !full.startsWith(`${this.rootDir}/`)) throw new Error(`FsTreeSink: ${path} escapes ${this.rootDir}`);
    const st = lstatSync(parent, { throwIfNoEntry: false });
    if (!st) mkdirSync(parent, { recursive: true });
    else if (!st.isDirectory()) throw new Error(`FsTreeSink: parent of ${path} is not a directory`);
    return full;
  }

  directory(path: string): void {
    const full = this.target(path);
    mkdirSync(full);
    this.dirsToSeal.push(full);
  }

  /** Remove what a failed NAR left (directories are not sealed until seal(), so rm works). */
  discard(path: string): void {
    const full = this.target(path);
    rmSync(full, { recursive: true, force: true });
    const prefix = `${full}/`;
    for (let i = this.dirsToSeal.length - 1; i >= 0; i--) if (this.dirsToSeal[i] === full || this.dirsToSeal[i]!.startsWith(prefix)) this.dirsToSeal.splice(i, 1);
  }

  symlink(path: string, target: string): void {
    symlinkSync(target, this.target(path));
  }

  file(path: string, executable: boolean): NarFileWriter {
    const full = this.target(path);
    const fd = openSync(full, 'wx', 0o644);
    return {
      write(chunk) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      },
      close() {
        closeSync(fd);
        chmodSync(full, executable ? 0o555 : 0o444);
        utimesSync(full, 1, 1);
      },
    };
  }

  /** Make directories read-only like the store (deepest first), after everything is written. */
  seal(): void {
    for (const d of [...this.dirsToSeal].reverse()) {
      chmodSync(d, 0o555);
      utimesSync(d, 1, 1);
    }
  }
}
