/**
 * Building an image: plan → partition contents → blobs → partition tables (last, so a half-built
 * image never looks valid). Hosts supply the inputs (files named by the layout) and the byte store;
 * the result is a SparseImage the host writes out (raw file, download stream, …).
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { planImage } from '../plan/plan-image.ts';
import { DEFAULT_MIN_SIZE_BYTES } from '../plan/resolve.ts';
import type { ExistingDisk, ImagePlan, PlanOptions, PlannedPartition } from '../plan/types.ts';
import type { ByteStore } from '../disk/byte-store.ts';
import { SparseImage, type BaseLayer, type ReadSource } from '../disk/sparse-image.ts';
import { writeTables } from './write-tables.ts';
import { definitionTree, treeFileBytes, type InputDir, type InputEntry, type TreeCopy } from './input-tree.ts';
import { fileSystemKind, type FileSystemContext, type FileSystemKind } from './filesystems.ts';
import { findVeritySets, minimizeVerityHashes, verityHasher, writeVerityHashes, writeVeritySignatures, type VerityOutcome, type VeritySigner } from './verity.ts';
import { toHex, type CreateSha256 } from '../formats/verity/index.ts';
import { checkCompressionKeys } from './read-only-filesystems.ts';
import { makeFileSystems, type BuildWorkers, type FileSystemJob } from './parallel-filesystems.ts';
import { mergeSupplementContents } from './supplements.ts';
import { impliedFormat } from '../model/implied-format.ts';

/** How the engine reaches the files a layout names; the host resolves paths. */
export interface BuildInputs {
  /** Open a file named by the layout (`what` says why, for messages: "blob 'spl'", "CopyBlocks= of root"). */
  open(path: string, what: string): ReadSource;
  /** Read a file or directory tree named by `CopyFiles=` (file bytes read lazily). */
  openTree?(path: string, what: string): InputEntry;
}

export type BuildStage = 'plan' | 'contents' | 'filesystems' | 'blobs' | 'tables' | 'done';

export interface BuildProgress {
  stage: BuildStage;
  doneBytes: number;
  totalBytes: number;
  detail?: string;
}

export interface BuildOptions extends Omit<PlanOptions, 'existing' | 'blobSizes'> {
  store?: ByteStore;
  /** Base-image mode: the existing image (read-only) and its decoded table. */
  base?: { layer: BaseLayer; existing: ExistingDisk };
  onProgress?: (p: BuildProgress) => void;
  /** SOURCE_DATE_EPOCH when the spec gives none (the CLI passes the environment's). */
  sourceDateEpoch?: number;
  /** More content per definition (by index), laid after its CopyFiles=: staged Nix closures. */
  extraTrees?: Record<number, TreeCopy[]>;
  /** The host's compiled WASM tools (Node: read from wasm/; browser: fetched), loaded on first use. */
  loadTool?: FileSystemContext['loadTool'];
  /** The host's SHA-256 (Node's crypto) for verity hash trees when sha256-lanes.wasm is not loaded (build/verity.ts: verityHasher). */
  createSha256?: CreateSha256;
  /**
   * File systems whose contents name verity root hashes (a boot partition whose loader entry carries
   * `usrhash=`): made after the hash partitions, once `beforeMake` has been given the root hashes (by
   * match key), so one build does what otherwise takes two. Their sizes must not depend on the hashes.
   */
  afterVerity?: { specIndices: ReadonlySet<number>; beforeMake(rootHashes: Record<string, string>): void };
}

export interface BuildResult {
  plan: ImagePlan;
  image: SparseImage;
  /** One per dm-verity set built: its match key and root hash (hex). */
  verity?: VerityRootHash[];
}

export interface VerityRootHash {
  matchKey: string;
  rootHash: string;
}

/** Builds that may sign: `Verity=signature` partitions need a signer (async: WebCrypto). */
export interface SignedBuildOptions extends BuildOptions {
  veritySigner?: VeritySigner;
}

/** Everything but the signatures and the tables; `finish` writes the tables. */
interface StagedBuild {
  plan: ImagePlan;
  image: SparseImage;
  verity: VerityOutcome[];
  finish(): BuildResult;
}

/** True when a layout has a `Verity=signature` partition, which only the signing build can fill. */
export function needsVeritySigner(spec: ImageSpec): boolean {
  return spec.partitions.some((p) => p.verity === 'signature');
}

const COPY_CHUNK_BYTES = 1 << 20;

