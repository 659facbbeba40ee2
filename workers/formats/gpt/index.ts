/** GUID Partition Table (UEFI 2.10 chapter 5): encode to byte regions, decode from a read callback. */
export { encodeGpt, normalizeGptPartitions, validateGptPartitions } from './encode.ts';
export type { GptPartitionInput, GptTable } from './encode.ts';
export { decodeGpt, detectGptSectorSize } from './decode.ts';
export type { DecodedGpt } from './decode.ts';
export { resolveGptGeometry, entriesSectors } from './geometry.ts';
export type { GptGeometry, GptGeometryOptions } from './geometry.ts';
export type { GptPartition } from './entries.ts';
export { GPT_DEFAULT_ENTRY_COUNT, GPT_ENTRY_SIZE_BYTES, GPT_NAME_UNITS } from './entries.ts';
export { encodeProtectiveMbr } from './protective-mbr.ts';
