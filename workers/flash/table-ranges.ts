/**
 * Where an image's partition tables are, so a whole-disk flash can write them last (FACTS: "write the
 * partition table last, so a half-written device never looks valid"): for GPT, LBA 0 up to the first
 * partition (protective MBR, header, entries, and whatever boot blob sits before the first
 * partition) and the backup entries + header at the end; for a classic MBR, sector 0 up to the first
 * partition and every EBR sector. Read from the image itself, so any built or imported image works.
 */
import { decodeGpt, detectGptSectorSize } from '../formats/gpt/index.ts';
import { decodeMbr } from '../formats/mbr/index.ts';
import { readPadded, type ImageRange, type ImageSource } from '../formats/outputs/image-source.ts';
import type { ReadBytes } from '../formats/table-region.ts';

export function findTableRanges(image: ImageSource): ImageRange[] {
  const read: ReadBytes = (offsetBytes, sizeBytes) => {
    const n = Math.max(0, Math.min(sizeBytes, image.sizeBytes - offsetBytes));
    const out = new Uint8Array(n);
    if (n > 0) readPadded(image, offsetBytes, out);
    return out;
  };
  const gptSector = detectGptSectorSize(read, image.sizeBytes);
  if (gptSector !== undefined) {
    try {
      const gpt = decodeGpt(read, image.sizeBytes, gptSector);
      const firstLba = Math.min(gpt.geometry.firstUsableLba, ...gpt.partitions.map((p) => p.firstLba));
      const backupLba = Math.min(gpt.geometry.backupEntriesLba, gpt.geometry.backupHeaderLba);
      return mergeRanges([
        { offsetBytes: 0, sizeBytes: firstLba * gptSector },
        { offsetBytes: backupLba * gptSector, sizeBytes: image.sizeBytes - backupLba * gptSector },
      ]);
    } catch {
      // Fall through: a damaged GPT still has its first sectors, treated as an MBR area below.
    }
  }
  try {
    const mbr = decodeMbr(read, image.sizeBytes, 512);
    const starts = [...mbr.primary, ...mbr.logical].map((p) => p.firstLba).filter((lba) => lba > 0);
    const firstLba = starts.length > 0 ? Math.min(...starts) : 1;
    return mergeRanges([
      { offsetBytes: 0, sizeBytes: firstLba * 512 },
      ...mbr.logical.map((p) => ({ offsetBytes: p.ebrLba * 512, sizeBytes: 512 })),
    ]);
  } catch {
    return [];
  }
}

/** Sorted, merged, clipped to nothing empty. */
export function mergeRanges(ranges: readonly ImageRange[]): ImageRange[] {
  const sorted = ranges.filter((r) => r.sizeBytes > 0).sort((a, b) => a.offsetBytes - b.offsetBytes);
  const out: ImageRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.offsetBytes <= last.offsetBytes + last.sizeBytes) {
      last.sizeBytes = Math.max(last.sizeBytes, r.offsetBytes + r.sizeBytes - last.offsetBytes);
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

/** `ranges` rounded out to whole blocks of `blockBytes`, clipped to `[0, limitBytes)`, merged. */
export function alignRanges(ranges: readonly ImageRange[], blockBytes: number, limitBytes: number): ImageRange[] {
  return mergeRanges(
    ranges.map((r) => {
      const start = Math.floor(r.offsetBytes / blockBytes) * blockBytes;
      const end = Math.min(limitBytes, Math.ceil((r.offsetBytes + r.sizeBytes) / blockBytes) * blockBytes);
      return { offsetBytes: start, sizeBytes: Math.max(0, end - start) };
    }),
  );
}

/** `ranges` minus `cut` (both sorted and merged). */
export function subtractRanges(ranges: readonly ImageRange[], cut: readonly ImageRange[]): ImageRange[] {
  const out: ImageRange[] = [];
  for (const r of ranges) {
    let start = r.offsetBytes;
    const end = r.offsetBytes + r.sizeBytes;
    for (const c of cut) {
      const cEnd = c.offsetBytes + c.sizeBytes;
      if (cEnd <= start || c.offsetBytes >= end) continue;
      if (c.offsetBytes > start) out.push({ offsetBytes: start, sizeBytes: c.offsetBytes - start });
      start = Math.max(start, cEnd);
    }
    if (start < end) out.push({ offsetBytes: start, sizeBytes: end - start });
  }
  return out;
}
