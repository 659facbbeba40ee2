/**
 * Table=iso: the image is an ISO9660 file system (Rock Ridge, Joliet) made from the layout's
 * Format=iso9660 definition (its Label= is the volume ID, its CopyFiles=/MakeDirectories= the
 * contents), with El Torito entries for BIOS (a boot file in the tree) and EFI (a FAT image made from
 * the layout's ESP definition), and optionally an isohybrid MBR + GPT so it also boots as a disk.
 * What NixOS's isoImage does with xorriso, from the same kind of layout as every other image.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { DEFAULT_ARCHITECTURE, DEFAULT_SEED } from '../model/spec.ts';
import { resolvePartitionType } from '../model/partition-types.ts';
import { mangleFatLabel, minimumFatSizeBytes, vfatVolumeIdFromPartitionUuid, writeFat } from '../formats/fat/index.ts';
import { planIso, writeIso, type IsoEntryInput, type IsoOptions, type IsoWriteResult } from '../formats/iso9660/index.ts';
import { deriveDiskGuid, deriveMbrDiskId, derivePartitionUuid } from '../plan/uuid.ts';
import type { ImagePlan } from '../plan/types.ts';
import type { ByteStore } from '../disk/byte-store.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { definitionTree, type InputDir, type TreeCopy } from './input-tree.ts';
import { toFatTree } from './filesystems.ts';
import { makeSquashfs, makeSquashfsInWorkers } from './read-only-filesystems.ts';
import type { BuildWorkers } from './parallel-filesystems.ts';
import type { MemoryImage } from '../tools/image-window.ts';
import type { ToolName } from '../model/registry.ts';
import type { BuildInputs, BuildProgress } from './build-image.ts';

export interface IsoBuildOptions {
  seed?: string;
  sourceDateEpoch?: number;
  store?: ByteStore;
  onProgress?: (p: BuildProgress) => void;
  /** More content per definition (by index in spec.partitions): staged Nix closures. */
  extraTrees?: Record<number, TreeCopy[]>;
  /** The host's compiled WASM tools (the squashfs compressors of ISOPath= images). */
  loadTool?: (name: ToolName) => WebAssembly.Module;
  /** ISOPath= squashfs images already made (makeIsoSquashfsImages), by definition index. */
  squashfsImages?: ReadonlyMap<number, MemoryImage>;
}

export interface IsoReport {
  volumeId: string;
  sizeBytes: number;
  bootEntries: IsoWriteResult['bootEntries'];
  /** The FAT image of the EFI entry: where it is in the ISO and how big. */
  efiImage: { path: string; sizeBytes: number } | undefined;
  /** The squashfs images (ISOPath=) placed in the ISO: where and how big. */
  squashfsImages: { path: string; sizeBytes: number }[];
  isohybrid: boolean;
  fileCount: number;
}

function treeFor(ps: PartitionSpec, inputs: BuildInputs, extra: readonly TreeCopy[] = []): InputDir {
  return definitionTree(ps, inputs, extra);
}

/** The content tree as the ISO writer's flat list of paths (directories before their children). */
function isoEntries(dir: InputDir, prefix: string, out: IsoEntryInput[]): IsoEntryInput[] {
  for (const c of dir.children) {
    const path = `${prefix}${c.name}`;
    const meta = { path, uid: c.uid ?? 0, gid: c.gid ?? 0, ...(c.mtimeSeconds !== undefined ? { mtimeSeconds: c.mtimeSeconds } : {}) };
    if (c.kind === 'dir') {
      out.push({ ...meta, kind: 'dir', sizeBytes: 0, mode: c.mode ?? 0o755 });
      isoEntries(c, `${path}/`, out);
    } else if (c.kind === 'symlink') {
      out.push({ ...meta, kind: 'symlink', sizeBytes: 0, mode: c.mode ?? 0o777, target: c.target });
    } else {
      out.push({ ...meta, kind: 'file', sizeBytes: c.sizeBytes, mode: c.mode ?? 0o644, read: c.read });
    }
  }
  return out;
}

/**
 * A staged closure (`/nix/store/…` and `/nix-path-registration`) as NixOS's store image holds it:
 * each store path's directory and the registration at the root (make-squashfs.nix). Other trees
 * pass through.
 */
function storeImageLayout(copies: readonly TreeCopy[]): TreeCopy[] {
  return copies.flatMap((c) => {
    if (c.target !== '/' || c.entry.kind !== 'dir') return [c];
    const nix = c.entry.children.find((e) => e.name === 'nix');
    const store = nix?.kind === 'dir' ? nix.children.find((e) => e.name === 'store') : undefined;
    if (!store || store.kind !== 'dir') return [c];
    const rest = c.entry.children.filter((e) => e !== nix);
    return [...store.children, ...rest].map((entry) => ({ target: `/${entry.name}`, entry }));
  });
}

