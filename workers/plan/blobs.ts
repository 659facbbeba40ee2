/**
 * Blobs are fixed byte ranges outside any partition. Nothing may overlap them: not another blob, not
 * a partition, not the table's own sectors. Errors name both byte ranges (inclusive, as people read
 * hex dumps) and say what to move.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ByteRange, PlannedBlob, ReservedArea } from './types.ts';

export interface NamedRange extends ByteRange {
  what: string;
  hint: string;
  where: string | undefined;
}

function describe(r: ByteRange): string {
  return `bytes ${r.offsetBytes}–${r.offsetBytes + r.sizeBytes - 1}`;
}

function overlaps(a: ByteRange, b: ByteRange): boolean {
  return a.sizeBytes > 0 && b.sizeBytes > 0 && a.offsetBytes < b.offsetBytes + b.sizeBytes && b.offsetBytes < a.offsetBytes + a.sizeBytes;
}

const RESERVED_NAMES: Record<ReservedArea['kind'], [string, string]> = {
  mbr: ['the MBR', 'blobs cannot share sector 0 with the partition table'],
  'gpt-header': ['the GPT header', 'blobs cannot share LBA 1 with the GPT header'],
  'gpt-entries': ['the GPT entry array', 'move the entry array with gpt.entriesLba'],
  'gpt-backup-entries': ['the backup GPT entry array', 'move the blob or make the disk larger'],
  'gpt-backup-header': ['the backup GPT header', 'move the blob or make the disk larger'],
  ebr: ['an EBR', 'move the blob before the first partition'],
};

export function reservedRange(area: ReservedArea): NamedRange {
  const [what, hint] = RESERVED_NAMES[area.kind];
  return { ...area, what, hint, where: undefined };
}

/** Throws on the first overlap of a blob with another blob or with any of `others`. */
export function checkBlobOverlaps(blobs: readonly PlannedBlob[], blobWhere: readonly string[], others: readonly NamedRange[], diskSizeBytes: number): void {
  blobs.forEach((blob, i) => {
    const name = `Blob '${blob.name}' (${describe(blob)})`;
    if (blob.offsetBytes + blob.sizeBytes > diskSizeBytes) {
      throw new PartwrightError(ErrorCode.Overlap, `${name} extends past the end of the disk (${diskSizeBytes} bytes)`, {
        where: blobWhere[i],
      });
    }
    for (let j = 0; j < i; j++) {
      const other = blobs[j]!;
      if (overlaps(blob, other)) {
        throw new PartwrightError(ErrorCode.Overlap, `${name} overlaps blob '${other.name}' (${describe(other)}); move one of them`, {
          where: blobWhere[i],
        });
      }
    }
    for (const r of others) {
      if (overlaps(blob, r)) {
        throw new PartwrightError(ErrorCode.Overlap, `${name} overlaps ${r.what} (${describe(r)}); ${r.hint}`, {
          where: blobWhere[i],
        });
      }
    }
  });
}
