/**
 * `Format=`: making a partition's file system and populating it from its content tree. One entry per
 * file system type; each knows its smallest size for the content (Minimize=) and how to write itself
 * into the image at the partition's offset. Identities follow systemd-repart: labels from the
 * partition label, volume IDs and UUIDs derived from the partition UUID.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { PartitionSpec } from '../model/spec.ts';
import { mangleFatLabel, minimumFatSizeBytes, vfatVolumeIdFromPartitionUuid, writeFat, type FatEntryInput } from '../formats/fat/index.ts';
import { uuidToBytes } from '../model/uuid.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import { ext4UuidFromPartitionUuid, formatExt4 } from '../tools/mke2fs.ts';
import { minimalExt4SizeBytes } from '../tools/ext4-minimize.ts';
import type { PlannedPartition } from '../plan/types.ts';
import { deriveUuid } from '../plan/uuid.ts';
import { DEFAULT_SWAP_PAGE_BYTES, SWAP_MIN_PAGES, encodeSwapHeader, swapHeaderFor } from '../formats/swap/index.ts';
import type { InputDir, InputEntry } from './input-tree.ts';
import { FILE_SYSTEMS, type FileSystemName, type ToolName } from '../model/registry.ts';
import { readOnlyFileSystems } from './read-only-filesystems.ts';
import type { BuildWorkers } from './parallel-filesystems.ts';

export interface FileSystemContext {
  sectorSizeBytes: number;
  sourceDateEpoch: number;
  /** The host's compiled WASM tools, loaded before the build for the registry rows a layout uses. */
  loadTool?: (name: ToolName) => WebAssembly.Module;
}

export interface FileSystemKind {
  /**
   * Read-only file systems (squashfs, erofs) are made whole from their tree before planning: the
   * made image's size is always the partition's minimum (repart makes them in a file first), and
   * Minimize= pins the partition to it.
   */
  readonly madeBeforePlanning?: boolean;
  /**
   * A file system made before planning can be made ahead with the build's workers (squashfs: its
   * blocks compressed on every core); minimumSizeBytes and make then use the image made here.
   */
  makeInWorkers?(spec: PartitionSpec, tree: InputDir, ctx: FileSystemContext, workers: BuildWorkers): Promise<void>;
  /** The smallest partition (4 KiB multiple) that holds `tree`; throws naming the bytes needed when over `maxBytes`. */
  minimumSizeBytes(spec: PartitionSpec, label: string | undefined, tree: InputDir, ctx: FileSystemContext): number;
  make(image: SparseImage, p: PlannedPartition, tree: InputDir, ctx: FileSystemContext): void;
}

/** FAT has no symlinks, owners or modes: refuse a symlink by its path rather than dropping it. */
export function toFatTree(dir: InputDir, path: string): FatEntryInput[] {
  return dir.children.map((c: InputEntry): FatEntryInput => {
    const p = `${path}/${c.name}`;
    switch (c.kind) {
      case 'file':
        return { kind: 'file', name: c.name, sizeBytes: c.sizeBytes, ...(c.mtimeSeconds !== undefined ? { mtimeSeconds: c.mtimeSeconds } : {}), read: c.read, ...(c.ref !== undefined ? { ref: c.ref } : {}) };
      case 'dir':
        return { kind: 'dir', name: c.name, ...(c.mtimeSeconds !== undefined ? { mtimeSeconds: c.mtimeSeconds } : {}), children: toFatTree(c, p) };
      case 'symlink':
        throw new PartwrightError(ErrorCode.InvalidSpec, `${p} is a symlink, which FAT cannot hold; copy its target instead (vfat).`);
    }
  });
}

function fatType(spec: PartitionSpec): 12 | 16 | 32 {
  // systemd-repart runs mkfs.vfat -F 32; FATType= (Partwright) chooses otherwise.
  return spec.fatType ?? 32;
}

