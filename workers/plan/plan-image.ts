/**
 * The planner's entry point: spec in, plan out, through repart's phases in `run()`'s order —
 * resolve → (load base image) → allocate, dropping by priority until it fits → grow by weight →
 * place → identities — plus Partwright's table kinds (MBR, hybrid), blobs and 4096-byte sectors.
 * `minimumDiskSize` is what `--size=auto` picks.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { defaultMbrType, partitionTypeName, resolvePartitionType } from '../model/partition-types.ts';
import type { Architecture } from '../model/partition-types.ts';
import type { ImageSpec, PartitionSpec, RepartVersion, SectorSize } from '../model/spec.ts';
import { definitionFileNames } from '../model/repart-conf/export.ts';
import { DEFAULT_ARCHITECTURE, DEFAULT_SEED } from '../model/spec.ts';
import { allocatePartitions, markLogicalPartitions, requiredBytes, unmergeAndAllocatePartitions } from './allocate.ts';
import { isSuppressed } from './sizes.ts';
import { partitionAttributes } from './attributes.ts';
import { checkBlobOverlaps, reservedRange, type NamedRange } from './blobs.ts';
import type { PlanContext, WorkPartition } from './context.ts';
import { dropOnePriority } from './drop.ts';
import { loadExisting } from './existing.ts';
import { growPartitions } from './grow.ts';
import { assignIdentities } from './identities.ts';
import {
  computeLayout, GPT_DEFAULT_ENTRIES_LBA, GPT_DEFAULT_ENTRY_COUNT, gptGeometry, tableReservedAreas,
  usableEndBytes, usesGpt, type GptSettingsResolved, type Layout,
} from './layout.ts';
import { placePartitions } from './place.ts';
import { resolvePartitions, SIZE_ROUNDING_BYTES } from './resolve.ts';
import { formatBytes, roundUp } from './rounding.ts';
import type { ByteRange, ImagePlan, PlanOptions, PlannedBlob, PlannedPartition, ReservedArea } from './types.ts';
import { assertValidSpec } from './validate.ts';
import { NULL_UUID, deriveDiskGuid, deriveMbrDiskId, normalizeUuid } from './uuid.ts';

/** MBR entries hold 32-bit sector numbers. */
const MBR_MAX_SECTORS = 2 ** 32;

interface Setup {
  version: RepartVersion;
  /** Spec indexes --include/--exclude-partitions leave out. */
  excluded: Set<number>;
  spec: ImageSpec;
  options: PlanOptions;
  seed: string;
  architecture: Architecture;
  sectorSizeBytes: SectorSize;
  grainBytes: number;
  gpt: GptSettingsResolved;
  layout: Layout;
  blobs: PlannedBlob[];
}

function setUp(spec: ImageSpec, options: PlanOptions): Setup {
  const sectorSizeBytes = spec.sectorSizeBytes ?? 512;
  const version = options.repartVersion ?? spec.repartVersion ?? 'latest';
  // --grain-size= over the layout's GrainSize= (which 252 mode ignores, as an unknown key).
  const fromOption = options.grainSizeBytes !== undefined;
  const grain = options.grainSizeBytes ?? (version === '252' ? undefined : spec.grainSizeBytes);
  if (grain !== undefined && (version === '252' || !Number.isSafeInteger(grain) || grain < 512 || !Number.isInteger(Math.log2(grain)))) {
    throw new PartwrightError(ErrorCode.InvalidSpec, version === '252'
      ? '--grain-size= came after systemd-repart 252 (RepartVersion=252)'
      : `${fromOption ? '--grain-size=' : 'GrainSize='}${grain}: must be a power of two of at least 512`, { where: fromOption ? 'options.grainSizeBytes' : 'grainSizeBytes' });
  }
  // determine_grain_size(): max(--grain-size= or 4096, sector size).
  const grainBytes = Math.max(grain ?? 4096, sectorSizeBytes);
  const existing = options.existing;
  const gpt = existing
    ? { entriesLba: existing.entriesLba, entryCount: existing.entryCount }
    : {
        entriesLba: spec.gpt?.entriesLba ?? GPT_DEFAULT_ENTRIES_LBA,
        entryCount: spec.gpt?.entryCount ?? GPT_DEFAULT_ENTRY_COUNT,
      };
  const blobs: PlannedBlob[] = (spec.blobs ?? []).map((b) => ({
    name: b.name,
    source: b.source,
    offsetBytes: b.offsetBytes,
    sizeBytes: b.sizeBytes ?? options.blobSizes?.[b.name] ?? 0,
  }));
  const layout = computeLayout({
    table: spec.table,
    sectorSizeBytes,
    grainBytes,
    gpt,
    firstPartitionOffsetBytes: spec.firstPartitionOffsetBytes,
    blobEnds: blobs.map((b) => b.offsetBytes + b.sizeBytes),
    existingFirstUsableLba: existing?.firstUsableLba,
  });
  return {
    version,
    excluded: excludedDefinitions(spec, options),
    spec,
    options,
    seed: normalizeUuid(options.seed ?? spec.seed ?? DEFAULT_SEED),
    architecture: spec.architecture ?? DEFAULT_ARCHITECTURE,
    sectorSizeBytes,
    grainBytes,
    gpt,
    layout,
    blobs,
  };
}

