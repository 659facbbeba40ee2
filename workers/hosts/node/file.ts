/**
 * The Node host's storage: files as read sources, seekable sinks and byte stores. Holes stay holes:
 * nothing here writes zeros it was not given.
 */
import * as fs from 'node:fs';
import type { ByteStore } from '../../disk/byte-store.ts';
import type { SeekableSink } from '../../disk/raw-output.ts';
import type { ReadSource } from '../../disk/sparse-image.ts';

function readFully(fd: number, offsetBytes: number, target: Uint8Array): void {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, target.length - done, offsetBytes + done);
    if (n === 0) {
      target.fill(0, done);
      return;
    }
    done += n;
  }
}

function writeFully(fd: number, offsetBytes: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    done += fs.writeSync(fd, data, done, data.length - done, offsetBytes + done);
  }
}

/** A file opened read-only as a ReadSource. */
export class FileSource implements ReadSource {
  readonly sizeBytes: number;
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
    const st = fs.fstatSync(this.fd);
    // Block devices report size 0 through stat: ask for the end instead.
    this.sizeBytes = st.isBlockDevice() ? blockDeviceSize(this.fd) : st.size;
  }
  read(offsetBytes: number, target: Uint8Array): void {
    readFully(this.fd, offsetBytes, target);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

function blockDeviceSize(fd: number): number {
  // No ioctl from Node: binary-search the last readable byte.
  const one = new Uint8Array(1);
  let lo = 0;
  let hi = 2 ** 52;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    let ok = false;
    try {
      ok = fs.readSync(fd, one, 0, 1, mid - 1) === 1;
    } catch {
      ok = false;
    }
    if (ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A file as the image's backing store (large content goes to disk, not memory). */
export class FileStore implements ByteStore {
  private readonly fd: number;
  private highWaterBytes = 0;
  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w+');
  }
  read(offsetBytes: number, target: Uint8Array): void {
    readFully(this.fd, offsetBytes, target);
  }
  write(offsetBytes: number, data: Uint8Array): void {
    writeFully(this.fd, offsetBytes, data);
    this.highWaterBytes = Math.max(this.highWaterBytes, offsetBytes + data.length);
  }
  discard(offsetBytes: number, sizeBytes: number): void {
    // Node has no fallocate(PUNCH_HOLE): zero the bytes (the extent map already calls them a hole).
    const zeros = new Uint8Array(Math.min(sizeBytes, 1 << 20));
    for (let done = 0; done < sizeBytes; done += zeros.length) {
      writeFully(this.fd, offsetBytes + done, zeros.subarray(0, Math.min(zeros.length, sizeBytes - done)));
    }
  }
  get storedBytes(): number {
    return fs.fstatSync(this.fd).blocks * 512;
  }
  /** Make the file this long (a hole at the end): the store is then the raw image itself. */
  setSize(sizeBytes: number): void {
    fs.ftruncateSync(this.fd, sizeBytes);
  }
  flush(): void {
    fs.fsyncSync(this.fd);
  }
  /** Closing twice is allowed (a host that renamed the store into the output closed it already). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
  private closed = false;
}

/** A file written as a raw image: data at offsets, size set with ftruncate (holes stay holes). */
export class FileSink implements SeekableSink {
  private readonly fd: number;
  constructor(readonly path: string, flags: 'w' | 'r+' = 'w') {
    this.fd = fs.openSync(path, flags);
  }
  write(offsetBytes: number, data: Uint8Array): void {
    writeFully(this.fd, offsetBytes, data);
  }
  setSize(sizeBytes: number): void {
    fs.ftruncateSync(this.fd, sizeBytes);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}
