/**
 * `Format=squashfs` and `Format=erofs`: read-only file systems made whole from the partition's tree
 * (the squashfs writer in workers/formats/squashfs, mkfs.erofs.wasm). Their size is what they come
 * to, so they are made before planning (for the partition's minimum) into memory, and the made bytes
 * are copied into the partition once it is placed. `Compression=` / `CompressionLevel=` (repart 257)
 * choose the compressor: squashfs gzip (default, as mksquashfs) or zstd; erofs none (default), lz4,
 * lz4hc or lzma. squashfs has no UUID or label; erofs gets repart's file system UUID (derived from the
 * partition UUID) patched into the made image once the partition exists.
 */
import { writeSquashfs } from '../formats/squashfs/index.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { PartitionSpec } from '../model/spec.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import type { PlannedPartition } from '../plan/types.ts';
import { MemoryImage } from '../tools/image-window.ts';
import { EROFS_COMPRESSIONS, erofsUuidFromPartitionUuid, makeErofs, setErofsUuid, type ErofsCompression } from '../tools/mkfs-erofs.ts';
import { SQUASHFS_COMPRESSIONS, squashfsCompressor, type SquashfsCompressionName, type SquashfsCompressorRecipe } from '../tools/squashfs-compressors.ts';
import type { BuildWorkers } from './parallel-filesystems.ts';
import { squashfsWorkerCount, writeSquashfsInWorkers } from './squashfs-workers.ts';
import type { ToolName } from '../model/registry.ts';
import type { FileSystemContext, FileSystemKind } from './filesystems.ts';
import type { InputDir } from './input-tree.ts';

const GRAIN_BYTES = 4096;
/** Any UUID will do while only the size is wanted; the real one is patched in (setErofsUuid). */
const PROBE_UUID = '00000000-0000-4000-8000-000000000000';

function tool(ctx: FileSystemContext, name: ToolName, format: string): WebAssembly.Module {
  if (!ctx.loadTool) throw new PartwrightError(ErrorCode.Unsupported, `Format=${format} needs ${name}.wasm, which this host did not load.`);
  return ctx.loadTool(name);
}

/** Made images by tree: Minimize= sizing makes the image, the build copies it. */
const made = new WeakMap<InputDir, { key: string; image: MemoryImage }>();

function settingsKey(format: string, spec: PartitionSpec, ctx: FileSystemContext): string {
  return JSON.stringify([format, spec.compression ?? null, spec.compressionLevel ?? null, ctx.sourceDateEpoch]);
}

/** The compressor a squashfs partition's Compression=/CompressionLevel= name, as a recipe workers can be sent too. */
function squashfsRecipe(spec: PartitionSpec, ctx: FileSystemContext): SquashfsCompressorRecipe {
  const name = spec.compression ?? 'gzip';
  if (!(SQUASHFS_COMPRESSIONS as readonly string[]).includes(name)) {
    throw new PartwrightError(ErrorCode.Unsupported, `Compression=${name} is not available for squashfs here; use ${SQUASHFS_COMPRESSIONS.join(' or ')}.`, { where: 'compression' });
  }
  const toolName = name === 'zstd' ? 'zstd' : name === 'xz' ? 'xz' : 'zlib';
  return { name: name as SquashfsCompressionName, module: tool(ctx, toolName, 'squashfs'), ...(spec.compressionLevel !== undefined ? { level: spec.compressionLevel } : {}) };
}

export function makeSquashfs(spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext): MemoryImage {
  const image = new MemoryImage();
  writeSquashfs(image, tree, { compressor: squashfsCompressor(squashfsRecipe(spec, ctx)), sourceDateEpoch: ctx.sourceDateEpoch });
  return image;
}

/** makeSquashfs with the blocks compressed in `workers` (build/squashfs-workers.ts): the same bytes. */
export async function makeSquashfsInWorkers(spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, workers: BuildWorkers | undefined): Promise<MemoryImage> {
  const image = new MemoryImage();
  await writeSquashfsInWorkers(image, tree, { recipe: squashfsRecipe(spec, ctx), sourceDateEpoch: ctx.sourceDateEpoch }, workers, squashfsWorkerCount(tree, workers));
  return image;
}

