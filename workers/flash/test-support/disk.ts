/**
 * Test disks and helpers for the flash tests: a GPT disk with two labelled partitions holding
 * random-looking data, runs of one word (FILL chunks), zero blocks and holes; an in-process transport
 * to the simulator; checks on the simulator's write log. Node only (tests).
 */
import { SparseImage } from '../../disk/sparse-image.ts';
import { encodeGpt } from '../../formats/gpt/index.ts';
import type { ImageRange } from '../../formats/outputs/image-source.ts';
import type { FastbootSimDevice, SimWrite } from '../../../server/fastboot-sim/device.ts';
import { FlashError, FlashProblem } from '../errors.ts';
import type { FastbootTransport } from '../transport.ts';

const MiB = 1 << 20;
const LINUX_FS = '0fc63daf-8483-4772-8e79-3d69d8477de4';
const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

/** Deterministic bytes (xorshift), so failures reproduce. */
export function noise(sizeBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface TestDisk {
  image: SparseImage;
  boot: ImageRange;
  rootfs: ImageRange;
}

/** A GPT disk of `diskMiB` MiB: `boot` at 1 MiB (2 MiB), `rootfs` after it up to the backup GPT. */
export function makeGptDisk(diskMiB = 8, seed = 7): TestDisk {
  const sizeBytes = diskMiB * MiB;
  const image = new SparseImage(sizeBytes);
  const bootLba = 2048;
  const rootLba = bootLba + (2 * MiB) / 512;
  const lastLba = sizeBytes / 512 - 34;
  const regions = encodeGpt({
    diskGuid: '5b0a3f3e-8f2c-4d7e-9a41-0c9a6f0d1e2b',
    sectorSizeBytes: 512,
    diskSizeBytes: sizeBytes,
    partitions: [
      { typeGuid: ESP, uniqueGuid: '0a1b2c3d-0000-4000-8000-000000000001', firstLba: bootLba, lastLba: rootLba - 1, name: 'boot' },
      { typeGuid: LINUX_FS, uniqueGuid: '0a1b2c3d-0000-4000-8000-000000000002', firstLba: rootLba, lastLba, name: 'rootfs' },
    ],
  });
  const boot = { offsetBytes: bootLba * 512, sizeBytes: (rootLba - bootLba) * 512 };
  const rootfs = { offsetBytes: rootLba * 512, sizeBytes: (lastLba - rootLba + 1) * 512 };
  // boot: 300 KiB of data, a hole, 64 KiB more.
  image.write(boot.offsetBytes, noise(300 * 1024, seed));
  image.write(boot.offsetBytes + 1024 * 1024, noise(64 * 1024, seed + 1));
  // rootfs: data, a run of one word (FILL), written zeros, data touching the partition's end.
  image.write(rootfs.offsetBytes, noise(700 * 1024, seed + 2));
  image.write(rootfs.offsetBytes + MiB, new Uint8Array(128 * 1024).fill(0xa5));
  image.write(rootfs.offsetBytes + 2 * MiB, new Uint8Array(16 * 1024));
  image.write(rootfs.offsetBytes + rootfs.sizeBytes - 5000, noise(5000, seed + 3));
  // Tables last, as the builder does.
  for (const r of regions) image.write(r.offsetBytes, r.bytes);
  return { image, boot, rootfs };
}

/** A transport straight into a simulator session (no sockets): replies queue up, disconnects reject. */
export function directTransport(device: FastbootSimDevice): FastbootTransport & { closed: boolean } {
  const replies: Uint8Array[] = [];
  let waiter: ((p: Uint8Array | FlashError) => void) | undefined;
  let gone: FlashError | undefined;
  const deliver = (p: Uint8Array | FlashError): void => {
    const w = waiter;
    waiter = undefined;
    if (w) w(p);
    else if (p instanceof Uint8Array) replies.push(p);
  };
  const session = device.session({
    reply: (p) => deliver(p),
    disconnect: () => {
      gone = new FlashError(FlashProblem.Disconnected, 'the simulator dropped the connection');
      deliver(gone);
    },
  });
  const t = {
    closed: false,
    description: 'the fastboot simulator',
    async send(data: Uint8Array) {
      if (gone) throw gone;
      session.handle(data.slice());
    },
    async receive() {
      const next = replies.shift();
      if (next) return next;
      if (gone) throw gone;
      const p = await new Promise<Uint8Array | FlashError>((resolve) => (waiter = resolve));
      if (p instanceof FlashError) throw p;
      return p;
    },
    async close() {
      t.closed = true;
      gone ??= new FlashError(FlashProblem.Disconnected, 'closed');
      deliver(gone);
    },
  };
  return t;
}

function overlaps(w: SimWrite, ranges: readonly ImageRange[]): boolean {
  return ranges.some((r) => w.offsetBytes < r.offsetBytes + r.sizeBytes && r.offsetBytes < w.offsetBytes + w.sizeBytes);
}

/**
 * Checks the write order: every write that touches a table range and carries the real table comes
 * after every write outside the table ranges. Returns the writes split by side.
 */
export function tableWritesLast(writes: readonly SimWrite[], tableRanges: readonly ImageRange[]): { ok: boolean; lastData: number; firstFinalTable: number } {
  const dataSeqs = writes.filter((w) => !overlaps(w, tableRanges)).map((w) => w.seq);
  const lastData = Math.max(-1, ...dataSeqs);
  const tableSeqs = writes.filter((w) => overlaps(w, tableRanges) && w.kind === 'sparse-raw').map((w) => w.seq);
  const firstFinalTable = Math.min(Number.POSITIVE_INFINITY, ...tableSeqs);
  return { ok: tableSeqs.length > 0 && firstFinalTable > lastData, lastData, firstFinalTable };
}
