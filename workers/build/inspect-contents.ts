/**
 * What a partition holds, by the magic numbers blkid looks for (util-linux libblkid probes), and
 * dm-verity sets checked: a hash partition's superblock names the data size, the tree is recomputed
 * over the data partition it pairs with, and the root hash is compared with the partition UUIDs
 * (data = first half, hash = last half, as systemd-repart sets them) and a signature partition's JSON.
 */
import { Sha256 } from '../crypto/sha256.ts';
import { detectSwapPageSize, decodeSwapHeader } from '../formats/swap/index.ts';
import {
  decodeVeritySignatureJson, decodeVeritySuperblock, isVeritySuperblock, toHex, verifyVerity, type VerityHasher,
} from '../formats/verity/index.ts';
import { partitionTypeByGuid } from '../model/partition-types.ts';
import type { ReadSource } from '../disk/sparse-image.ts';
import type { ByteRange } from '../plan/types.ts';

export type FileSystemType =
  | 'vfat' | 'ext2' | 'ext3' | 'ext4' | 'squashfs' | 'erofs' | 'swap' | 'iso9660' | 'crypto_LUKS'
  | 'verity-hash' | 'verity-signature';

/** Magic positions (libblkid superblocks/*.c). */
const MAGIC = {
  ext: { offset: 1024 + 56, value: 0xef53 },
  extCompat: 1024 + 92, extIncompat: 1024 + 96,
  squashfs: 'hsqs',
  erofs: { offset: 1024, value: 0xe0f5e1e2 },
  fat: { sig: 510, fat16: 54, fat32: 82 },
  iso: { offset: 32769, id: 'CD001' },
  luks: [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe],
} as const;
/** ext3/4 feature bits (e2fsprogs lib/ext2fs/ext2_fs.h). */
const EXT_COMPAT_HAS_JOURNAL = 0x4;
const EXT_INCOMPAT_EXTENTS = 0x40;

const PROBE_BYTES = 65536;

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The file system (or verity/swap area) at the start of `bytes` (the first 64 KiB of a partition). */
export function detectFileSystem(bytes: Uint8Array): FileSystemType | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 512 && isVeritySuperblock(bytes)) return 'verity-hash';
  if (MAGIC.luks.every((b, i) => bytes[i] === b)) return 'crypto_LUKS';
  if (ascii(bytes, 0, MAGIC.squashfs)) return 'squashfs';
  if (bytes.length >= 1028 && view.getUint32(MAGIC.erofs.offset, true) === MAGIC.erofs.value) return 'erofs';
  if (bytes.length >= 1200 && view.getUint16(MAGIC.ext.offset, true) === MAGIC.ext.value) {
    if (view.getUint32(MAGIC.extIncompat, true) & EXT_INCOMPAT_EXTENTS) return 'ext4';
    return view.getUint32(MAGIC.extCompat, true) & EXT_COMPAT_HAS_JOURNAL ? 'ext3' : 'ext2';
  }
  if (bytes.length >= 512 && bytes[MAGIC.fat.sig] === 0x55 && bytes[MAGIC.fat.sig + 1] === 0xaa
    && (ascii(bytes, MAGIC.fat.fat16, 'FAT') || ascii(bytes, MAGIC.fat.fat32, 'FAT32'))) return 'vfat';
  if (detectSwapPageSize(bytes) !== undefined) return 'swap';
  if (bytes.length > MAGIC.iso.offset + 5 && ascii(bytes, MAGIC.iso.offset, MAGIC.iso.id)) return 'iso9660';
  if (ascii(bytes, 0, '{"rootHash"')) return 'verity-signature';
  return undefined;
}

export interface ContentPartition extends ByteRange {
  partitionNumber: number;
  typeGuid: string | undefined;
  uuid: string | undefined;
}

export interface PartitionContent {
  partitionNumber: number;
  fileSystem: FileSystemType | undefined;
  /** Swap: label and UUID from the header. */
  swap?: { uuid: string; label: string; pageSizeBytes: number };
}

export interface InspectedVerity {
  dataPartition: number;
  hashPartition: number;
  signaturePartition: number | undefined;
  rootHash: string;
  /** The recomputed tree equals the stored one. */
  verified: boolean;
  /** The data/hash UUIDs are the root hash's halves. */
  uuidsMatch: boolean;
  /** The signature JSON names this root hash (undefined without a signature partition). */
  signatureNamesRootHash: boolean | undefined;
  dataBlockBytes: number;
  hashBlockBytes: number;
  problem?: string;
}

