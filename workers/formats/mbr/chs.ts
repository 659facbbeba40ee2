/**
 * Cylinder/head/sector addresses in MBR partition records. Nothing reads them any more, but tools
 * compare them, so they are written exactly as util-linux's libfdisk (sfdisk, fdisk) and GPT fdisk do
 * for an image file: a geometry of 255 heads × 63 sectors per track, counted in logical sectors (also
 * for 4096-byte sectors), and an address past cylinder 1023 clamped to (1023, 254, 63) = `fe ff ff`
 * (libfdisk dos.c `set_partition()`; checked against sfdisk 2.38.1 and sgdisk 1.0.9 on 1 MiB–600 GiB files).
 */

/** libfdisk's default geometry when the device reports none (dos.c / alignment.c). */
const HEADS = 255;
const SECTORS_PER_TRACK = 63;
/** CHS can address cylinders 0..1023 (10 bits). */
const MAX_CYLINDERS = 1024;
/** The largest LBA CHS can express: (1023, 254, 63). */
const MAX_CHS_LBA = HEADS * SECTORS_PER_TRACK * MAX_CYLINDERS - 1;

/** The three CHS bytes (head, sector | cylinder bits 8–9 << 6, cylinder bits 0–7) for `lba`. */
export function encodeChs(lba: number): Uint8Array {
  let rest = Math.min(lba, MAX_CHS_LBA);
  const sector = (rest % SECTORS_PER_TRACK) + 1;
  rest = Math.floor(rest / SECTORS_PER_TRACK);
  const head = rest % HEADS;
  const cylinder = Math.floor(rest / HEADS);
  return Uint8Array.of(head, sector | ((cylinder >> 2) & 0xc0), cylinder & 0xff);
}

/** `ff ff ff`: the end address UEFI (§5.2.3) and libfdisk give the protective 0xEE record. */
export const CHS_MAX_PROTECTIVE = Uint8Array.of(0xff, 0xff, 0xff);
