/**
 * One layout with squashfs (gzip and zstd) and erofs (lz4hc) partitions over the sample tree, built
 * through buildImage: the Node test and the Chromium worker build it and compare digests. DOM-free,
 * Node-free.
 */
import { buildImage } from '../../build/build-image.ts';
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