export interface PreparedContents {
  /** The spec with Minimize= partitions sized to their contents (SizeMinBytes = SizeMaxBytes = the minimum). */
  planned: ImageSpec;
  /** Each formatted definition's content tree, by definition index. */
  trees: Map<number, InputDir>;
  /** Blob files opened, by blob name, and their sizes. */
  blobSources: Map<string, ReadSource>;
  blobSizes: Record<string, number>;
}

/**
 * What planning needs from the inputs, exactly as a build computes it: blob sizes from their files,
 * content trees, and Minimize= sizes (file system trial runs). `plan` calls this too, so the table it
 * shows is the one a build writes.
 */
export function prepareContents(spec: ImageSpec, inputs: BuildInputs, options: Pick<BuildOptions, 'sourceDateEpoch' | 'extraTrees' | 'loadTool'> = {}): PreparedContents {
  const pass = contentsPass(spec, inputs, options);
  return pass.finish(spec.partitions.map((_, i) => pass.size(pass.resolve(i))));
}

/**
 * prepareContents with the file systems made before planning (squashfs) made by `workers` first
 * (FileSystemKind.makeInWorkers): the same result, definition by definition in the same order.
 */
export async function prepareContentsInWorkers(spec: ImageSpec, inputs: BuildInputs, options: Pick<BuildOptions, 'sourceDateEpoch' | 'extraTrees' | 'loadTool'>, workers: BuildWorkers): Promise<PreparedContents> {
  const pass = contentsPass(spec, inputs, options);
  const partitions: PartitionSpec[] = [];
  for (let i = 0; i < spec.partitions.length; i++) {
    const d = pass.resolve(i);
    if (d.kind?.makeInWorkers) await d.kind.makeInWorkers(d.ps, d.tree, pass.fsCtx, workers);
    partitions.push(pass.size(d));
  }
  return pass.finish(partitions);
}

type ResolvedDefinition = { ps: PartitionSpec; kind?: undefined } | { ps: PartitionSpec; kind: FileSystemKind; tree: InputDir };

