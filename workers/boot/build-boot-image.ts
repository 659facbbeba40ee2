/**
 * Building a bootable image: the layout plus a BootSpec. Boot files are added to the boot
 * partition's `CopyFiles=` (so they are ordinary content: sorted, dated, counted by Minimize=),
 * loader configuration is generated from the planned identities, and GRUB's BIOS code is embedded
 * once the tables are written.
 *
 * Identities (PARTUUID, file system UUID) are seed-derived and known before sizes are, so the plan
 * is made once to learn them, the config written, and the build's own plan checked to agree. A
 * verity root hash on the command line is known only after the data partition is written: the boot
 * partition is then made after the hash partitions, in the same build (singlePass).
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { CopyFilesEntry, ImageSpec } from '../model/spec.ts';
import { planImage } from '../plan/plan-image.ts';
import type { ImagePlan } from '../plan/types.ts';
import { buildImage, buildImageSigned, type BuildInputs, type BuildOptions, type BuildResult, type SignedBuildOptions } from '../build/build-image.ts';
import type { InputEntry } from '../build/input-tree.ts';
import type { ReadSource } from '../disk/sparse-image.ts';
import type { BootSpec } from './boot-spec.ts';
import { encodeGrubConfig, type GrubMenuEntry } from './grub-config.ts';
import { installGrubBios, type GrubBiosInstall } from './grub-bios.ts';
import { expandCmdline, findPartitionByLabel, partitionIdentity, type PartitionIdentity } from './root-identity.ts';
import { encodeLoaderConf, encodeLoaderEntry, loaderEntryPath, SYSTEMD_BOOT_PATHS } from './systemd-boot.ts';

/** Source paths of generated files: not host paths, answered from memory. */
export const GENERATED_PREFIX = 'partwright-generated:';

export interface BootFiles {
  /** The spec with the boot partition's CopyFiles= extended by kernels, loaders and generated config. */
  spec: ImageSpec;
  /** Generated files by source path (`partwright-generated:/loader/loader.conf`). */
  generated: Map<string, Uint8Array>;
  root: PartitionIdentity;
  /** Kernel command line of each entry, expanded. */
  cmdlines: Record<string, string>;
}

function joinPath(dir: string, path: string): string {
  const d = dir === '/' ? '' : dir.replace(/\/+$/, '');
  return `${d}${path}`;
}

/**
 * Boot files for a planned layout: what goes into the boot partition. Pure: the same spec, plan
 * and BootSpec give the same files.
 */
