/**
 * Every problem with a spec that can be found without laying it out, as a list the UI can show next
 * to fields (`where` is a dotted path into the spec), and a throwing form for hosts that want one
 * error. Messages follow repart's wording where repart has one.
 */
import { cloudInitSpecProblems } from '../model/cloud-init.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { resolvePartitionType } from '../model/partition-types.ts';
import type { ImageSpec } from '../model/spec.ts';
import { DEFAULT_ARCHITECTURE } from '../model/spec.ts';
import { labelTooLongMessage } from '../model/volume-labels.ts';
import type { PlanOptions } from './types.ts';
import { parseGptFlags, SIZE_ROUNDING_BYTES } from './resolve.ts';
import { roundDown, roundUp } from './rounding.ts';
import { isUuid, normalizeUuid } from './uuid.ts';

export interface SpecProblem {
  where: string;
  message: string;
}

/** GPT partition names are 36 UTF-16 code units (gpt_partition_label_valid). */
export const GPT_LABEL_MAX_UNITS = 36;
const MAX_WEIGHT = 1000 * 1000;
const MAX_HYBRID_ENTRIES = 3;

const isByteCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function validateSpec(spec: ImageSpec, options: PlanOptions = {}): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (where: string, message: string) => problems.push({ where, message });
  const sectorSize = spec.sectorSizeBytes ?? 512;
  const grain = Math.max(4096, sectorSize);
  const architecture = spec.architecture ?? DEFAULT_ARCHITECTURE;

  if (!['gpt', 'mbr', 'hybrid'].includes(spec.table)) add('table', `Unknown table type: ${String(spec.table)}`);
  if (![512, 1024, 2048, 4096].includes(sectorSize)) add('sectorSizeBytes', `Sector size ${String(sectorSize)} is not 512, 1024, 2048 or 4096`);

  const size = options.sizeBytes ?? spec.sizeBytes;
  if (size !== undefined && size !== 'auto') {
    const where = options.sizeBytes !== undefined ? 'options.sizeBytes' : 'sizeBytes';
    if (!isByteCount(size) || size === 0) add(where, `Disk size ${String(size)} is not a positive number of bytes`);
    else if (size % sectorSize !== 0) add(where, `Disk size ${size} is not a multiple of the sector size ${sectorSize}`);
  }
  const seed = options.seed ?? spec.seed;
  if (seed !== undefined && !isUuid(seed)) add(options.seed !== undefined ? 'options.seed' : 'seed', `Seed is not a UUID: ${seed}`);

  if (spec.firstPartitionOffsetBytes !== undefined) {
    const off = spec.firstPartitionOffsetBytes;
    if (!isByteCount(off)) add('firstPartitionOffsetBytes', `firstPartitionOffsetBytes=${String(off)} is not a byte count`);
    else if (off % grain !== 0) add('firstPartitionOffsetBytes', `firstPartitionOffsetBytes=${off} is not a multiple of the ${grain}-byte grain`);
  }
  if (spec.gpt?.entriesLba !== undefined && !(Number.isSafeInteger(spec.gpt.entriesLba) && spec.gpt.entriesLba >= 2)) {
    add('gpt.entriesLba', `gpt.entriesLba=${spec.gpt.entriesLba} must be an LBA of 2 or more`);
  }
  if (spec.gpt?.entryCount !== undefined && !(Number.isSafeInteger(spec.gpt.entryCount) && spec.gpt.entryCount >= 1)) {
    add('gpt.entryCount', `gpt.entryCount=${spec.gpt.entryCount} must be a positive whole number`);
  }
  if (spec.mbr?.diskId !== undefined && !(Number.isSafeInteger(spec.mbr.diskId) && spec.mbr.diskId >= 0 && spec.mbr.diskId <= 0xffffffff)) {
    add('mbr.diskId', `mbr.diskId=${spec.mbr.diskId} is not a 32-bit number`);
  }
  if (options.existing && spec.table === 'mbr') add('table', 'A base image must have a GPT; MBR base images are not supported');
  if (options.existing && options.existing.sectorSizeBytes !== sectorSize) {
    add('sectorSizeBytes', `The base image has ${options.existing.sectorSizeBytes}-byte sectors, the spec ${sectorSize}`);
  }

  const uuids = new Map<string, number>();
  let hybridCount = 0;
  spec.partitions.forEach((p, i) => {
    const at = (key: string) => `partitions.${i}.${key}`;
    if (!p.type) add(at('type'), 'Type= not defined, refusing.');
    else if (!resolvePartitionType(p.type, architecture)) add(at('type'), `Unknown partition type: ${p.type}`);
    for (const key of ['sizeMinBytes', 'sizeMaxBytes', 'paddingMinBytes', 'paddingMaxBytes'] as const) {
      if (p[key] !== undefined && !isByteCount(p[key])) add(at(key), `${key}=${String(p[key])} is not a byte count`);
    }
    // Compared after config_parse_size4096's rounding, as repart does.
    const r = (v: number | undefined, up: boolean) =>
      v === undefined ? undefined : up ? roundUp(v, SIZE_ROUNDING_BYTES) : roundDown(v, SIZE_ROUNDING_BYTES);
    const smin = r(p.sizeMinBytes, false), smax = r(p.sizeMaxBytes, true);
    if (smin !== undefined && smax !== undefined && smin > smax) add(at('sizeMinBytes'), 'SizeMinBytes= larger than SizeMaxBytes=, refusing.');
    const pmin = r(p.paddingMinBytes, false), pmax = r(p.paddingMaxBytes, true);
    if (pmin !== undefined && pmax !== undefined && pmin > pmax) add(at('paddingMinBytes'), 'PaddingMinBytes= larger than PaddingMaxBytes=, refusing.');
    for (const key of ['weight', 'paddingWeight'] as const) {
      const w = p[key];
      if (w !== undefined && !(Number.isSafeInteger(w) && w >= 0 && w <= MAX_WEIGHT)) {
        add(at(key), `${key === 'weight' ? 'Weight' : 'PaddingWeight'} needs to be in range 0…1000000: ${w}`);
      }
    }
    if (p.priority !== undefined && !(Number.isSafeInteger(p.priority) && p.priority >= -(2 ** 31) && p.priority < 2 ** 31)) {
      add(at('priority'), `Priority=${p.priority} is not a 32-bit integer`);
    }
    if (p.label !== undefined && p.label.length > GPT_LABEL_MAX_UNITS) {
      add(at('label'), `${labelTooLongMessage(p.label.length, spec.table)}: "${p.label}"`);
    }
    if (p.uuid !== undefined && p.uuid !== '' && p.uuid !== 'null') {
      if (!isUuid(p.uuid)) add(at('uuid'), `Failed to parse 128bit ID/UUID: ${p.uuid}`);
      else {
        const u = normalizeUuid(p.uuid);
        const other = uuids.get(u);
        if (other !== undefined) add(at('uuid'), `UUID ${u} is also used by partition ${other + 1}`);
        else uuids.set(u, i);
      }
    }
    if (p.flags !== undefined && parseGptFlags(p.flags) === undefined) add(at('flags'), `Failed to parse Flags= value: ${p.flags}`);
    if (p.verity === 'signature' && (p.sizeMinBytes !== undefined || p.sizeMaxBytes !== undefined)) {
      add(at('verity'), 'SizeMinBytes=/SizeMaxBytes= cannot be used with Verity=signature');
    }
    if (p.mbrType !== undefined && !(Number.isSafeInteger(p.mbrType) && p.mbrType >= 1 && p.mbrType <= 0xff)) {
      add(at('mbrType'), `mbrType=${p.mbrType} is not a partition type byte (1–255)`);
    }
    if (p.encrypt !== undefined && p.encrypt !== 'off' && p.encrypt !== 'no') {
      add(at('encrypt'), `Encrypt=${p.encrypt} needs LUKS2, which Partwright does not make yet; set Encrypt=off or remove it.`);
    }
    if (p.copyBlocks === 'auto') {
      add(at('copyBlocks'), 'CopyBlocks=auto copies from the running system, which an image builder has none of; give a file path.');
    }
    if (p.hybridMbr) hybridCount++;
  });
  if (spec.table === 'hybrid' && hybridCount > MAX_HYBRID_ENTRIES) {
    add('partitions', `A hybrid MBR holds at most ${MAX_HYBRID_ENTRIES} partitions besides its protective entry; ${hybridCount} are marked hybridMbr`);
  }

  const blobNames = new Set<string>();
  (spec.blobs ?? []).forEach((b, i) => {
    if (blobNames.has(b.name)) add(`blobs.${i}.name`, `Blob name '${b.name}' is used twice`);
    blobNames.add(b.name);
    if (!isByteCount(b.offsetBytes)) add(`blobs.${i}.offsetBytes`, `Blob '${b.name}' offset ${String(b.offsetBytes)} is not a byte count`);
    const bytes = b.sizeBytes ?? options.blobSizes?.[b.name];
    if (bytes === undefined) add(`blobs.${i}.sizeBytes`, `Blob '${b.name}' has no size: give sizeBytes or stage its source`);
    else if (!isByteCount(bytes)) add(`blobs.${i}.sizeBytes`, `Blob '${b.name}' size ${String(bytes)} is not a byte count`);
  });
  // First boot ([X-Partwright-CloudInit]): values, settings that need another, the seed's partition.
  for (const p of cloudInitSpecProblems(spec)) add(`cloudInit.${p.field}`, p.message);
  return problems;
}

/** Throws the first problem as a PartwrightError (all of them in `detail.problems`). */
export function assertValidSpec(spec: ImageSpec, options: PlanOptions = {}): void {
  // First-boot settings do not change the layout: the planner lays such a layout out (the app keeps
  // its disk map while they are edited) and the build refuses them (build/cloud-init-seed.ts).
  const problems = validateSpec(spec, options).filter((p) => !p.where.startsWith('cloudInit.'));
  const first = problems[0];
  if (first) {
    const code = first.where === 'table' && options.existing ? ErrorCode.Unsupported : ErrorCode.InvalidSpec;
    throw new PartwrightError(code, first.message, { where: first.where, problems });
  }
}
