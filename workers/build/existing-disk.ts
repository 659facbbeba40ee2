/** Reading a base image's table into what the planner keeps and builds around. */
import { decodeGpt, detectGptSectorSize } from '../formats/gpt/index.ts';
import { decodeMbr } from '../formats/mbr/index.ts';
import type { ReadBytes } from '../formats/table-region.ts';
import { ErrorCode, PartwrightError, isPartwrightError } from '../model/errors.ts';
import type { ExistingDisk } from '../plan/types.ts';

export function readExistingDisk(read: ReadBytes, diskSizeBytes: number): ExistingDisk {
  const sectorSizeBytes = detectGptSectorSize(read, diskSizeBytes);
  if (sectorSizeBytes === undefined) {
    let what = 'no partition table';
    try {
      const mbr = decodeMbr(read, diskSizeBytes, 512);
      if (mbr.kind === 'mbr') what = 'an MBR partition table';
    } catch {
      // not an MBR either
    }
    throw new PartwrightError(
      ErrorCode.BaseImage,
      `The base image has ${what}, not a GPT: base-image mode keeps GPT partitions (as systemd-repart does); convert the image with sgdisk --mbrtogpt first.`,
    );
  }
  let gpt;
  try {
    gpt = decodeGpt(read, diskSizeBytes, sectorSizeBytes);
  } catch (e) {
    if (isPartwrightError(e)) throw new PartwrightError(ErrorCode.BaseImage, `The base image's GPT is unreadable: ${e.message}`, e.detail);
    throw e;
  }
  return {
    sectorSizeBytes,
    diskSizeBytes,
    diskGuid: gpt.diskGuid,
    entriesLba: gpt.geometry.entriesLba,
    entryCount: gpt.geometry.entryCount,
    firstUsableLba: gpt.geometry.firstUsableLba,
    partitions: gpt.partitions.map((p) => ({
      partitionNumber: p.partitionNumber,
      typeGuid: p.typeGuid,
      uuid: p.uniqueGuid,
      label: p.name,
      attributes: p.attributes,
      offsetBytes: p.firstLba * sectorSizeBytes,
      sizeBytes: (p.lastLba - p.firstLba + 1) * sectorSizeBytes,
    })),
  };
}