function windowOf(source: ReadSource, r: ByteRange): ReadSource {
  return { sizeBytes: r.sizeBytes, read: (o, t) => source.read(r.offsetBytes + o, t) };
}

function head(source: ReadSource, r: ByteRange, bytes: number): Uint8Array {
  const out = new Uint8Array(Math.min(bytes, r.sizeBytes));
  source.read(r.offsetBytes, out);
  return out;
}

const uuidHex = (u: string | undefined) => (u ?? '').replace(/-/g, '').toLowerCase();

export function inspectContents(source: ReadSource, partitions: ContentPartition[], hasher: VerityHasher = () => new Sha256()): { contents: PartitionContent[]; verity: InspectedVerity[] } {
  const contents: PartitionContent[] = partitions.map((p) => {
    const bytes = head(source, p, PROBE_BYTES);
    const fileSystem = detectFileSystem(bytes);
    if (fileSystem === 'swap') {
      const h = decodeSwapHeader(bytes);
      return { partitionNumber: p.partitionNumber, fileSystem, swap: { uuid: h.uuid, label: h.label, pageSizeBytes: h.pageSizeBytes } };
    }
    return { partitionNumber: p.partitionNumber, fileSystem };
  });
  const fsOf = (p: ContentPartition) => contents[partitions.indexOf(p)]!.fileSystem;

  const verity: InspectedVerity[] = [];
  const signatures = partitions.filter((p) => fsOf(p) === 'verity-signature').map((p) => {
    try {
      return { p, json: decodeVeritySignatureJson(head(source, p, p.sizeBytes)) };
    } catch {
      return { p, json: undefined };
    }
  });
  for (const h of partitions.filter((p) => fsOf(p) === 'verity-hash')) {
    const sb = decodeVeritySuperblock(head(source, h, 512));
    const dataBytes = sb.dataBlocks * sb.dataBlockBytes;
    // The data partition: the type that goes with the hash partition's (root-x86-64-verity → root-x86-64) first,
    // then any other partition that is big enough and not itself verity metadata.
    const role = h.typeGuid ? partitionTypeByGuid(h.typeGuid) : undefined;
    const dataTypeId = role?.id.replace(/-verity$/, '');
    const candidates = partitions
      .filter((d) => d !== h && d.sizeBytes >= dataBytes && fsOf(d) !== 'verity-hash' && fsOf(d) !== 'verity-signature')
      .sort((a, b) => {
        const score = (d: ContentPartition) => (d.typeGuid && partitionTypeByGuid(d.typeGuid)?.id === dataTypeId ? 0 : 1);
        return score(a) - score(b);
      });
    let best: InspectedVerity | undefined;
    for (const d of candidates) {
      const r = verifyVerity(windowOf(source, d), d.sizeBytes, windowOf(source, h), hasher);
      const rootHash = toHex(r.rootHash);
      const uuidsMatch = rootHash.length === 64 && rootHash.startsWith(uuidHex(d.uuid)) && rootHash.endsWith(uuidHex(h.uuid));
      const sig = signatures.find((s) => s.json && toHex(s.json.rootHash) === rootHash);
      const found: InspectedVerity = {
        dataPartition: d.partitionNumber, hashPartition: h.partitionNumber, signaturePartition: sig?.p.partitionNumber,
        rootHash, verified: r.ok, uuidsMatch, signatureNamesRootHash: signatures.length ? sig !== undefined : undefined,
        dataBlockBytes: sb.dataBlockBytes, hashBlockBytes: sb.hashBlockBytes, ...(r.problem ? { problem: r.problem } : {}),
      };
      if (r.ok && (uuidsMatch || candidates.length === 1)) { best = found; break; }
      if (!best || (uuidsMatch && !best.uuidsMatch)) best = found;
      if (uuidsMatch) break; // the UUIDs pair them even though the tree is wrong: that is the answer
    }
    if (best) verity.push(best);
    else verity.push({ dataPartition: 0, hashPartition: h.partitionNumber, signaturePartition: undefined, rootHash: '', verified: false, uuidsMatch: false, signatureNamesRootHash: undefined, dataBlockBytes: sb.dataBlockBytes, hashBlockBytes: sb.hashBlockBytes, problem: `no partition holds the ${dataBytes} bytes of data the hash tree covers` });
  }
  return { contents, verity };
}
