/**
 * Volume descriptors (ECMA-119 4th ed. §8): the primary (PVD, type 1), Joliet's supplementary one
 * (SVD, type 2, with the UCS-2 escape sequence), El Torito's boot record (type 0) and the set
 * terminator (type 255). Each is one 2048-byte sector from sector 16 on.
 */
import { decodeVolumeDate, encodeVolumeDate, getAscii, getBoth16, getBoth32, getUcs2, setBoth16, setBoth32, setPaddedAscii, setPaddedUcs2 } from './fields.ts';

export const SECTOR_BYTES = 2048;
/** §6.2.1: the system area is sectors 0–15; descriptors start at sector 16. */
export const FIRST_DESCRIPTOR_LBA = 16;
/** §8.1.2 standard identifier. */
export const STANDARD_ID = 'CD001';
export const DESCRIPTOR_TYPE = { bootRecord: 0, primary: 1, supplementary: 2, partition: 3, terminator: 255 } as const;

/** Byte offsets inside the primary / supplementary volume descriptor (§8.4, §8.5). */
export const PVD = {
  type: 0, standardId: 1, version: 6, volumeFlags: 7, systemId: 8, volumeId: 40, volumeSpaceSize: 80,
  escapeSequences: 88, volumeSetSize: 120, volumeSequenceNumber: 124, logicalBlockSize: 128,
  pathTableSize: 132, lPathTableLba: 140, optionalLPathTableLba: 144, mPathTableLba: 148,
  optionalMPathTableLba: 152, rootRecord: 156, volumeSetId: 190, publisherId: 318, dataPreparerId: 446,
  applicationId: 574, copyrightFileId: 702, abstractFileId: 739, bibliographicFileId: 776,
  creationDate: 813, modificationDate: 830, expirationDate: 847, effectiveDate: 864,
  fileStructureVersion: 881, applicationUse: 883,
} as const;

/** Field widths of the identifier fields (§8.4). */
export const ID_FIELD_BYTES = { systemId: 32, volumeId: 32, volumeSetId: 128, publisherId: 128, dataPreparerId: 128, applicationId: 128 } as const;

/** Joliet UCS-2 level 3 escape sequence "%/E" (Joliet spec §3.1; level 1 "%/@", level 2 "%/C"). */
export const JOLIET_ESCAPE = Uint8Array.of(0x25, 0x2f, 0x45);
const JOLIET_ESCAPES = [0x40, 0x43, 0x45];

/** Byte offsets inside the El Torito boot record volume descriptor (El Torito 1.0 §2.0, figure 7). */
export const BOOT_RECORD = { type: 0, standardId: 1, version: 6, bootSystemId: 7, bootId: 39, catalogLba: 71 } as const;
export const EL_TORITO_ID = 'EL TORITO SPECIFICATION';

export interface VolumeDescriptorInput {
  joliet: boolean;
  systemId: string;
  volumeId: string;
  volumeSetId: string;
  publisherId: string;
  dataPreparerId: string;
  applicationId: string;
  volumeSpaceBlocks: number;
  pathTableBytes: number;
  lPathTableLba: number;
  mPathTableLba: number;
  rootRecord: Uint8Array;
  /** Unix seconds (creation = modification = effective; no expiration). */
  dateSeconds: number;
}

function header(bytes: Uint8Array, type: number): void {
  bytes[0] = type;
  for (let i = 0; i < 5; i++) bytes[1 + i] = STANDARD_ID.charCodeAt(i);
  bytes[PVD.version] = 1;
}

/** The PVD (`joliet: false`) or the Joliet SVD. */
export function encodeVolumeDescriptor(v: VolumeDescriptorInput): Uint8Array {
  const bytes = new Uint8Array(SECTOR_BYTES);
  const view = new DataView(bytes.buffer);
  header(bytes, v.joliet ? DESCRIPTOR_TYPE.supplementary : DESCRIPTOR_TYPE.primary);
  const text = v.joliet ? setPaddedUcs2 : setPaddedAscii;
  text(bytes, PVD.systemId, ID_FIELD_BYTES.systemId, v.systemId);
  text(bytes, PVD.volumeId, ID_FIELD_BYTES.volumeId, v.volumeId);
  setBoth32(view, PVD.volumeSpaceSize, v.volumeSpaceBlocks);
  if (v.joliet) bytes.set(JOLIET_ESCAPE, PVD.escapeSequences);
  setBoth16(view, PVD.volumeSetSize, 1);
  setBoth16(view, PVD.volumeSequenceNumber, 1);
  setBoth16(view, PVD.logicalBlockSize, SECTOR_BYTES);
  setBoth32(view, PVD.pathTableSize, v.pathTableBytes);
  view.setUint32(PVD.lPathTableLba, v.lPathTableLba, true);
  view.setUint32(PVD.mPathTableLba, v.mPathTableLba, false);
  bytes.set(v.rootRecord, PVD.rootRecord);
  text(bytes, PVD.volumeSetId, ID_FIELD_BYTES.volumeSetId, v.volumeSetId);
  text(bytes, PVD.publisherId, ID_FIELD_BYTES.publisherId, v.publisherId);
  text(bytes, PVD.dataPreparerId, ID_FIELD_BYTES.dataPreparerId, v.dataPreparerId);
  text(bytes, PVD.applicationId, ID_FIELD_BYTES.applicationId, v.applicationId);
  // Copyright, abstract and bibliographic file identifiers: none (spaces, §8.4.21–23).
  text(bytes, PVD.copyrightFileId, 37, '');
  text(bytes, PVD.abstractFileId, 37, '');
  text(bytes, PVD.bibliographicFileId, 37, '');
  bytes.set(encodeVolumeDate(v.dateSeconds), PVD.creationDate);
  bytes.set(encodeVolumeDate(v.dateSeconds), PVD.modificationDate);
  bytes.set(encodeVolumeDate(undefined), PVD.expirationDate);
  bytes.set(encodeVolumeDate(v.dateSeconds), PVD.effectiveDate);
  bytes[PVD.fileStructureVersion] = 1;
  return bytes;
}

