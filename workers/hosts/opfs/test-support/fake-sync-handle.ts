/** A FileSystemSyncAccessHandle over a growable byte array (OPFS does not run in Node), counting writes. */
import type { SyncAccessHandle } from '../files.ts';

export class FakeSyncHandle implements SyncAccessHandle {
  bytes = new Uint8Array(0);
  writes = 0;
  closed = false;
  read(target: Uint8Array, { at }: { at: number }): number {
    const n = Math.max(0, Math.min(target.length, this.bytes.length - at));
    target.set(this.bytes.subarray(at, at + n));
    return n;
  }
  write(data: Uint8Array, { at }: { at: number }): number {
    this.writes++;
    if (at + data.length > this.bytes.length) this.truncate(at + data.length);
    this.bytes.set(data, at);
    return data.length;
  }
  truncate(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, Math.min(size, this.bytes.length)));
    this.bytes = next;
  }
  getSize(): number {
    return this.bytes.length;
  }
  flush(): void {}
  close(): void {
    this.closed = true;
  }
}