/**
 * A definition's name for SupplementFor=: its file name without `.conf` (supplement_find_target()) —
 * the file it came from, or the one a repart.d export gives it (definitionFileNames()), so a layout
 * made in the app names its definitions as its exported directory does.
 */
function definitionNames(partitions: readonly WorkPartition[], specPartitions: readonly PartitionSpec[]): Map<WorkPartition, string> {
  const files = definitionFileNames(specPartitions);
  return new Map(partitions.filter((p) => p.specIndex !== undefined).map((p) => [p, files[p.specIndex!]!.replace(/\.conf$/, '')]));
}

/**
 * SupplementFor= (newest repart, v257): context_read_definitions() links each supplement to the
 * definition it names, refusing what supplement_find_target() and check_cross_def_ranges_valid()
 * refuse, and starts with every supplement merged into its target (`suppressing`).
 */
function linkSupplements(partitions: WorkPartition[], specPartitions: readonly PartitionSpec[]): void {
  if (!partitions.some((p) => p.spec?.supplementFor !== undefined)) return;
  const names = definitionNames(partitions, specPartitions);
  const fail = (p: WorkPartition, message: string): never => {
    throw new PartwrightError(ErrorCode.InvalidSpec, `${p.spec?.sourceName ? `${p.spec.sourceName}: ` : ''}${message}`, { where: `partitions.${p.specIndex}.supplementFor` });
  };
  for (const p of partitions) {
    const name = p.spec?.supplementFor;
    if (name === undefined) continue;
    const target = partitions.find((q) => q !== p && names.get(q) === name);
    if (!target) fail(p, `Couldn't find target partition for SupplementFor=${name}`);
    const t = target!;
    if (t.spec?.supplementFor !== undefined) fail(p, 'SupplementFor= target is itself configured as a supplement.');
    if (t.suppressing) fail(p, `SupplementFor= target already has a supplement defined: ${t.suppressing.spec?.sourceName ?? ''}`);
    const ts = t.spec!;
    if (ts.copyBlocks !== undefined || (ts.encrypt ?? 'off') !== 'off' || (ts.verity ?? 'off') !== 'off') {
      fail(p, 'SupplementFor= target uses CopyBlocks=/Encrypt=/Verity=');
    }
    const rangesValid = (aMin?: number, aMax?: number, bMin?: number, bMax?: number): boolean =>
      (aMin === undefined && bMin === undefined) || (aMax === undefined && bMax === undefined) ||
      Math.max(aMin ?? 0, bMin ?? 0) <= Math.min(aMax ?? Infinity, bMax ?? Infinity);
    if (!rangesValid(p.sizeMinBytes, p.sizeMaxBytes, t.sizeMinBytes, t.sizeMaxBytes)) {
      fail(p, 'SizeMinBytes= larger than SizeMaxBytes= when merged with SupplementFor= target.');
    }
    if (!rangesValid(p.paddingMinBytes, p.paddingMaxBytes, t.paddingMinBytes, t.paddingMaxBytes)) {
      fail(p, 'PaddingMinBytes= larger than PaddingMaxBytes= when merged with SupplementFor= target.');
    }
    p.supplementFor = t;
    t.suppressing = p;
  }
}

