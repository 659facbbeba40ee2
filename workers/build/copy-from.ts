/**
 * `--copy-from=IMAGE` (systemd-repart 255): every partition of each image's GPT becomes a definition
 * placed before the repart.d ones, as context_copy_from_one() builds them: the same type, UUID,
 * label (none when empty) and GPT attribute bits, a fixed size (SizeMinBytes=SizeMaxBytes= its size),
 * a fixed padding (the free space after it in that image, determine_current_padding()) and its bytes
 * copied as CopyBlocks=. Types left out by --include/--exclude-partitions are skipped
 * (partition_type_exclude()).
 */
import type { ReadSource } from '../disk/sparse-image.ts';
import { resolvePartitionType } from '../model/partition-types.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { DEFAULT_ARCHITECTURE } from '../model/spec.ts';
import type { BuildInputs } from './build-image.ts';
import { diskLabelOf } from './empty-mode.ts';
import { readExistingDisk } from './existing-disk.ts';

export interface CopyFromImage {
  /** The path as given (repart's JSON `file`). */
  name: string;
  source: ReadSource;
}

/**
 * The images to copy from: `--copy-from=` when given (the CLI's flags override the layout), else the
 * layout's `CopyFrom=` opened through the host (the CLI resolves them as BaseImage=; the app serves
 * the files chosen in its inputs). Call after withoutKeysUnknownTo252 (252 mode ignores CopyFrom=).
 */
export function copyFromImages(
  spec: ImageSpec,
  given: readonly CopyFromImage[] | undefined,
  open: (path: string, what: string) => ReadSource,
): readonly CopyFromImage[] {
  if (given) return given;
  return (spec.copyFrom ?? []).map((name) => ({ name, source: open(name, 'CopyFrom=') }));
}

/** The CopyBlocks= path a copied partition reads from (served by withCopyFromInputs). */
const PREFIX = 'partwright-copy-from:';

function readBytes(source: ReadSource): (o: number, n: number) => Uint8Array {
  return (o, n) => {
    const buf = new Uint8Array(Math.max(0, Math.min(n, source.sizeBytes - o)));
    source.read(o, buf);
    return buf;
  };
}

export interface CopiedDefinitions {
  spec: ImageSpec;
  /** Spec index → the attribute bits to write verbatim (repart copies the source's; no type defaults). */
  attributes: Record<number, bigint>;
  /** Spec index → where its bytes are. */
  ranges: Map<string, { source: ReadSource; offsetBytes: number; sizeBytes: number }>;
  /** For each copied definition (spec indexes 0…n−1), the image it came from (repart's JSON `file`). */
  files: string[];
}

/** The spec with the images' partitions in front of its own definitions. */
export function applyCopyFrom(
  spec: ImageSpec,
  images: readonly CopyFromImage[],
  filter: { include?: readonly string[]; exclude?: readonly string[] } = {},
): CopiedDefinitions {
  if (images.length > 0 && spec.repartVersion === '252') {
    throw new PartwrightError(ErrorCode.InvalidSpec, '--copy-from= came after systemd-repart 252 (RepartVersion=252).', { where: 'copyFrom' });
  }
  const arch = spec.architecture ?? DEFAULT_ARCHITECTURE;
  const guids = (l: readonly string[] | undefined) => (l ? new Set(l.map((t) => resolvePartitionType(t, arch)?.guid)) : undefined);
  const include = guids(filter.include);
  const exclude = guids(filter.exclude);
  const copied: PartitionSpec[] = [];
  const attributes: Record<number, bigint> = {};
  const ranges: CopiedDefinitions['ranges'] = new Map();
  const files: string[] = [];
  images.forEach((image, i) => {
    const read = readBytes(image.source);
    if (diskLabelOf(read, image.source.sizeBytes) !== 'gpt') {
      throw new PartwrightError(ErrorCode.BaseImage, `Cannot copy from disk ${image.name} with no GPT disk label.`, { where: 'copyFrom' });
    }
    const disk = readExistingDisk(read, image.source.sizeBytes);
    const grain = Math.max(4096, disk.sectorSizeBytes);
    const lastUsableEnd = image.source.sizeBytes - 33 * disk.sectorSizeBytes;
    const parts = [...disk.partitions].sort((a, b) => a.partitionNumber - b.partitionNumber);
    for (const p of parts) {
      if (include ? !include.has(p.typeGuid) : exclude?.has(p.typeGuid)) continue;
      // determine_current_padding(): to the next partition start (or the usable end), both grain-aligned.
      const end = p.offsetBytes + p.sizeBytes;
      const next = parts.filter((q) => q.offsetBytes >= end).reduce((m, q) => Math.min(m, q.offsetBytes), lastUsableEnd);
      const padding = Math.max(0, Math.floor(next / grain) * grain - Math.ceil(end / grain) * grain);
      const path = `${PREFIX}${i}:${p.partitionNumber}`;
      attributes[copied.length] = p.attributes;
      files.push(image.name);
      ranges.set(path, { source: image.source, offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes });
      copied.push({
        type: p.typeGuid,
        uuid: p.uuid,
        ...(p.label !== '' ? { label: p.label } : {}),
        sizeMinBytes: p.sizeBytes,
        sizeMaxBytes: p.sizeBytes,
        paddingMinBytes: padding,
        paddingMaxBytes: padding,
        copyBlocks: path,
        sourceName: image.name.slice(image.name.lastIndexOf('/') + 1),
      });
    }
  });
  return { spec: { ...spec, partitions: [...copied, ...spec.partitions] }, attributes, ranges, files };
}

/** Inputs that also serve the copied partitions' bytes. */
export function withCopyFromInputs(inputs: BuildInputs, ranges: CopiedDefinitions['ranges']): BuildInputs {
  if (ranges.size === 0) return inputs;
  return {
    ...inputs,
    open(path, what) {
      const r = ranges.get(path);
      if (!r) return inputs.open(path, what);
      return { sizeBytes: r.sizeBytes, read: (o, target) => r.source.read(r.offsetBytes + o, target) };
    },
  };
}