function fatVolumeId(p: PlannedPartition): number {
  if (p.spec.volumeId !== undefined) return p.spec.volumeId;
  if (p.spec.fileSystemUuid !== undefined) {
    const b = uuidToBytes(p.spec.fileSystemUuid);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
  return vfatVolumeIdFromPartitionUuid(p.uuid);
}

const vfat: FileSystemKind = {
  minimumSizeBytes(spec, label, tree, ctx) {
    return minimumFatSizeBytes(toFatTree(tree, ''), {
      fatType: fatType(spec),
      sectorBytes: ctx.sectorSizeBytes as 512 | 1024 | 2048 | 4096,
      ...(label !== undefined ? { label: mangleFatLabel(label) } : {}),
      ...(spec.sizeMaxBytes !== undefined ? { maxSizeBytes: spec.sizeMaxBytes } : {}),
    });
  },
  make(image, p, tree, ctx) {
    writeFat(image, p.offsetBytes, {
      sizeBytes: p.sizeBytes,
      sectorBytes: ctx.sectorSizeBytes as 512 | 1024 | 2048 | 4096,
      fatType: fatType(p.spec),
      hiddenSectors: p.offsetBytes / ctx.sectorSizeBytes,
      volumeId: fatVolumeId(p),
      label: mangleFatLabel(p.label),
      epochSeconds: ctx.sourceDateEpoch,
    }, toFatTree(tree, ''));
  },
};

function mke2fs(ctx: FileSystemContext): WebAssembly.Module {
  if (!ctx.loadTool) throw new PartwrightError(ErrorCode.Unsupported, 'Format=ext4 needs mke2fs.wasm, which this host did not load.');
  return ctx.loadTool('mke2fs');
}

/** repart: the file system UUID derives from the partition UUID unless given; Partwright seeds the directory hash with it. */
function ext4Uuid(p: PlannedPartition): string {
  return p.spec.fileSystemUuid ?? ext4UuidFromPartitionUuid(p.uuid);
}

const ext4: FileSystemKind = {
  minimumSizeBytes(spec, label, tree, ctx) {
    // The size does not depend on the UUIDs: any fixed ones will do for the trial runs.
    const probe = spec.fileSystemUuid ?? '00000000-0000-4000-8000-000000000000';
    const { sizeBytes } = minimalExt4SizeBytes({
      module: mke2fs(ctx), uuid: probe, hashSeed: probe, sourceDateEpoch: ctx.sourceDateEpoch, tree,
      ...(label !== undefined ? { label: label.slice(0, 16) } : {}),
    });
    if (spec.sizeMaxBytes !== undefined && sizeBytes > spec.sizeMaxBytes) {
      throw new PartwrightError(ErrorCode.DoesNotFit, `The ext4 contents need ${sizeBytes} bytes, more than SizeMaxBytes=${spec.sizeMaxBytes}; raise SizeMaxBytes= to at least ${sizeBytes}.`);
    }
    return sizeBytes;
  },
  make(image, p, tree, ctx) {
    const uuid = ext4Uuid(p);
    formatExt4(image, {
      module: mke2fs(ctx),
      offsetBytes: p.offsetBytes,
      sizeBytes: p.sizeBytes,
      label: p.label.slice(0, 16),
      uuid,
      hashSeed: uuid,
      rootOwner: { uid: 0, gid: 0 },
      sourceDateEpoch: ctx.sourceDateEpoch,
      tree,
    });
  },
};

/** repart derives every file system UUID the same way: v4(HMAC-SHA256(partition UUID, "file-system-uuid")). */
export function fileSystemUuidOf(p: PlannedPartition): string {
  return p.spec.fileSystemUuid ?? deriveUuid(p.uuid, 'file-system-uuid');
}

/** `Format=swap`: the SWAPSPACE2 header page (what `mkswap -L LABEL -U UUID` writes); the rest stays a hole. */
const swap: FileSystemKind = {
  minimumSizeBytes(spec) {
    if ((spec.copyFiles?.length ?? 0) > 0 || (spec.makeDirectories?.length ?? 0) > 0 || (spec.storePaths?.length ?? 0) > 0) {
      throw new PartwrightError(ErrorCode.InvalidSpec, 'Format=swap holds no files; remove CopyFiles=/MakeDirectories=/StorePaths=.');
    }
    return SWAP_MIN_PAGES * DEFAULT_SWAP_PAGE_BYTES;
  },
  make(image, p, tree) {
    if (tree.children.length > 0) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Format=swap (partition '${p.label}') holds no files; remove CopyFiles=/MakeDirectories=/StorePaths=.`, {
        where: `partitions.${p.specIndex}.copyFiles`,
      });
    }
    image.write(p.offsetBytes, encodeSwapHeader(swapHeaderFor(p.sizeBytes, fileSystemUuidOf(p), p.label)));
  },
};

/** One maker per registry row (workers/model/registry.ts): the compiler insists on both. */
const MAKERS: Record<FileSystemName, FileSystemKind> = { vfat, ext4, squashfs: readOnlyFileSystems.squashfs, erofs: readOnlyFileSystems.erofs, swap };

export function fileSystemKind(format: string, where: string, label: string): FileSystemKind {
  const kind = (MAKERS as Record<string, FileSystemKind | undefined>)[format];
  if (!kind) {
    throw new PartwrightError(
      ErrorCode.Unsupported,
      `Format=${format} (partition '${label}'): Partwright makes ${FILE_SYSTEMS.map((f) => f.name).join(', ')} so far; leave Format= out, or use CopyBlocks= with a prebuilt file system image.`,
      { where },
    );
  }
  return kind;
}
