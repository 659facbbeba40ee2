/**
 * Test helpers for the FAT module: dosfstools and mtools as oracles, sparse temp files, a file-backed
 * sink. Node only. Needs Debian packages `dosfstools` and `mtools`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FatSink } from '../writer.ts';

export { requireTools as requireFatTools } from '../../../test-support/debian.ts';

/** mtools reads names as UTF-8 only in a UTF-8 locale; MTOOLS_SKIP_CHECK lets it open any image. */
export const MTOOLS_ENV = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1', PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

export function tool(cmd: string, args: string[], input?: Buffer): { status: number; stdout: string; stderr: string; out: Buffer } {
  const r = spawnSync(cmd, args, { env: MTOOLS_ENV, input, maxBuffer: 1 << 30 });
  return { status: r.status ?? -1, stdout: r.stdout?.toString('utf8') ?? '', stderr: r.stderr?.toString('utf8') ?? '', out: r.stdout ?? Buffer.alloc(0) };
}

const dirs: string[] = [];
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'partwright-fat-'));
  dirs.push(d);
  return d;
}
export function cleanupTemp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A sparse file of `sizeBytes` used as a FatSink (writes go straight to the file). */
export class FileSink implements FatSink {
  readonly fd: number;
  constructor(readonly path: string, sizeBytes: number) {
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, sizeBytes);
  }
  write(offsetBytes: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offsetBytes + done);
  }
  read(offsetBytes: number, sizeBytes: number): Uint8Array {
    const buf = new Uint8Array(sizeBytes);
    readSync(this.fd, buf, 0, sizeBytes, offsetBytes);
    return buf;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Bytes of a file range. */
export function readRange(path: string, offsetBytes: number, sizeBytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(sizeBytes);
    readSync(fd, buf, 0, sizeBytes, offsetBytes);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** A read callback over a file (for readFat). */
export function fileReader(path: string): (offsetBytes: number, sizeBytes: number) => Uint8Array {
  return (offsetBytes, sizeBytes) => readRange(path, offsetBytes, sizeBytes);
}