/** prepareContents in steps: `resolve` a definition (its format and tree), `size` it, `finish` with all of them. */
function contentsPass(spec: ImageSpec, inputs: BuildInputs, options: Pick<BuildOptions, 'sourceDateEpoch' | 'extraTrees' | 'loadTool'>) {
  // Blob sizes come from their files unless the spec states them.
  const blobSources = new Map<string, ReadSource>();
  const blobSizes: Record<string, number> = {};
  for (const blob of spec.blobs ?? []) {
    if (blob.source === undefined) continue;
    const src = inputs.open(blob.source, `blob '${blob.name}'`);
    blobSources.set(blob.name, src);
    blobSizes[blob.name] = src.sizeBytes;
  }

  // File system contents, and Minimize= sizes, before planning (they set partition sizes).
  const fsCtx = fileSystemContext(spec, options);
  const trees = new Map<number, InputDir>();
  const version = spec.repartVersion ?? 'latest';
  const resolve = (i: number): ResolvedDefinition => {
    const given = spec.partitions[i]!;
    // partition_read_definition(): a definition with contents (or a newest-repart swap partition) and
    // no Format= gets the file system repart implies (impliedFormat()).
    const implied = given.format === undefined ? impliedFormat(given, version, spec.architecture) : undefined;
    const ps = implied !== undefined ? { ...given, format: implied } : given;
    if (ps.format === undefined) {
      if (ps.copyFiles?.length || ps.makeDirectories?.length || ps.makeSymlinks?.length || ps.storePaths?.length) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `CopyFiles=/MakeDirectories=/MakeSymlinks=/StorePaths= in definition ${ps.sourceName ?? i + 1} need a Format= to copy into.`, { where: `partitions.${i}.format` });
      }
      return { ps };
    }
    if (ps.copyBlocks !== undefined) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Definition ${ps.sourceName ?? i + 1} has both Format= and CopyBlocks=; use one.`, { where: `partitions.${i}.copyBlocks` });
    }
    const kind = fileSystemKind(ps.format, `partitions.${i}.format`, ps.label ?? ps.type);
    const tree = definitionTree(ps, inputs, options.extraTrees?.[i] ?? []);
    trees.set(i, tree);
    checkCompressionKeys(ps, `partitions.${i}.compression`);
    return { ps, kind, tree };
  };
  const size = (d: ResolvedDefinition): PartitionSpec => {
    if (!d.kind) return d.ps;
    const { ps, kind, tree } = d;
    if (ps.minimize === undefined || ps.minimize === 'off') {
      if (!kind.madeBeforePlanning) return ps;
      // squashfs/erofs: the made image is the least the partition holds.
      const made = kind.minimumSizeBytes(ps, ps.label, tree, fsCtx);
      return (ps.sizeMinBytes ?? DEFAULT_MIN_SIZE_BYTES) >= made ? ps : { ...ps, sizeMinBytes: made };
    }
    const min = kind.minimumSizeBytes(ps, ps.label, tree, fsCtx);
    return { ...ps, sizeMinBytes: min, sizeMaxBytes: min };
  };
  // Verity sets are checked before anything is written; Minimize= hash partitions take their size from the data's.
  const finish = (partitions: PartitionSpec[]): PreparedContents => ({ planned: minimizeVerityHashes({ ...spec, partitions }, findVeritySets(spec)), trees, blobSources, blobSizes });
  return { fsCtx, resolve, size, finish };
}

function fileSystemContext(spec: ImageSpec, options: Pick<BuildOptions, 'sourceDateEpoch' | 'loadTool'>): FileSystemContext {
  return {
    sectorSizeBytes: spec.sectorSizeBytes ?? 512,
    sourceDateEpoch: spec.sourceDateEpoch ?? options.sourceDateEpoch ?? 0,
    ...(options.loadTool ? { loadTool: options.loadTool } : {}),
  };
}

export function buildImage(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions = {}): BuildResult {
  const staged = stageImage(spec, inputs, options);
  throwIfUnsigned(staged);
  return staged.finish();
}

function throwIfUnsigned(staged: StagedBuild): void {
  const unsigned = staged.verity.find((o) => o.signature && !o.signature.existing);
  if (unsigned) {
    throw new PartwrightError(ErrorCode.Unsupported, `Verity signature partition '${unsigned.signature!.label}' needs a private key and certificate; this build path cannot sign.`, {
      where: `partitions.${unsigned.signature!.specIndex}.verity`,
    });
  }
}

/**
 * buildImage, then the verity signature partitions signed with `veritySigner`, then the tables.
 * With `workers`, file systems are made at the same time (parallel-filesystems.ts): same bytes.
 */
export async function buildImageSigned(spec: ImageSpec, inputs: BuildInputs, options: SignedBuildOptions = {}, workers?: BuildWorkers): Promise<BuildResult> {
  const staged = await stageImage(spec, inputs, options, workers);
  if (!options.veritySigner) throwIfUnsigned(staged);
  await writeVeritySignatures(staged.image, staged.verity, options.veritySigner);
  return staged.finish();
}

function stageImage(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions): StagedBuild;
function stageImage(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions, workers: BuildWorkers | undefined): StagedBuild | Promise<StagedBuild>;
function stageImage(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions, workers?: BuildWorkers): StagedBuild | Promise<StagedBuild> {
  const progress = options.onProgress ?? (() => {});
  progress({ stage: 'plan', doneBytes: 0, totalBytes: 0 });
  const planOf = (p: PreparedContents) => planImage(p.planned, {
    sizeBytes: options.sizeBytes,
    seed: options.seed,
    existing: options.base?.existing,
    blobSizes: p.blobSizes,
    ...(options.deferPartitions ? { deferPartitions: options.deferPartitions } : {}),
    ...(options.exactAttributes ? { exactAttributes: options.exactAttributes } : {}),
    ...(options.grainSizeBytes !== undefined ? { grainSizeBytes: options.grainSizeBytes } : {}),
  });
  // SupplementFor=: a merged supplement's contents go into its target's file system; staged again
  // with them (the merge decision does not depend on contents, so the second plan agrees).
  if (workers) {
    return (async () => {
      let prepared = await prepareContentsInWorkers(spec, inputs, options, workers);
      let plan = planOf(prepared);
      const merged = mergeSupplementContents(spec, plan);
      if (merged !== spec) {
        prepared = await prepareContentsInWorkers(merged, inputs, options, workers);
        plan = planOf(prepared);
      }
      return stagePlanned(spec, inputs, options, prepared, plan, workers);
    })();
  }
  let prepared = prepareContents(spec, inputs, options);
  let plan = planOf(prepared);
  const merged = mergeSupplementContents(spec, plan);
  if (merged !== spec) {
    prepared = prepareContents(merged, inputs, options);
    plan = planOf(prepared);
  }
  return stagePlanned(spec, inputs, options, prepared, plan, undefined);
}

/** stageImage once planned: partition contents, file systems, then (finishStaging) the rest. */
function stagePlanned(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions, prepared: PreparedContents, plan: ImagePlan, workers: undefined): StagedBuild;
function stagePlanned(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions, prepared: PreparedContents, plan: ImagePlan, workers: BuildWorkers | undefined): StagedBuild | Promise<StagedBuild>;
function stagePlanned(spec: ImageSpec, inputs: BuildInputs, options: BuildOptions, prepared: PreparedContents, plan: ImagePlan, workers: BuildWorkers | undefined): StagedBuild | Promise<StagedBuild> {
  const progress = options.onProgress ?? (() => {});
  const { trees, blobSources } = prepared;
  const fsCtx = fileSystemContext(spec, options);
  const image = new SparseImage(plan.diskSizeBytes, options.store, options.base?.layer);

  if (options.base) clearStaleAreas(image, plan, options.base.existing);

  // Contents of new partitions.
  const contentJobs = plan.partitions.filter((p) => !p.existing).map((p) => ({ p, source: openContents(p, inputs) }));
  const totalContent = contentJobs.reduce((n, j) => n + (j.source?.sizeBytes ?? 0), 0);
  let doneContent = 0;
  for (const { p, source } of contentJobs) {
    if (!source) continue;
    copyInto(image, source, p.offsetBytes, (n) => {
      doneContent += n;
      progress({ stage: 'contents', doneBytes: doneContent, totalBytes: totalContent, detail: p.label });
    });
  }

  // File systems of new partitions; those that name root hashes in their contents (afterVerity) wait
  // for the verity hash partitions, in finishStaging.
  const late = options.afterVerity?.specIndices;
  const fsJobs = plan.partitions.filter((p) => !p.existing && trees.has(p.specIndex)).map((p) => ({ partition: p, tree: trees.get(p.specIndex)! }));
  const totalFs = fsJobs.reduce((n, j) => n + treeFileBytes(j.tree), 0);
  let doneFs = 0;
  const onMade = (j: FileSystemJob) => {
    doneFs += treeFileBytes(j.tree);
    progress({ stage: 'filesystems', doneBytes: doneFs, totalBytes: totalFs, detail: `${j.partition.spec.format} ${j.partition.label}` });
  };
  const makeHere = (j: FileSystemJob) => {
    progress({ stage: 'filesystems', doneBytes: doneFs, totalBytes: totalFs, detail: `${j.partition.spec.format} ${j.partition.label}` });
    fileSystemKind(j.partition.spec.format!, `partitions.${j.partition.specIndex}.format`, j.partition.label).make(image, j.partition, j.tree, fsCtx);
    onMade(j);
  };
  const early = fsJobs.filter((j) => !late?.has(j.partition.specIndex));
  const lateJobs = fsJobs.filter((j) => late?.has(j.partition.specIndex));
  const rest = () => finishStaging(spec, options, image, plan, blobSources, progress, { jobs: lateJobs, make: makeHere });
  if (workers) return makeFileSystems(image, early, fsCtx, workers, onMade).then(rest);
  for (const j of early) makeHere(j);
  return rest();
}

/** After the file systems: blobs, verity hash partitions, the file systems that wait for root hashes, and (in `finish`) the tables. */
function finishStaging(
  spec: ImageSpec,
  options: BuildOptions,
  image: SparseImage,
  planned: ImagePlan,
  blobSources: Map<string, ReadSource>,
  progress: (p: BuildProgress) => void,
  late: { jobs: FileSystemJob[]; make: (j: FileSystemJob) => void },
): StagedBuild {
  let plan = planned;
  // Blobs.
  const totalBlobs = plan.blobs.reduce((n, b) => n + b.sizeBytes, 0);
  let doneBlobs = 0;
  for (const blob of plan.blobs) {
    const source = blobSources.get(blob.name);
    if (!source) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Blob '${blob.name}' has no Source= file to write.`, { where: `blobs.${blob.name}` });
    }
    copyInto(image, source, blob.offsetBytes, (n) => {
      doneBlobs += n;
      progress({ stage: 'blobs', doneBytes: doneBlobs, totalBytes: totalBlobs, detail: blob.name });
    });
  }

  // Verity hash partitions over the data as written; their UUIDs change the table, so it comes after.
  const sets = findVeritySets(spec);
  const verity = writeVerityHashes(image, plan, spec, sets, sets.length ? verityHasher(options.loadTool, options.createSha256) : undefined);
  plan = verity.plan;
  if (options.afterVerity) {
    const lateIndices = options.afterVerity.specIndices;
    for (const set of sets) {
      if (lateIndices.has(set.data)) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `Partition ${set.data + 1} names a verity root hash in its own contents and is verity data itself (VerityMatchKey=${set.matchKey}).`, { where: `partitions.${set.data}.verity` });
      }
    }
    options.afterVerity.beforeMake(Object.fromEntries(verity.outcomes.map((o) => [o.matchKey, toHex(o.rootHash)])));
    for (const j of late.jobs) late.make(j);
  }

  return {
    plan,
    image,
    verity: verity.outcomes,
    finish() {
      progress({ stage: 'tables', doneBytes: 0, totalBytes: 0 });
      writeTables(image, plan);
      progress({ stage: 'done', doneBytes: image.mappedBytes, totalBytes: image.mappedBytes });
      return {
        plan,
        image,
        ...(verity.outcomes.length ? { verity: verity.outcomes.map((o) => ({ matchKey: o.matchKey, rootHash: toHex(o.rootHash) })) } : {}),
      };
    },
  };
}