/** Add a made image as a file of the ISO, with its parent directories. */
function addImageFile(entries: IsoEntryInput[], path: string, sizeBytes: number, read: (offsetBytes: number, target: Uint8Array) => void, what: string, where: string): void {
  if (entries.some((e) => e.path === path)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `${what}=/${path} is also a file in the ISO contents; choose another path.`, { where });
  }
  const parents = path.split('/').slice(0, -1);
  for (let i = 1; i <= parents.length; i++) {
    const dir = parents.slice(0, i).join('/');
    if (!entries.some((e) => e.path === dir)) entries.push({ path: dir, kind: 'dir', sizeBytes: 0, mode: 0o755, uid: 0, gid: 0 });
  }
  entries.push({ path, kind: 'file', sizeBytes, mode: 0o644, uid: 0, gid: 0, read });
}

function isEsp(ps: PartitionSpec, spec: ImageSpec): boolean {
  return resolvePartitionType(ps.type, spec.architecture ?? DEFAULT_ARCHITECTURE)?.known?.role === 'esp';
}

/** The definitions that become squashfs images inside the ISO (ISOPath=, not the ESP). */
function squashfsImageDefs(spec: ImageSpec): PartitionSpec[] {
  return spec.partitions.filter((p) => p.format === 'squashfs' && p.isoPath !== undefined && !isEsp(p, spec));
}

/**
 * The ISOPath= squashfs images of an ISO layout made ahead with the build's workers (their blocks
 * compressed on every core), for buildIsoImage's `squashfsImages`: the same bytes it makes. One that
 * cannot be made is left to buildIsoImage, which reports it in its order.
 */
export async function makeIsoSquashfsImages(spec: ImageSpec, inputs: BuildInputs, options: Pick<IsoBuildOptions, 'sourceDateEpoch' | 'extraTrees' | 'loadTool'>, workers: BuildWorkers): Promise<Map<number, MemoryImage>> {
  const sourceDateEpoch = spec.sourceDateEpoch ?? options.sourceDateEpoch ?? 0;
  const made = new Map<number, MemoryImage>();
  for (const d of squashfsImageDefs(spec)) {
    const index = spec.partitions.indexOf(d);
    try {
      const tree = treeFor(d, inputs, storeImageLayout(options.extraTrees?.[index] ?? []));
      made.set(index, await makeSquashfsInWorkers(d, tree, { sectorSizeBytes: 512, sourceDateEpoch, ...(options.loadTool ? { loadTool: options.loadTool } : {}) }, workers));
    } catch {
      // buildIsoImage makes it again and throws its error after the layout's own checks.
    }
  }
  return made;
}