/** A fresh working context for a disk of `diskSizeBytes`; `dropped` spec indexes start out dropped. */
function buildContext(s: Setup, diskSizeBytes: number, dropped: ReadonlySet<number> = new Set()): PlanContext {
  const partitions = resolvePartitions(s.spec, {
    version: s.version,
    sectorSizeBytes: s.sectorSizeBytes,
    architecture: s.architecture,
    grainBytes: s.grainBytes,
    copyBlocksSizes: s.options.copyBlocksSizes,
  });
  for (const p of partitions) if (dropped.has(p.specIndex!)) p.dropped = true;
  if (s.excluded.size) partitions.splice(0, partitions.length, ...partitions.filter((p) => !s.excluded.has(p.specIndex!)));
  if (s.version === 'latest') linkSupplements(partitions, s.spec.partitions);
  // A dropped supplement is not merged (partition_drop_or_foreignize()).
  for (const p of partitions) if (p.dropped && p.supplementFor?.suppressing === p) p.supplementFor.suppressing = undefined;
  const usableEnd = usableEndBytes(s.spec.table, diskSizeBytes, s.layout.tailBytes, 1);
  const ctx: PlanContext = {
    version: s.version,
    table: s.spec.table,
    sectorSizeBytes: s.sectorSizeBytes,
    grainBytes: s.grainBytes,
    startBytes: s.layout.startBytes,
    endBytes: usableEndBytes(s.spec.table, diskSizeBytes, s.layout.tailBytes, s.grainBytes),
    diskSizeBytes,
    partitions,
    freeAreas: [],
    ebrBytes: s.spec.table === 'mbr' ? s.grainBytes : 0,
  };
  if (s.options.existing) loadExisting(ctx, s.options.existing, usableEnd);
  else if (ctx.endBytes > ctx.startBytes) {
    ctx.freeAreas.push({ after: undefined, sizeBytes: ctx.endBytes - ctx.startBytes, allocatedBytes: 0 });
  }
  return ctx;
}

/**
 * The smallest disk for the partitions not in `dropped`. Fresh disks: like repart's
 * determine_auto_size — every partition's minimum with padding (and EBRs for MBR logical
 * partitions), plus the room before the first partition and the backup GPT, rounded up to the grain
 * (1 MiB + 20 KiB of GPT overhead by default, repart's GPT_METADATA_SIZE). Base images: the smallest
 * grain step at or above the current size at which everything fits (repart only estimates here).
 */