function openContents(p: PlannedPartition, inputs: BuildInputs): ReadSource | undefined {
  const spec = p.spec;
  if (spec.copyBlocks === undefined) return undefined;
  if (spec.copyBlocks === 'auto') {
    throw new PartwrightError(ErrorCode.Unsupported, `CopyBlocks=auto (partition '${p.label}') copies from the running system's block devices, which Partwright does not read; name an image file.`, {
      where: `partitions.${p.specIndex}.copyBlocks`,
    });
  }
  const source = inputs.open(spec.copyBlocks, `CopyBlocks= of partition '${p.label}'`);
  if (source.sizeBytes > p.sizeBytes) {
    throw new PartwrightError(
      ErrorCode.DoesNotFit,
      `CopyBlocks= source ${spec.copyBlocks} is ${source.sizeBytes} bytes, larger than partition '${p.label}' (${p.sizeBytes} bytes); raise SizeMinBytes= to at least ${source.sizeBytes}.`,
      { where: `partitions.${p.specIndex}.copyBlocks` },
    );
  }
  return source;
}

/** Copy a source into the image at `offsetBytes`, skipping all-zero blocks so holes stay holes. */
function copyInto(image: SparseImage, source: ReadSource, offsetBytes: number, onBytes: (n: number) => void): void {
  const buf = new Uint8Array(COPY_CHUNK_BYTES);
  for (let pos = 0; pos < source.sizeBytes; pos += COPY_CHUNK_BYTES) {
    const n = Math.min(COPY_CHUNK_BYTES, source.sizeBytes - pos);
    const view = buf.subarray(0, n);
    source.read(pos, view);
    writeNonZero(image, offsetBytes + pos, view);
    onBytes(n);
  }
}

