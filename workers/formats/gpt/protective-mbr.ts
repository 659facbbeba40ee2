/**
 * The protective MBR in front of a GPT (UEFI 2.10 §5.2.3): one record, status 0, type 0xEE, from
 * LBA 1 over the whole disk (capped at 2^32−1 sectors), CHS start (0,0,2) and end `ff ff ff`, disk
 * identifier 0: exactly what libfdisk's `gpt_mknew_pmbr()` writes (checked with sfdisk 2.38.1 and
 * fdisk -b 4096).
 */
import { CHS_MAX_PROTECTIVE, encodeChs } from '../mbr/chs.ts';
import { encodeMbrSector, TYPE_GPT_PROTECTIVE } from '../mbr/sector.ts';

const MAX_SECTORS_32 = 0xffff_ffff;

/** The 512-byte protective MBR for a disk of `totalSectors` logical sectors. */
export function encodeProtectiveMbr(totalSectors: number, bootCode?: Uint8Array): Uint8Array {
  return encodeMbrSector(
    [
      {
        status: 0,
        type: TYPE_GPT_PROTECTIVE,
        firstLba: 1,
        sectorCount: Math.min(totalSectors - 1, MAX_SECTORS_32),
        chsFirst: encodeChs(1),
        chsLast: CHS_MAX_PROTECTIVE,
      },
    ],
    0,
    bootCode,
  );
}