export function buildIsoImage(spec: ImageSpec, inputs: BuildInputs, options: IsoBuildOptions = {}): { plan: ImagePlan; image: SparseImage; report: IsoReport } {
  const progress = options.onProgress ?? (() => {});
  const seed = options.seed ?? spec.seed ?? DEFAULT_SEED;
  const sourceDateEpoch = spec.sourceDateEpoch ?? options.sourceDateEpoch ?? 0;
  const isoDefs = spec.partitions.filter((p) => p.format === 'iso9660');
  if (isoDefs.length !== 1) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Table=iso needs exactly one definition with Format=iso9660 (its CopyFiles= are the ISO's contents); found ${isoDefs.length}.`, { where: 'partitions' });
  }
  const isoDef = isoDefs[0]!;
  const others = spec.partitions.filter((p) => p !== isoDef);
  const espDefs = others.filter((p) => isEsp(p, spec));
  const imageDefs = others.filter((p) => p.isoPath !== undefined && !espDefs.includes(p));
  const stray = others.filter((p) => !espDefs.includes(p) && !imageDefs.includes(p));
  if (espDefs.length > 1 || stray.length > 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Table=iso takes one Format=iso9660 definition, at most one ESP (the EFI boot image) and Format=squashfs definitions with ISOPath= (images inside the ISO); remove the other definitions.', { where: 'partitions' });
  }
  for (const d of [...imageDefs, ...espDefs.filter((p) => p.isoPath !== undefined)]) {
    if (d.format !== 'squashfs') {
      throw new PartwrightError(ErrorCode.InvalidSpec, `ISOPath= makes a squashfs image inside the ISO: set Format=squashfs on that definition (it has ${d.format ?? 'no Format='}).`, { where: `partitions.${spec.partitions.indexOf(d)}.format` });
    }
  }
  progress({ stage: 'plan', doneBytes: 0, totalBytes: 0 });

  const entries = isoEntries(treeFor(isoDef, inputs, options.extraTrees?.[spec.partitions.indexOf(isoDef)]), '', []);

  // The EFI El Torito image: a FAT volume made from the ESP definition, placed into the tree.
  let efiImage: IsoReport['efiImage'];
  const espDef = espDefs[0];
  if (espDef) {
    if (espDef.format !== undefined && espDef.format !== 'vfat') {
      throw new PartwrightError(ErrorCode.InvalidSpec, `The ESP of an ISO becomes a FAT image: Format=${espDef.format} cannot be used there.`, { where: 'partitions.esp.format' });
    }
    const espTree = toFatTree(treeFor(espDef, inputs), '');
    const label = mangleFatLabel(espDef.label ?? 'EFIBOOT');
    const sizeBytes = espDef.sizeMinBytes ?? minimumFatSizeBytes(espTree, { label, ...(espDef.fatType ? { fatType: espDef.fatType } : {}) });
    const partitionUuid = espDef.uuid ?? derivePartitionUuid(seed, resolvePartitionType(espDef.type)!.guid, 0);
    const fat = new SparseImage(sizeBytes);
    progress({ stage: 'filesystems', doneBytes: 0, totalBytes: sizeBytes, detail: 'vfat EFI image' });
    writeFat(fat, 0, {
      sizeBytes,
      ...(espDef.fatType ? { fatType: espDef.fatType } : {}),
      volumeId: espDef.volumeId ?? vfatVolumeIdFromPartitionUuid(partitionUuid),
      label,
      epochSeconds: sourceDateEpoch,
    }, espTree);
    const path = (isoDef.isoEfiImage ?? '/boot/efi.img').replace(/^\/+/, '');
    addImageFile(entries, path, sizeBytes, (o, t) => fat.readInto(o, t), 'ISOEFIImage', 'isoEfiImage');
    efiImage = { path: `/${path}`, sizeBytes };
  }

  // Squashfs images (ISOPath=): NixOS's /nix-store.squashfs, made from CopyFiles= and StorePaths=.
  const squashfsImages: IsoReport['squashfsImages'] = [];
  for (const d of imageDefs) {
    const index = spec.partitions.indexOf(d);
    progress({ stage: 'filesystems', doneBytes: 0, totalBytes: 0, detail: `squashfs ${d.isoPath}` });
    const made = options.squashfsImages?.get(index)
      ?? makeSquashfs(d, treeFor(d, inputs, storeImageLayout(options.extraTrees?.[index] ?? [])), { sectorSizeBytes: 512, sourceDateEpoch, ...(options.loadTool ? { loadTool: options.loadTool } : {}) });
    const path = d.isoPath!.replace(/^\/+/, '');
    addImageFile(entries, path, made.sizeBytes, (o, t) => made.read(o, t), 'ISOPath', `partitions.${index}.isoPath`);
    squashfsImages.push({ path: `/${path}`, sizeBytes: made.sizeBytes });
  }

  const volumeId = isoDef.label ?? 'PARTWRIGHT';
  const isoOptions: IsoOptions = {
    volumeId,
    relaxedVolumeId: !/^[A-Z0-9_]*$/.test(volumeId),
    sourceDateEpoch,
    ...(isoDef.isoPublisher !== undefined ? { publisherId: isoDef.isoPublisher } : {}),
    ...(isoDef.isoApplication !== undefined ? { applicationId: isoDef.isoApplication } : {}),
    ...(isoDef.isoFileOrder ? { fileOrder: isoDef.isoFileOrder.map((p) => p.replace(/^\/+/, '')) } : {}),
    boot: {
      ...(isoDef.isoBiosBoot !== undefined ? { bios: { path: isoDef.isoBiosBoot.replace(/^\/+/, '') } } : {}),
      ...(efiImage ? { efi: { path: efiImage.path.slice(1) } } : {}),
    },
  };
  if (isoDef.isoHybridMbr !== undefined) {
    if (isoDef.isoBiosBoot === undefined) {
      throw new PartwrightError(ErrorCode.InvalidSpec, 'ISOHybridMBR= needs ISOBIOSBoot=: the isohybrid MBR code starts the BIOS boot file.', { where: 'isoHybridMbr' });
    }
    const src = inputs.open(isoDef.isoHybridMbr, 'ISOHybridMBR=');
    const code = new Uint8Array(Math.min(src.sizeBytes, 432));
    src.read(0, code);
    isoOptions.isohybrid = { mbrBootCode: code, mbrDiskId: spec.mbr?.diskId ?? deriveMbrDiskId(seed), gptDiskGuid: deriveDiskGuid(seed) };
  }

  const isoPlan = planIso(entries, isoOptions);
  const image = new SparseImage(isoPlan.sizeBytes, options.store);
  progress({ stage: 'contents', doneBytes: 0, totalBytes: isoPlan.sizeBytes, detail: 'iso9660' });
  const written = writeIso(image, isoPlan);
  progress({ stage: 'done', doneBytes: image.mappedBytes, totalBytes: image.mappedBytes });

  const plan: ImagePlan = {
    table: 'iso',
    sectorSizeBytes: 512,
    grainBytes: 2048,
    diskSizeBytes: isoPlan.sizeBytes,
    seed,
    architecture: spec.architecture ?? DEFAULT_ARCHITECTURE,
    diskGuid: isoOptions.isohybrid?.gptDiskGuid,
    mbrDiskId: isoOptions.isohybrid?.mbrDiskId,
    gpt: undefined,
    partitions: [],
    dropped: [],
    blobs: [],
    reserved: [],
    minimumSizeBytes: isoPlan.sizeBytes,
    foreignPartitions: [],
    mbrExtended: undefined,
    mbrProtectiveFirst: false,
  };
  return {
    plan,
    image,
    report: { volumeId, sizeBytes: isoPlan.sizeBytes, bootEntries: written.bootEntries, efiImage, squashfsImages, isohybrid: isoOptions.isohybrid !== undefined, fileCount: entries.filter((e) => e.kind === 'file').length },
  };
}