export function encodeTerminator(): Uint8Array {
  const bytes = new Uint8Array(SECTOR_BYTES);
  header(bytes, DESCRIPTOR_TYPE.terminator);
  return bytes;
}

export function encodeBootRecord(catalogLba: number): Uint8Array {
  const bytes = new Uint8Array(SECTOR_BYTES);
  header(bytes, DESCRIPTOR_TYPE.bootRecord);
  for (let i = 0; i < EL_TORITO_ID.length; i++) bytes[BOOT_RECORD.bootSystemId + i] = EL_TORITO_ID.charCodeAt(i);
  new DataView(bytes.buffer).setUint32(BOOT_RECORD.catalogLba, catalogLba, true);
  return bytes;
}

export type DecodedDescriptor =
  | { type: 'primary' | 'joliet' | 'supplementary'; info: VolumeInfo; rootRecord: Uint8Array; lPathTableLba: number; mPathTableLba: number; pathTableBytes: number }
  | { type: 'boot-record'; bootSystemId: string; catalogLba: number }
  | { type: 'terminator' }
  | { type: 'other'; code: number };

export interface VolumeInfo {
  systemId: string;
  volumeId: string;
  volumeSetId: string;
  publisherId: string;
  dataPreparerId: string;
  applicationId: string;
  volumeSpaceBlocks: number;
  logicalBlockBytes: number;
  creationSeconds?: number;
  modificationSeconds?: number;
}

/** `undefined` when the sector has no "CD001" identifier. */
export function decodeVolumeDescriptor(bytes: Uint8Array): DecodedDescriptor | undefined {
  if (getAscii(bytes, PVD.standardId, 5) !== STANDARD_ID) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[PVD.type]!;
  if (type === DESCRIPTOR_TYPE.terminator) return { type: 'terminator' };
  if (type === DESCRIPTOR_TYPE.bootRecord) {
    return { type: 'boot-record', bootSystemId: getAscii(bytes, BOOT_RECORD.bootSystemId, 32).replace(/\0+$/, ''), catalogLba: view.getUint32(BOOT_RECORD.catalogLba, true) };
  }
  if (type !== DESCRIPTOR_TYPE.primary && type !== DESCRIPTOR_TYPE.supplementary) return { type: 'other', code: type };
  const joliet = type === DESCRIPTOR_TYPE.supplementary && bytes[PVD.escapeSequences] === 0x25 && bytes[PVD.escapeSequences + 1] === 0x2f &&
    JOLIET_ESCAPES.includes(bytes[PVD.escapeSequences + 2]!);
  const text = (at: number, n: number) => (joliet ? getUcs2(bytes, at, n) : getAscii(bytes, at, n)).replace(/[ \0]+$/, '');
  return {
    type: type === DESCRIPTOR_TYPE.primary ? 'primary' : joliet ? 'joliet' : 'supplementary',
    info: {
      systemId: text(PVD.systemId, ID_FIELD_BYTES.systemId),
      volumeId: text(PVD.volumeId, ID_FIELD_BYTES.volumeId),
      volumeSetId: text(PVD.volumeSetId, ID_FIELD_BYTES.volumeSetId),
      publisherId: text(PVD.publisherId, ID_FIELD_BYTES.publisherId),
      dataPreparerId: text(PVD.dataPreparerId, ID_FIELD_BYTES.dataPreparerId),
      applicationId: text(PVD.applicationId, ID_FIELD_BYTES.applicationId),
      volumeSpaceBlocks: getBoth32(view, PVD.volumeSpaceSize),
      logicalBlockBytes: getBoth16(view, PVD.logicalBlockSize),
      creationSeconds: decodeVolumeDate(bytes, PVD.creationDate),
      modificationSeconds: decodeVolumeDate(bytes, PVD.modificationDate),
    },
    rootRecord: bytes.slice(PVD.rootRecord, PVD.rootRecord + 34),
    lPathTableLba: view.getUint32(PVD.lPathTableLba, true),
    mPathTableLba: view.getUint32(PVD.mPathTableLba, false),
    pathTableBytes: getBoth32(view, PVD.pathTableSize),
  };
}
