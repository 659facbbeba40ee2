/**
 * One layout with squashfs (gzip and zstd) and erofs (lz4hc) partitions over the sample tree, built
 * through buildImage, and one with two squashfs partitions over a larger tree (bulkTree) built with
 * or without build workers: the Node test and the Chromium worker build them and compare digests.
 * DOM-free, Node-free.
 */
import { buildImage, buildImageSigned } from '../../build/build-image.ts';
import type { InputDir, InputFile } from '../../build/input-tree.ts';
import type { BuildWorkers } from '../../build/parallel-filesystems.ts';
import type { ToolName } from '../../model/registry.ts';
import type { ImageSpec } from '../../model/spec.ts';
import { imageDigest, SAMPLE_EPOCH, sampleTree } from './sample-tree.ts';

const content = [{ source: '/sample', target: '/' }];

export const ROFS_SAMPLE_SPEC: ImageSpec = {
  table: 'gpt',
  sourceDateEpoch: SAMPLE_EPOCH,
  partitions: [
    { type: 'usr', format: 'erofs', compression: 'lz4hc', minimize: 'best', copyFiles: content },
    { type: 'root', format: 'squashfs', compression: 'zstd', minimize: 'best', copyFiles: content },
    { type: 'linux-generic', format: 'squashfs', minimize: 'best', copyFiles: content },
  ],
};

/** Build the sample layout; returns the image digest (imageDigest) and the partition sizes. */
export function buildRofsSample(loadTool: (name: ToolName) => WebAssembly.Module): { digest: string; sizes: number[] } {
  const { image, plan } = buildImage(ROFS_SAMPLE_SPEC, {
    open: () => { throw new Error('no files in this layout'); },
    openTree: () => sampleTree(),
  }, { loadTool });
  return { digest: imageDigest(image), sizes: plan.partitions.map((p) => p.sizeBytes) };
}

/** xorshift32 noise (incompressible) or text-like bytes (compressible), by seed. */
function patterned(sizeBytes: number, seed: number, text: boolean): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = text ? 0x61 + ((x >>> 8) % 6) * ((i >> 6) % 2) : x & 0xff;
  }
  return out;
}

/** About 12 MiB in 40 files of 20 KiB to 600 KiB (whole blocks and fragments), half noise, half text. */
export function bulkTree(): InputDir {
  const file = (i: number): InputFile => {
    const bytes = patterned(20_000 + ((i * 7919) % 40) * 15_000, i + 1, i % 2 === 1);
    return { kind: 'file', name: `f${i}`, mode: 0o644, mtimeSeconds: SAMPLE_EPOCH - i, sizeBytes: bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) };
  };
  return { kind: 'dir', name: '', children: [0, 1, 2, 3].map((d) => ({ kind: 'dir' as const, name: `d${d}`, mtimeSeconds: SAMPLE_EPOCH, children: Array.from({ length: 10 }, (_, k) => file(d * 10 + k)) })) };
}

export const ROFS_BULK_SPEC: ImageSpec = {
  table: 'gpt',
  sourceDateEpoch: SAMPLE_EPOCH,
  partitions: [
    { type: 'root', format: 'squashfs', compression: 'zstd', minimize: 'best', copyFiles: [{ source: '/bulk', target: '/' }] },
    { type: 'usr', format: 'squashfs', compression: 'gzip', minimize: 'best', copyFiles: [{ source: '/bulk', target: '/' }] },
  ],
};

/** Build the bulk layout, with `workers` when given; returns the digest, the partition sizes and how many workers were started. */
export async function buildRofsBulk(loadTool: (name: ToolName) => WebAssembly.Module, workers?: BuildWorkers): Promise<{ digest: string; sizes: number[]; spawned: number }> {
  let spawned = 0;
  const counted = workers ? { max: workers.max, spawn: () => (spawned++, workers.spawn()) } : undefined;
  const { image, plan } = await buildImageSigned(ROFS_BULK_SPEC, {
    open: () => { throw new Error('no files in this layout'); },
    openTree: () => bulkTree(),
  }, { loadTool }, counted);
  return { digest: imageDigest(image), sizes: plan.partitions.map((p) => p.sizeBytes), spawned };
}