function minimumFor(s: Setup, dropped: ReadonlySet<number>): number {
  const existing = s.options.existing;
  if (!existing) {
    const ctx = buildContext(s, 0, dropped);
    markLogicalPartitions(ctx);
    let sum = 0;
    // determine_auto_size(): merged (suppressed) supplements take no room of their own.
    for (const p of ctx.partitions) if (!p.dropped && !isSuppressed(p)) sum += requiredBytes(ctx, p);
    return roundUp(s.layout.startBytes + sum + s.layout.tailBytes, s.grainBytes);
  }
  const fits = (bytes: number) => {
    const c = buildContext(s, bytes, dropped);
    return allocatePartitions(c).fits || unmergeAndAllocatePartitions(c);
  };
  if (fits(existing.diskSizeBytes)) return existing.diskSizeBytes;
  const probe = buildContext(s, existing.diskSizeBytes, dropped);
  markLogicalPartitions(probe);
  let extra = s.layout.tailBytes + s.grainBytes * (probe.partitions.length + 2);
  for (const p of probe.partitions) if (!p.dropped && !isSuppressed(p)) extra += requiredBytes(probe, p);
  let hi = roundUp(existing.diskSizeBytes + extra, s.grainBytes);
  if (!fits(hi)) {
    throw new PartwrightError(ErrorCode.DoesNotFit, 'The base image cannot hold these partitions at any size (an existing partition is in the way)', { where: 'base' });
  }
  let lo = roundUp(existing.diskSizeBytes, s.grainBytes) - s.grainBytes; // known not to fit (or below the current size)
  while (hi - lo > s.grainBytes) {
    const mid = lo + Math.floor((hi - lo) / s.grainBytes / 2) * s.grainBytes;
    if (mid > existing.diskSizeBytes && fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * `--size=auto`. v252: determine_auto_size()'s sum, rounded to the grain. The newest repart then
 * trims the image to the end of its last partition plus the backup GPT (33 sectors with 512-byte
 * sectors), without rounding — what systemd's TEST-58-REPART expects (e.g. last-lba 6422487 after
 * `--size=auto` on a 3 GiB image); it never shrinks a base image below its current size.
 */
function autoSize(s: Setup): number {
  const minimum = minimumFor(s, new Set());
  if (s.version === '252' || !usesGpt(s.spec.table)) return minimum;
  const ctx = buildContext(s, minimum);
  if (!allocatePartitions(ctx).fits && !unmergeAndAllocatePartitions(ctx)) return minimum;
  growPartitions(ctx);
  placePartitions(ctx);
  let end = s.layout.startBytes;
  for (const p of ctx.partitions) {
    if (p.dropped || p.offsetBytes === undefined || p.newSizeBytes === undefined) continue;
    end = Math.max(end, p.offsetBytes + p.newSizeBytes + (p.current ? 0 : p.newPaddingBytes ?? 0));
  }
  return Math.max(s.options.existing?.diskSizeBytes ?? 0, Math.min(minimum, end + s.layout.tailBytes));
}

/** The disk size `--size=auto` gives for this spec: every partition at its minimum, nothing dropped. */
export function minimumDiskSize(spec: ImageSpec, options: PlanOptions = {}): number {
  assertValidSpec(spec, options);
  return autoSize(setUp(spec, options));
}

function mbrNumbers(live: WorkPartition[]): Map<WorkPartition, number> {
  const numbers = new Map<WorkPartition, number>();
  live.forEach((p, i) => numbers.set(p, p.logical ? 5 + (i - 3) : i + 1));
  return numbers;
}

/** The type GUIDs a --include/--exclude/--defer-partitions list names (parse_partition_types). */
function typeSet(list: readonly string[] | undefined, architecture: Architecture, option: string): Set<string> | undefined {
  if (!list) return undefined;
  return new Set(list.map((t) => {
    const r = resolvePartitionType(t, architecture);
    if (!r) throw new PartwrightError(ErrorCode.InvalidSpec, `--${option}: unknown partition type ${t}`, { where: `options.${option}` });
    return r.guid;
  }));
}

/**
 * context_read_definitions(): definitions filtered out by --include/--exclude-partitions are not read
 * at all. Returns the spec indexes left out.
 */
function excludedDefinitions(spec: ImageSpec, options: PlanOptions): Set<number> {
  if (!options.includePartitions && !options.excludePartitions) return new Set();
  if (options.includePartitions && options.excludePartitions) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Combination of --include-partitions= and --exclude-partitions= is invalid.', { where: 'options' });
  }
  const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
  const include = typeSet(options.includePartitions, arch, 'include-partitions');
  const exclude = typeSet(options.excludePartitions, arch, 'exclude-partitions');
  const keep = (t: string) => {
    const g = resolvePartitionType(t, arch)?.guid;
    return g === undefined || (include ? include.has(g) : !exclude!.has(g));
  };
  return new Set(spec.partitions.flatMap((p, i) => (keep(p.type) ? [] : [i])));
}

export function planImage(spec: ImageSpec, options: PlanOptions = {}): ImagePlan {
  if (spec.table === 'iso') {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Table=iso is laid out by the ISO builder (workers/build/build-iso.ts), not by the partition planner', { where: 'table' });
  }
  assertValidSpec(spec, options);
  const s = setUp(spec, options);
  const existing = options.existing;
  const minimumSizeBytes = autoSize(s);
  // Without --size repart never resizes an existing image: the partitions must fit in it as it is.
  const requested = options.sizeBytes ?? spec.sizeBytes ?? (existing ? undefined : 'auto');
  // repart rounds --size= up to a multiple of 4096 (parse_argv: ARG_SIZE), and so does Partwright.
  const diskSizeBytes =
    requested === undefined ? existing!.diskSizeBytes : requested === 'auto' ? minimumSizeBytes : roundUp(requested, SIZE_ROUNDING_BYTES);
  if (existing && diskSizeBytes < existing.diskSizeBytes) {
    throw new PartwrightError(
      ErrorCode.BaseImage,
      `The disk would shrink from ${formatBytes(existing.diskSizeBytes)} to ${formatBytes(diskSizeBytes)}; a base image can only grow`,
      { where: options.sizeBytes !== undefined ? 'options.sizeBytes' : 'sizeBytes', minimumSizeBytes },
    );
  }

  if (diskSizeBytes < s.layout.startBytes + s.layout.tailBytes) {
    throw new PartwrightError(
      ErrorCode.DoesNotFit,
      `A disk of ${formatBytes(diskSizeBytes)} cannot even hold its partition table; the minimum disk size is ${formatBytes(minimumSizeBytes)}`,
      { where: 'sizeBytes', minimumSizeBytes },
    );
  }

  // Allocate, dropping the highest priority until it fits (run(): the allocate/drop loop).
  const ctx = buildContext(s, diskSizeBytes);
  for (;;) {
    const result = allocatePartitions(ctx);
    if (result.fits) break;
    // context_ponder(): un-merge SupplementFor= supplements before dropping anything.
    if (unmergeAndAllocatePartitions(ctx)) break;
    if (!dropOnePriority(ctx)) {
      const dropped = new Set(ctx.partitions.filter((p) => p.dropped).map((p) => p.specIndex!));
      const minimum = minimumFor(s, dropped);
      throw new PartwrightError(
        ErrorCode.DoesNotFit,
        `Can't fit requested partitions into available free space (${formatBytes(result.largestFreeAreaBytes)}); the minimum disk size is ${formatBytes(minimum)}`,
        { where: 'sizeBytes', minimumSizeBytes: minimum },
      );
    }
  }
  // context_ponder(): a supplement still merged is dropped — its target carries its settings.
  const suppressed = ctx.partitions.filter((p) => isSuppressed(p));
  for (const p of suppressed) {
    p.dropped = true;
    p.droppedReason = `merged into ${p.supplementFor!.spec?.sourceName ?? `definition ${p.supplementFor!.specIndex! + 1}`} (SupplementFor=)`;
  }
  growPartitions(ctx);
  placePartitions(ctx);
  assignIdentities(ctx, s.seed);
  // context_changed(): only a new partition or a size change makes repart write; otherwise the table
  // is left exactly as it is ("No changes."), so an existing partition keeps an empty name or null UUID.
  const changed = !existing || diskSizeBytes !== existing.diskSizeBytes || ctx.partitions.some(
    (p) => !p.dropped && (p.allocatedTo !== undefined || (p.current !== undefined && p.newSizeBytes !== p.current.sizeBytes)),
  );
  if (!changed) {
    for (const p of ctx.partitions) {
      if (p.current) {
        p.label = p.current.label;
        p.uuid = p.current.uuid;
      }
    }
  }

  const table = spec.table;
  const gpt = usesGpt(table) ? gptGeometry(s.gpt, s.sectorSizeBytes, diskSizeBytes, s.layout.startBytes) : undefined;
  const live = ctx.partitions.filter((p) => !p.dropped && p.specIndex !== undefined);
  const numbers = table === 'mbr' ? mbrNumbers(live) : undefined;

  // Deferred partitions keep their place in the plan's arithmetic but are not written.
  // --defer-partitions= over the layout's DeferPartitions= (which 252 mode ignores, as an unknown key).
  const deferred = typeSet(options.deferPartitions ?? (s.version === '252' ? undefined : spec.deferPartitions), s.architecture, 'defer-partitions');
  const partitions: PlannedPartition[] = live.filter((p) => !deferred?.has(p.typeGuid) || p.current !== undefined).map((p) => {
    const pspec = p.spec!;
    return {
      specIndex: p.specIndex!,
      partitionNumber: numbers ? numbers.get(p)! : p.partno! + 1,
      offsetBytes: p.offsetBytes!,
      sizeBytes: p.newSizeBytes!,
      typeGuid: p.typeGuid,
      typeName: partitionTypeName(p.typeGuid),
      label: p.label!,
      uuid: p.uuid!,
      paddingBytes: p.newPaddingBytes!,
      attributes: table === 'mbr' ? 0n : p.current ? p.current.attributes : options.exactAttributes?.[p.specIndex!] ?? partitionAttributes(pspec, p.typeGuid),
      mbrType: pspec.mbrType ?? defaultMbrType(p.typeGuid),
      mbrBootable: pspec.mbrBootable ?? false,
      inHybridMbr: table === 'hybrid' && pspec.hybridMbr === true,
      existing: p.current !== undefined,
      ...(p.current ? { previous: { sizeBytes: p.current.sizeBytes, paddingBytes: p.current.paddingBytes } } : {}),
      spec: pspec,
    };
  });
  partitions.sort((a, b) => a.partitionNumber - b.partitionNumber);
  // The GPT has s.gpt.entryCount slots: refuse here what writing the table would refuse (plan = build).
  if (gpt) {
    const beyond = partitions.find((p) => p.partitionNumber > gpt.entryCount);
    if (beyond) {
      throw new PartwrightError(
        ErrorCode.InvalidSpec,
        `${live.length + ctx.partitions.filter((p) => p.specIndex === undefined).length} partitions do not fit in a GPT of ${gpt.entryCount} entries (partition ${beyond.partitionNumber}); raise GPTEntryCount= or use fewer definitions`,
        { where: `partitions.${beyond.specIndex}` },
      );
    }
  }

  const reserved: ReservedArea[] = tableReservedAreas(table, s.sectorSizeBytes, gpt);
  let mbrExtended: ByteRange | undefined;
  const logical = live.filter((p) => p.logical);
  for (const p of logical) reserved.push({ kind: 'ebr', offsetBytes: p.offsetBytes! - ctx.ebrBytes, sizeBytes: ctx.ebrBytes });
  if (logical.length > 0) {
    const first = logical[0]!;
    const last = logical[logical.length - 1]!;
    const start = first.offsetBytes! - ctx.ebrBytes;
    mbrExtended = { offsetBytes: start, sizeBytes: last.offsetBytes! + last.newSizeBytes! - start };
  }

  if (table !== 'gpt') {
    for (const p of partitions) {
      if (table === 'hybrid' && !p.inHybridMbr) continue;
      if ((p.offsetBytes + p.sizeBytes) / s.sectorSizeBytes > MBR_MAX_SECTORS) {
        throw new PartwrightError(
          ErrorCode.Unsupported,
          `Partition ${p.partitionNumber} ('${p.label}') ends beyond ${MBR_MAX_SECTORS} sectors, which an MBR cannot address`,
          { where: `partitions.${p.specIndex}` },
        );
      }
    }
  }

  const foreignPartitions = ctx.partitions
    .filter((p) => p.specIndex === undefined)
    .map((p) => {
      const { paddingBytes: previousPaddingBytes, ...rest } = p.current!;
      return { ...rest, paddingBytes: p.newPaddingBytes ?? previousPaddingBytes, previousPaddingBytes };
    });

  const others: NamedRange[] = [
    ...reserved.map(reservedRange),
    ...partitions.map((p) => ({
      offsetBytes: p.offsetBytes,
      sizeBytes: p.sizeBytes,
      what: `partition ${p.partitionNumber} ('${p.label}')`,
      hint: 'set firstPartitionOffsetBytes past the blob or move the blob',
      where: undefined,
    })),
    ...foreignPartitions.map((p) => ({
      offsetBytes: p.offsetBytes,
      sizeBytes: p.sizeBytes,
      what: `base-image partition ${p.partitionNumber} ('${p.label}')`,
      hint: 'move the blob',
      where: undefined,
    })),
  ];
  checkBlobOverlaps(s.blobs, s.blobs.map((_, i) => `blobs.${i}`), others, diskSizeBytes);

  return {
    table,
    sectorSizeBytes: s.sectorSizeBytes,
    grainBytes: s.grainBytes,
    diskSizeBytes,
    seed: s.seed,
    architecture: s.architecture,
    // repart keeps a base image's disk GUID unless it is all zeros.
    diskGuid: usesGpt(table)
      ? existing && normalizeUuid(existing.diskGuid) !== NULL_UUID
        ? normalizeUuid(existing.diskGuid)
        : deriveDiskGuid(s.seed)
      : undefined,
    mbrDiskId: table === 'gpt' ? undefined : (spec.mbr?.diskId ?? deriveMbrDiskId(s.seed)),
    gpt,
    partitions,
    dropped: ctx.partitions
      .filter((p) => p.dropped && p.specIndex !== undefined)
      .map((p) => ({ specIndex: p.specIndex!, priority: p.priority, reason: p.droppedReason ?? 'dropped', ...(p.supplementFor?.suppressing === p ? { mergedInto: p.supplementFor.specIndex! } : {}) })),
    blobs: s.blobs,
    reserved,
    minimumSizeBytes,
    changed,
    foreignPartitions,
    mbrExtended,
    mbrProtectiveFirst: table === 'hybrid' && spec.mbr?.protectiveFirst === true,
  };
}
