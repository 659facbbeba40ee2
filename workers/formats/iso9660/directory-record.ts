/** The directory record (ECMA-119 4th ed. §9.1), shared by the ISO 9660 and Joliet trees. */
import { decodeRecordDate, getBoth32, setBoth16, setBoth32 } from './fields.ts';

/** Byte offsets inside a directory record (§9.1). */
export const DIR_RECORD = {
  length: 0, extAttrLength: 1, extentLba: 2, dataLength: 10, recordingDate: 18, flags: 25,
  fileUnitSize: 26, interleaveGap: 27, volumeSequenceNumber: 28, identifierLength: 32, identifier: 33,
} as const;

/** §9.1.6 file flags. */
export const FILE_FLAG = { hidden: 0x01, directory: 0x02, associated: 0x04, record: 0x08, protection: 0x10, multiExtent: 0x80 } as const;

/** A record's fixed part is 33 bytes; a record is at most 255 bytes (§9.1.1, one length byte). */
export const DIR_RECORD_FIXED_BYTES = 33;
export const DIR_RECORD_MAX_BYTES = 255;
/** The identifiers of "." and ".." (§6.8.2.2). */
export const SELF_ID = Uint8Array.of(0);
export const PARENT_ID = Uint8Array.of(1);

export interface DirRecordInput {
  extentLba: number;
  dataLengthBytes: number;
  /** 7-byte date (fields.ts encodeRecordDate). */
  date: Uint8Array;
  flags: number;
  identifier: Uint8Array;
  systemUse?: Uint8Array;
}

/** Where the system use area starts for an identifier of `identifierLength` bytes (padding byte when even, §9.1.12). */
export function systemUseOffset(identifierLength: number): number {
  return DIR_RECORD_FIXED_BYTES + identifierLength + (identifierLength % 2 === 0 ? 1 : 0);
}

/** Bytes a record takes (even, §9.1.13). */
export function dirRecordBytes(identifierLength: number, systemUseBytes: number): number {
  const n = systemUseOffset(identifierLength) + systemUseBytes;
  return n + (n % 2);
}

export function encodeDirRecord(r: DirRecordInput): Uint8Array {
  const su = r.systemUse ?? new Uint8Array(0);
  const length = dirRecordBytes(r.identifier.length, su.length);
  if (length > DIR_RECORD_MAX_BYTES) throw new RangeError(`directory record of ${length} bytes exceeds 255`);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[DIR_RECORD.length] = length;
  setBoth32(view, DIR_RECORD.extentLba, r.extentLba);
  setBoth32(view, DIR_RECORD.dataLength, r.dataLengthBytes);
  bytes.set(r.date, DIR_RECORD.recordingDate);
  bytes[DIR_RECORD.flags] = r.flags;
  setBoth16(view, DIR_RECORD.volumeSequenceNumber, 1);
  bytes[DIR_RECORD.identifierLength] = r.identifier.length;
  bytes.set(r.identifier, DIR_RECORD.identifier);
  bytes.set(su, systemUseOffset(r.identifier.length));
  return bytes;
}

export interface DecodedDirRecord {
  lengthBytes: number;
  extentLba: number;
  dataLengthBytes: number;
  dateSeconds: number;
  flags: number;
  identifier: Uint8Array;
  systemUse: Uint8Array;
}

/** Decode the record at `at`; `undefined` when the length byte is 0 (rest of the sector is padding). */
export function decodeDirRecord(bytes: Uint8Array, at: number): DecodedDirRecord | undefined {
  const lengthBytes = bytes[at + DIR_RECORD.length]!;
  if (lengthBytes === 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idLength = bytes[at + DIR_RECORD.identifierLength]!;
  if (lengthBytes < DIR_RECORD_FIXED_BYTES + idLength || at + lengthBytes > bytes.length) {
    throw new RangeError(`directory record at byte ${at}: length ${lengthBytes} cannot hold a ${idLength}-byte identifier`);
  }
  return {
    lengthBytes,
    extentLba: getBoth32(view, at + DIR_RECORD.extentLba),
    dataLengthBytes: getBoth32(view, at + DIR_RECORD.dataLength),
    dateSeconds: decodeRecordDate(bytes, at + DIR_RECORD.recordingDate),
    flags: bytes[at + DIR_RECORD.flags]!,
    identifier: bytes.slice(at + DIR_RECORD.identifier, at + DIR_RECORD.identifier + idLength),
    systemUse: bytes.slice(at + systemUseOffset(idLength), at + lengthBytes),
  };
}
