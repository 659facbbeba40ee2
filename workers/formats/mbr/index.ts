/** Classic (DOS) MBR with EBR chains, the GPT protective MBR's reader, and hybrid MBRs. */
export { encodeMbr, encodeHybridMbr } from './encode.ts';
export type { MbrTable, MbrPartitionInput, MbrLogicalInput, HybridMbrTable } from './encode.ts';
export { decodeMbr, mbrKind } from './decode.ts';
export type { DecodedMbr, MbrKind, MbrPartition, MbrLogicalPartition } from './decode.ts';
export { encodeChs } from './chs.ts';
export { EXTENDED_TYPES, TYPE_GPT_PROTECTIVE, STATUS_BOOTABLE } from './sector.ts';