function makeErofsImage(spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, uuid: string): MemoryImage {
  if (spec.compression !== undefined && !(EROFS_COMPRESSIONS as readonly string[]).includes(spec.compression)) {
    throw new PartwrightError(ErrorCode.Unsupported, `Compression=${spec.compression} is not available for erofs here; use ${EROFS_COMPRESSIONS.join(' or ')}, or leave it out.`, { where: 'compression' });
  }
  const image = new MemoryImage();
  makeErofs(image, {
    module: tool(ctx, 'mkfs.erofs', 'erofs'), tree, uuid, sourceDateEpoch: ctx.sourceDateEpoch,
    ...(spec.compression !== undefined ? { compression: spec.compression as ErofsCompression } : {}),
    ...(spec.compressionLevel !== undefined ? { compressionLevel: spec.compressionLevel } : {}),
  });
  return image;
}

function readOnlyKind(
  format: 'squashfs' | 'erofs',
  build: (spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, uuid: string) => MemoryImage,
  buildInWorkers?: (spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, workers: BuildWorkers) => Promise<MemoryImage>,
): FileSystemKind {
  const imageFor = (spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, uuid: string) => {
    const key = settingsKey(format, spec, ctx);
    const cached = made.get(tree);
    if (cached?.key === key) return cached.image;
    const image = build(spec, tree, ctx, uuid);
    made.set(tree, { key, image });
    return image;
  };
  return {
    madeBeforePlanning: true,
    ...(buildInWorkers ? {
      async makeInWorkers(spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, workers: BuildWorkers) {
        const key = settingsKey(format, spec, ctx);
        if (made.get(tree)?.key === key) return;
        made.set(tree, { key, image: await buildInWorkers(spec, tree, ctx, workers) });
      },
    } : {}),
    minimumSizeBytes(spec, _label, tree, ctx) {
      const sizeBytes = Math.ceil(imageFor(spec, tree, ctx, spec.fileSystemUuid ?? PROBE_UUID).sizeBytes / GRAIN_BYTES) * GRAIN_BYTES;
      if (spec.sizeMaxBytes !== undefined && sizeBytes > spec.sizeMaxBytes) {
        throw new PartwrightError(ErrorCode.DoesNotFit, `The ${format} image of this partition is ${sizeBytes} bytes, more than SizeMaxBytes=${spec.sizeMaxBytes}; raise SizeMaxBytes= to at least ${sizeBytes}.`, { where: 'sizeMaxBytes' });
      }
      return sizeBytes;
    },
    make(image: SparseImage, p: PlannedPartition, tree: InputDir, ctx: FileSystemContext) {
      const uuid = p.spec.fileSystemUuid ?? erofsUuidFromPartitionUuid(p.uuid);
      const fsImage = imageFor(p.spec, tree, ctx, uuid);
      if (format === 'erofs') setErofsUuid(fsImage, uuid);
      if (fsImage.sizeBytes > p.sizeBytes) {
        throw new PartwrightError(ErrorCode.DoesNotFit, `The ${format} image of partition '${p.label}' is ${fsImage.sizeBytes} bytes, larger than the partition (${p.sizeBytes}); raise SizeMinBytes= or set Minimize=best.`, { where: `partitions.${p.specIndex}.sizeMinBytes` });
      }
      // Start from a hole: what the window held before must not show through the image's gaps.
      for (const r of image.dataRanges(p.offsetBytes, p.sizeBytes)) image.discard(r.offsetBytes, r.sizeBytes);
      for (const e of fsImage.extents()) image.write(p.offsetBytes + e.offsetBytes, e.data);
    },
  };
}

export const readOnlyFileSystems: Record<'squashfs' | 'erofs', FileSystemKind> = {
  squashfs: readOnlyKind('squashfs', (spec, tree, ctx) => makeSquashfs(spec, tree, ctx), makeSquashfsInWorkers),
  erofs: readOnlyKind('erofs', makeErofsImage),
};

/** Compression= / CompressionLevel= only mean something for these; refuse them elsewhere rather than ignore them. */
export function checkCompressionKeys(spec: PartitionSpec, where: string): void {
  if ((spec.compression !== undefined || spec.compressionLevel !== undefined) && spec.format !== 'squashfs' && spec.format !== 'erofs') {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Compression=/CompressionLevel= apply to Format=squashfs or erofs; partition has Format=${spec.format ?? '(none)'}.`, { where });
  }
}