const BLOCK = 4096;
function writeNonZero(image: SparseImage, offsetBytes: number, data: Uint8Array): void {
  let runStart = -1;
  for (let b = 0; b < data.length; b += BLOCK) {
    const end = Math.min(b + BLOCK, data.length);
    let zero = true;
    for (let i = b; i < end; i++) if (data[i] !== 0) { zero = false; break; }
    if (!zero && runStart < 0) runStart = b;
    if (zero && runStart >= 0) {
      image.write(offsetBytes + runStart, data.subarray(runStart, b));
      runStart = -1;
    }
  }
  if (runStart >= 0) image.write(offsetBytes + runStart, data.subarray(runStart));
}

/**
 * In base-image mode, bytes the old table left that the new layout does not keep become holes:
 * new partitions start empty (as repart discards them) and the old backup GPT is removed when the
 * disk grew.
 */
function clearStaleAreas(image: SparseImage, plan: ImagePlan, existing: ExistingDisk): void {
  for (const p of plan.partitions) {
    if (!p.existing) image.discard(p.offsetBytes, p.sizeBytes);
  }
  if (plan.diskSizeBytes !== existing.diskSizeBytes) {
    const sector = existing.sectorSizeBytes;
    const entryBytes = Math.ceil((existing.entryCount * 128) / sector) * sector;
    const oldBackupStart = existing.diskSizeBytes - sector - entryBytes;
    const inPartition = plan.partitions.some((p) => p.offsetBytes < existing.diskSizeBytes && p.offsetBytes + p.sizeBytes > oldBackupStart && p.existing);
    if (!inPartition && oldBackupStart >= 0) image.discard(oldBackupStart, existing.diskSizeBytes - oldBackupStart);
  }
}
