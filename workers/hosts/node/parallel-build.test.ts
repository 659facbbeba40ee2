/**
 * File systems made in worker threads (build/parallel-filesystems.ts through the Node host): an
 * ESP (vfat) + ext4 root layout built with workers is byte-for-byte the image built one file system
 * after another, the workers really ran (a partition was sent to one), a second ext4 partition also
 * made in a worker matches, and a worker's failure reaches the caller as the writer's own error.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../build/run-build.ts';
import type { ImageSpec } from '../../model/spec.ts';
import { isPartwrightError } from '../../model/errors.ts';
import { createNodeHost } from './index.ts';
import { nodeBuildWorkers } from './build-workers.ts';

let tmp: string;
const EPOCH = 1_700_000_000;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-parallel-'));
  // A small boot tree and a root tree of a few hundred files, directories and symlinks.
  const esp = path.join(tmp, 'esp', 'EFI', 'BOOT');
  fs.mkdirSync(esp, { recursive: true });
  fs.writeFileSync(path.join(esp, 'BOOTX64.EFI'), createHash('sha512').update('efi').digest().toString('hex').repeat(3000));
  for (let d = 0; d < 20; d++) {
    const dir = path.join(tmp, 'root', 'usr', `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 15; f++) fs.writeFileSync(path.join(dir, `f${f}`), Buffer.alloc(1000 * (f + 1) * (d + 1), `${d}:${f}`));
    fs.symlinkSync(`d${d}/f0`, path.join(tmp, 'root', 'usr', `l${d}`));
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The image's SHA-256 and whether `needle` is in it, read in pieces (the images are mostly holes). */
function digest(file: string, needle: Buffer): { sha256: string; found: boolean } {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 22);
  let found = false;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      h.update(buf.subarray(0, n));
      found ||= buf.subarray(0, n).includes(needle);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: h.digest('hex'), found };
}

async function build(spec: ImageSpec, name: string, workers: 'none' | { max: number; counted: { spawned: number } }): Promise<{ sha256: string; found: boolean; mapped: unknown }> {
  const out = path.join(tmp, name);
  const host = createNodeHost({ resolve: (p) => path.join(tmp, p), storePath: `${out}.store`, parallel: workers !== 'none' });
  if (typeof workers === 'object') {
    const inner = nodeBuildWorkers(workers.max);
    host.workers = { max: workers.max, spawn: () => (workers.counted.spawned++, inner.spawn()) };
  }
  try {
    const r = await runBuild(spec, host, { output: { format: 'raw', name: out }, partitionDigests: true });
    const d = digest(out, Buffer.from('BOOTX64 EFI'));
    fs.rmSync(out);
    // What the engine knows it wrote (the bmap's ranges, per-partition digests): the workers' ranges too.
    return { ...d, mapped: { ranges: r.image.dataRanges(), digests: r.partitionDigests } };
  } finally {
    host.dispose();
  }
}

const espRoot: ImageSpec = {
  table: 'gpt',
  sourceDateEpoch: EPOCH,
  sizeBytes: 512 * 2 ** 20,
  partitions: [
    { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 64 * 2 ** 20, sizeMaxBytes: 64 * 2 ** 20, copyFiles: [{ source: 'esp', target: '/' }] },
    { type: 'root', label: 'root', format: 'ext4', sizeMinBytes: 96 * 2 ** 20, copyFiles: [{ source: 'root', target: '/' }] },
  ],
};

describe('file systems made in worker threads', () => {
  it('an ESP + ext4 root image is byte-identical to the one-at-a-time build, and a worker made a partition', async () => {
    const counted = { spawned: 0 };
    const sequential = await build(espRoot, 'seq.img', 'none');
    const parallel = await build(espRoot, 'par.img', { max: 1, counted });
    expect(counted.spawned).toBe(1);
    expect(parallel.sha256).toBe(sequential.sha256);
    expect(parallel.mapped).toEqual(sequential.mapped);
    // Not two empty images: the ESP's directory entry for the boot file is in both.
    expect(sequential.found && parallel.found).toBe(true);
  }, 120_000);

  it('two ext4 partitions and an ESP over two workers: the same bytes as one at a time', async () => {
    const spec: ImageSpec = {
      ...espRoot,
      sizeBytes: 640 * 2 ** 20,
      partitions: [...espRoot.partitions, { type: 'home', label: 'home', format: 'ext4', sizeMinBytes: 64 * 2 ** 20, makeDirectories: ['/alice', '/bob'], copyFiles: [{ source: 'root/usr/d3', target: '/alice/d3' }] }],
    };
    const counted = { spawned: 0 };
    const sequential = await build(spec, 'seq3.img', 'none');
    const parallel = await build(spec, 'par3.img', { max: 2, counted });
    expect(counted.spawned).toBe(2);
    expect(parallel.sha256).toBe(sequential.sha256);
    expect(parallel.mapped).toEqual(sequential.mapped);
  }, 120_000);

  it("a worker's failure is the writer's own error", async () => {
    // 2 MiB of FAT cannot hold the boot file: the vfat writer refuses, in its worker.
    const spec: ImageSpec = { ...espRoot, partitions: [{ ...espRoot.partitions[0]!, sizeMinBytes: 2 * 2 ** 20, sizeMaxBytes: 2 * 2 ** 20, copyFiles: [{ source: 'root', target: '/' }] }, espRoot.partitions[1]!] };
    const counted = { spawned: 0 };
    const seqError = await build(spec, 'fail-seq.img', 'none').then(() => undefined, (e: unknown) => e);
    const parError = await build(spec, 'fail-par.img', { max: 1, counted }).then(() => undefined, (e: unknown) => e);
    expect(isPartwrightError(seqError)).toBe(true);
    expect(isPartwrightError(parError)).toBe(true);
    expect((parError as Error).message).toBe((seqError as Error).message);
    expect(fs.existsSync(path.join(tmp, 'fail-par.img'))).toBe(false);
  }, 120_000);
});