export function planBootFiles(spec: ImageSpec, plan: ImagePlan, boot: BootSpec, verity?: Readonly<Record<string, string>>): BootFiles {
  if (boot.entries.length === 0) throw new PartwrightError(ErrorCode.InvalidSpec, 'A boot configuration needs at least one entry (kernel and command line).', { where: 'boot.entries' });
  const bootPart = findPartitionByLabel(plan, boot.bootPartition, 'Boot partition');
  if (bootPart.spec.format === undefined || bootPart.spec.format === 'swap') {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Boot partition '${boot.bootPartition}' needs a file system (Format=vfat, or ext4 for GRUB): boot files are copied into it.`, { where: `partitions.${bootPart.specIndex}.format` });
  }
  const root = partitionIdentity(plan, findPartitionByLabel(plan, boot.rootPartition, 'Root partition'));
  const bootDir = boot.bootDirectory ?? '/';
  const generated = new Map<string, Uint8Array>();
  const copies: CopyFilesEntry[] = [];
  const enc = new TextEncoder();
  const addGenerated = (target: string, text: string) => {
    const source = `${GENERATED_PREFIX}${target}`;
    generated.set(source, enc.encode(text));
    copies.push({ source, target });
  };

  const cmdlines: Record<string, string> = {};
  const kernels = boot.entries.map((e) => {
    const dir = `/kernels/${e.id}`;
    copies.push({ source: e.kernel, target: joinPath(bootDir, `${dir}/linux`) });
    if (e.initrd !== undefined) copies.push({ source: e.initrd, target: joinPath(bootDir, `${dir}/initrd`) });
    cmdlines[e.id] = expandCmdline(e.cmdline, root, verity ?? pendingRootHashes(spec));
    return { entry: e, linux: `${dir}/linux`, initrd: e.initrd !== undefined ? `${dir}/initrd` : undefined };
  });

  if (boot.systemdBoot) {
    if (bootDir !== '/') {
      throw new PartwrightError(ErrorCode.InvalidSpec, 'systemd-boot reads loader/ from the root of the ESP: leave the boot directory at /.', { where: 'boot.bootDirectory' });
    }
    if (bootPart.spec.format !== 'vfat' || (plan.table !== 'mbr' && bootPart.typeName !== 'esp')) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `systemd-boot goes on a FAT ESP; partition '${bootPart.label}' is ${bootPart.typeName} (${bootPart.spec.format}).`, { where: 'boot.bootPartition' });
    }
    copies.push({ source: boot.systemdBoot.efi, target: SYSTEMD_BOOT_PATHS.efiX64 });
    addGenerated(SYSTEMD_BOOT_PATHS.loaderConf, encodeLoaderConf({ defaultId: boot.entries[0]!.id, timeoutSeconds: boot.systemdBoot.timeoutSeconds ?? 0 }));
    for (const k of kernels) {
      addGenerated(loaderEntryPath(k.entry.id), encodeLoaderEntry({
        id: k.entry.id, title: k.entry.title, linux: k.linux, ...(k.initrd !== undefined ? { initrd: k.initrd } : {}), options: cmdlines[k.entry.id]!,
      }));
    }
  }
  if (boot.grubBios) {
    // GRUB's paths are relative to the partition's root, so the boot directory is part of them.
    const menu: GrubMenuEntry[] = kernels.map((k) => ({
      title: k.entry.title,
      linux: joinPath(bootDir, k.linux),
      ...(k.initrd !== undefined ? { initrd: joinPath(bootDir, k.initrd) } : {}),
      options: cmdlines[k.entry.id]!,
    }));
    addGenerated(joinPath(bootDir, '/grub/grub.cfg'), encodeGrubConfig(menu));
  }

  const partitions = spec.partitions.map((ps, i) => (i === bootPart.specIndex ? { ...ps, copyFiles: [...(ps.copyFiles ?? []), ...copies] } : ps));
  return { spec: { ...spec, partitions }, generated, root, cmdlines };
}

/** Root hash of an unbuilt dm-verity set: SHA-256's length in hex, so the entry has its final size. */
const PENDING_ROOT_HASH = '0'.repeat(64);

function pendingRootHashes(spec: ImageSpec): Record<string, string> {
  const keys = spec.partitions.filter((p) => p.verity === 'data').map((p) => p.verityMatchKey ?? '');
  return Object.fromEntries(keys.map((k) => [k, PENDING_ROOT_HASH]));
}

function namesRootHash(boot: BootSpec): boolean {
  return boot.entries.some((e) => /\{verity\.[^}]+\.roothash\}/.test(e.cmdline));
}

/** A generated file, read from `files` when read (afterVerity swaps in same-length bytes late). */
function memoryFile(name: string, files: ReadonlyMap<string, Uint8Array>, path: string): InputEntry {
  return {
    kind: 'file', name, sizeBytes: files.get(path)!.length,
    read: (offsetBytes, target) => target.set(files.get(path)!.subarray(offsetBytes, offsetBytes + target.length)),
  };
}

function readAll(source: ReadSource): Uint8Array {
  const bytes = new Uint8Array(source.sizeBytes);
  source.read(0, bytes);
  return bytes;
}

export interface BootBuildResult extends BuildResult {
  /** The spec as built (boot files added to the boot partition's CopyFiles=). */
  spec: ImageSpec;
  boot: BootFiles;
  grubBios: GrubBiosInstall | undefined;
}

/**
 * The spec with the boot files added (loader entries naming the planned identities) and inputs that
 * serve the generated files: what a build and an exact plan of a bootable preset both start from.
 */
export function withBootFiles(spec: ImageSpec, boot: BootSpec, inputs: BuildInputs, options: Pick<BuildOptions, 'sizeBytes' | 'seed' | 'base'> = {}, verity?: Readonly<Record<string, string>>): { files: BootFiles; inputs: BuildInputs } {
  const prePlan = planImage(spec, { sizeBytes: options.sizeBytes, seed: options.seed, existing: options.base?.existing, blobSizes: blobSizesOf(spec, inputs) });
  const files = planBootFiles(spec, prePlan, boot, verity);
  const wrapped: BuildInputs = {
    open: (path, what) => inputs.open(path, what),
    openTree: (path, what) => {
      if (files.generated.has(path)) return memoryFile(path.slice(path.lastIndexOf('/') + 1), files.generated, path);
      if (!inputs.openTree) throw new PartwrightError(ErrorCode.Unsupported, 'This host cannot read CopyFiles= sources.');
      return inputs.openTree(path, what);
    },
  };
  return { files, inputs: wrapped };
}

/**
 * A command line naming a verity root hash ({verity.KEY.roothash}) is known only once the data
 * partition is written. The build plans with a same-length stand-in (so every size and offset is
 * final), makes the boot partition after the hash partitions (BuildOptions.afterVerity) and swaps the
 * real entries in just before: one build. These are its arguments.
 */
function singlePass(spec: ImageSpec, boot: BootSpec, inputs: BuildInputs, options: BuildOptions): { files: BootFiles; inputs: BuildInputs; options: BuildOptions } {
  const pending = withBootFiles(spec, boot, inputs, options);
  if (!namesRootHash(boot)) return { ...pending, options };
  const bootIndex = findPartitionByLabel(planImage(spec, { sizeBytes: options.sizeBytes, seed: options.seed, existing: options.base?.existing, blobSizes: blobSizesOf(spec, inputs) }), boot.bootPartition, 'Boot partition').specIndex;
  const files = pending.files;
  const afterVerity = {
    specIndices: new Set([bootIndex]),
    beforeMake(rootHashes: Record<string, string>) {
      const real = withBootFiles(spec, boot, inputs, options, rootHashes).files;
      for (const [path, bytes] of real.generated) {
        if (files.generated.get(path)?.length !== bytes.length) {
          throw new PartwrightError(ErrorCode.InvalidSpec, `${path.slice(GENERATED_PREFIX.length)} changed size once the root hashes were known; the boot partition was planned with the other size.`, { where: 'boot.entries' });
        }
        files.generated.set(path, bytes);
      }
      files.cmdlines = real.cmdlines;
    },
  };
  return { files, inputs: pending.inputs, options: { ...options, afterVerity } };
}

function blobSizesOf(spec: ImageSpec, inputs: BuildInputs): Record<string, number> {
  const blobSizes: Record<string, number> = {};
  for (const b of spec.blobs ?? []) if (b.source !== undefined && b.sizeBytes === undefined) blobSizes[b.name] = inputs.open(b.source, `blob '${b.name}'`).sizeBytes;
  return blobSizes;
}

function finishBootBuild(result: BuildResult, files: BootFiles, boot: BootSpec, inputs: BuildInputs): BootBuildResult {
  // Each entry that names a root hash carries the one the build computed.
  for (const v of result.verity ?? []) {
    for (const e of boot.entries) {
      if (e.cmdline.includes(`{verity.${v.matchKey}.roothash}`) && !files.cmdlines[e.id]!.includes(v.rootHash)) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `Boot entry '${e.id}' does not carry the root hash ${v.rootHash} of verity set '${v.matchKey}'.`, { where: 'boot.entries' });
      }
    }
  }

  // The config names identities from the first plan; the build must have used the same ones.
  const built = partitionIdentity(result.plan, findPartitionByLabel(result.plan, boot.rootPartition, 'Root partition'));
  if (built.partUuid !== files.root.partUuid || built.fsUuid !== files.root.fsUuid) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `The root partition's identity changed during the build (${files.root.partUuid} → ${built.partUuid}); set UUID= on it.`, { where: 'boot.rootPartition' });
  }

  let grubBios: GrubBiosInstall | undefined;
  if (boot.grubBios) {
    const bootImg = readAll(inputs.open(boot.grubBios.bootImg, 'GRUB boot.img'));
    const coreImg = readAll(inputs.open(boot.grubBios.coreImg, 'GRUB core.img'));
    grubBios = installGrubBios(result.image, result.plan, bootImg, coreImg);
  }
  return { ...result, spec: files.spec, boot: files, grubBios };
}

/** Build `spec` with the bootloaders `boot` asks for. */
export function buildBootableImage(spec: ImageSpec, boot: BootSpec, inputs: BuildInputs, options: BuildOptions = {}): BootBuildResult {
  const pass = singlePass(spec, boot, inputs, options);
  return finishBootBuild(buildImage(pass.files.spec, pass.inputs, pass.options), pass.files, boot, inputs);
}

/** buildBootableImage with the layout's Verity=signature partitions signed by `options.veritySigner`. */
export async function buildBootableImageSigned(spec: ImageSpec, boot: BootSpec, inputs: BuildInputs, options: SignedBuildOptions = {}): Promise<BootBuildResult> {
  const pass = singlePass(spec, boot, inputs, options);
  return finishBootBuild(await buildImageSigned(pass.files.spec, pass.inputs, pass.options), pass.files, boot, inputs);
}
