/**
 * bmap files (bmap-tools' block map, format version 2.0: `bmaptools/BmapCreate.py` and
 * `BmapCopy.py`): an XML list of the 4 KiB blocks that hold data, as inclusive ranges, each with the
 * SHA-256 of its bytes, plus `BmapFileChecksum`, the SHA-256 of the whole file computed while that
 * field holds 64 ASCII zeros. `bmaptool copy --bmap X.bmap raw.img /dev/sdX` writes only those
 * blocks and checks every range.
 *
 * The text is laid out exactly as `bmaptool create` writes it (same comments, spacing and in-place
 * fixed-width fields), so for the same block map the two files are byte-identical.
 *
 * The last block of an image whose size is not a multiple of 4096: bmaptool reads the image file and
 * hashes what it gets, so the range that holds the last block is hashed up to the image's end, NOT
 * padded with zeros to a whole block (`bmaptool copy` would report a checksum mismatch). We do the same.
 */
import { Sha256 } from '../../crypto/sha256.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { checkImageSize, mappedUnits, OUTPUT_CHUNK_BYTES, readPadded, type ImageSource } from './image-source.ts';

/** The format version bmaptool 3.x writes (`SUPPORTED_BMAP_VERSION`). */
export const BMAP_VERSION = '2.0';
/** bmaptool's default block size, and the only one it creates. */
export const BMAP_BLOCK_BYTES = 4096;
const SHA256_HEX_CHARS = 64;

export interface BmapRange {
  firstBlock: number;
  /** Inclusive, as in the XML. */
  lastBlock: number;
  /** Lower-case hex SHA-256 of the range's bytes (up to the image's end). */
  sha256Hex: string;
}

export interface BmapInfo {
  version: string;
  imageSizeBytes: number;
  blockBytes: number;
  blocksCount: number;
  mappedBlocksCount: number;
  checksumType: string;
  bmapFileChecksum: string;
  ranges: BmapRange[];
}

/** An incremental SHA-256: `workers/crypto/sha256.ts`, or a faster host one (Node's `createHash`). */
export interface IncrementalSha256 {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export interface BmapOptions {
  onBytes?: (doneBytes: number, totalBytes: number) => void;
  /**
   * Where hashes come from. The default pure-JS SHA-256 hashes ~180 MiB/s here; the CLI can pass
   * `() => createHash('sha256')` (~5× faster), a browser a WASM one (WebCrypto cannot hash in parts).
   */
  createSha256?: () => IncrementalSha256;
}

/** Hash every mapped range of the image and return the bmap file's text. Reads the data once. */
export function makeBmap(image: ImageSource, options: BmapOptions = {}): string {
  const { onBytes, createSha256 = () => new Sha256() } = options;
  checkImageSize(image.sizeBytes, 'bmap');
  if (image.sizeBytes === 0) throw new PartwrightError(ErrorCode.InvalidSpec, 'bmap: an empty image has no blocks to map.');
  const runs = mappedUnits(image, BMAP_BLOCK_BYTES);
  const totalBytes = runs.reduce((n, r) => n + rangeBytes(image.sizeBytes, r.firstUnit, r.unitCount), 0);
  const buf = new Uint8Array(OUTPUT_CHUNK_BYTES);
  let doneBytes = 0;
  const ranges: BmapRange[] = runs.map((run) => {
    const hash = createSha256();
    const start = run.firstUnit * BMAP_BLOCK_BYTES;
    const end = start + rangeBytes(image.sizeBytes, run.firstUnit, run.unitCount);
    for (let pos = start; pos < end; pos += OUTPUT_CHUNK_BYTES) {
      const view = buf.subarray(0, Math.min(OUTPUT_CHUNK_BYTES, end - pos));
      readPadded(image, pos, view);
      hash.update(view);
      doneBytes += view.length;
      onBytes?.(doneBytes, totalBytes);
    }
    return { firstBlock: run.firstUnit, lastBlock: run.firstUnit + run.unitCount - 1, sha256Hex: toHex(hash.digest()) };
  });
  return encodeBmapXml(image.sizeBytes, ranges);
}

/** Bytes of blocks [first, first + count) that lie inside the image (the last block may be short). */
function rangeBytes(imageSizeBytes: number, firstBlock: number, blockCount: number): number {
  return Math.min((firstBlock + blockCount) * BMAP_BLOCK_BYTES, imageSizeBytes) - firstBlock * BMAP_BLOCK_BYTES;
}

/** bmaptool's `_BMAP_START_TEMPLATE` (BmapCreate.py), verbatim. */
const START_COMMENT = `<?xml version="1.0" ?>
<!-- This file contains the block map for an image file, which is basically
     a list of useful (mapped) block numbers in the image file. In other words,
     it lists only those blocks which contain data (boot sector, partition
     table, file-system metadata, files, directories, extents, etc). These
     blocks have to be copied to the target device. The other blocks do not
     contain any useful data and do not have to be copied to the target
     device.

     The block map an optimization which allows to copy or flash the image to
     the image quicker than copying of flashing the entire image. This is
     because with bmap less data is copied: <MappedBlocksCount> blocks instead
     of <BlocksCount> blocks.

     Besides the machine-readable data, this file contains useful commentaries
     which contain human-readable information like image size, percentage of
     mapped data, etc.

     The 'version' attribute is the block map file format version in the
     'major.minor' format. The version major number is increased whenever an
     incompatible block map format change is made. The minor number changes
     in case of minor backward-compatible changes. -->

`;

/**
 * The bmap text for these ranges, with `BmapFileChecksum` filled in. bmaptool first writes blank
 * fixed-width fields, then overwrites them in place (a longer value runs over the following spaces);
 * this reproduces that.
 */
export function encodeBmapXml(imageSizeBytes: number, ranges: readonly BmapRange[]): string {
  const blocksCount = Math.ceil(imageSizeBytes / BMAP_BLOCK_BYTES);
  const mappedBlocks = ranges.reduce((n, r) => n + r.lastBlock - r.firstBlock + 1, 0);
  const imageHuman = humanSize(imageSizeBytes);
  let xml = START_COMMENT +
    `<bmap version="${BMAP_VERSION}">\n` +
    `    <!-- Image size in bytes: ${imageHuman} -->\n` +
    `    <ImageSize> ${imageSizeBytes} </ImageSize>\n\n` +
    `    <!-- Size of a block in bytes -->\n` +
    `    <BlockSize> ${BMAP_BLOCK_BYTES} </BlockSize>\n\n` +
    `    <!-- Count of blocks in the image file -->\n` +
    `    <BlocksCount> ${blocksCount} </BlocksCount>\n\n` +
    `    <!-- Count of mapped blocks: `;
  const mappedCountPos1 = xml.length;
  xml += `${' '.repeat(imageHuman.length)} or ${' '.repeat('100.0%'.length)}   -->\n    <MappedBlocksCount> `;
  const mappedCountPos2 = xml.length;
  xml += `${' '.repeat(String(blocksCount).length)} </MappedBlocksCount>\n\n` +
    `    <!-- Type of checksum used in this file -->\n` +
    `    <ChecksumType> sha256 </ChecksumType>\n\n` +
    `    <!-- The checksum of this bmap file. When it is calculated, the value of\n` +
    `         the checksum has be zero (all ASCII "0" symbols).  -->\n` +
    `    <BmapFileChecksum> `;
  const checksumPos = xml.length;
  xml += `${'0'.repeat(SHA256_HEX_CHARS)} </BmapFileChecksum>\n\n` +
    `    <!-- The block map which consists of elements which may either be a\n` +
    `         range of blocks or a single block. The 'chksum' attribute\n` +
    `         (if present) is the checksum of this blocks range. -->\n` +
    `    <BlockMap>\n`;
  for (const r of ranges) {
    const span = r.firstBlock === r.lastBlock ? `${r.firstBlock}` : `${r.firstBlock}-${r.lastBlock}`;
    xml += `        <Range chksum="${r.sha256Hex}"> ${span} </Range>\n`;
  }
  xml += '    </BlockMap>\n</bmap>\n';
  const mappedPercent = (mappedBlocks * 100) / blocksCount;
  xml = overwrite(xml, mappedCountPos1, `${humanSize(mappedBlocks * BMAP_BLOCK_BYTES)} or ${formatFixed1(mappedPercent)}%`);
  xml = overwrite(xml, mappedCountPos2, `${mappedBlocks}`);
  const fileChecksum = toHex(new Sha256().update(new TextEncoder().encode(xml)).digest());
  return overwrite(xml, checksumPos, fileChecksum);
}

/** Parse a bmap file and check its BmapFileChecksum, as `bmaptool copy` does before using it. */
export function decodeBmapXml(text: string): BmapInfo {
  const field = (tag: string): string => {
    const m = new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(text);
    if (!m) corrupt(`no <${tag}>`);
    return m[1]!;
  };
  const int = (tag: string): number => {
    const s = field(tag);
    if (!/^\d+$/.test(s)) corrupt(`<${tag}> is "${s}", not a number`);
    return Number(s);
  };
  const version = /<bmap\s+version="([^"]+)"/.exec(text)?.[1];
  if (!version) corrupt('no <bmap version="...">');
  if (Number(version.split('.')[0]) > 2) corrupt(`format version ${version} is newer than 2.x`);
  const info: BmapInfo = {
    version,
    imageSizeBytes: int('ImageSize'),
    blockBytes: int('BlockSize'),
    blocksCount: int('BlocksCount'),
    mappedBlocksCount: int('MappedBlocksCount'),
    checksumType: field('ChecksumType'),
    bmapFileChecksum: field('BmapFileChecksum'),
    ranges: [],
  };
  if (info.blockBytes === 0 || info.blocksCount !== Math.ceil(info.imageSizeBytes / info.blockBytes)) {
    corrupt(`image size ${info.imageSizeBytes} does not match ${info.blocksCount} blocks of ${info.blockBytes} bytes`);
  }
  if (info.checksumType !== 'sha256') corrupt(`checksum type ${info.checksumType} (only sha256 is read)`);
  const at = text.indexOf(info.bmapFileChecksum);
  const zeroed = text.slice(0, at) + '0'.repeat(info.bmapFileChecksum.length) + text.slice(at + info.bmapFileChecksum.length);
  const actual = toHex(new Sha256().update(new TextEncoder().encode(zeroed)).digest());
  if (actual !== info.bmapFileChecksum) corrupt(`BmapFileChecksum is ${info.bmapFileChecksum}, the file hashes to ${actual}`);
  let mapped = 0;
  for (const m of text.matchAll(/<Range(?:\s+chksum="([0-9a-f]+)")?\s*>\s*(\d+)\s*(?:-\s*(\d+)\s*)?<\/Range>/g)) {
    const firstBlock = Number(m[2]);
    const lastBlock = m[3] === undefined ? firstBlock : Number(m[3]);
    if (lastBlock < firstBlock || lastBlock >= info.blocksCount) corrupt(`bad range ${m[2]}-${m[3] ?? m[2]}`);
    info.ranges.push({ firstBlock, lastBlock, sha256Hex: m[1] ?? '' });
    mapped += lastBlock - firstBlock + 1;
  }
  if (mapped !== info.mappedBlocksCount) corrupt(`the ranges map ${mapped} blocks; MappedBlocksCount says ${info.mappedBlocksCount}`);
  return info;
}

/** Python's `str[:pos] + value + str[pos + len(value):]` (a file write at `pos`). */
function overwrite(text: string, pos: number, value: string): string {
  return text.slice(0, pos) + value + text.slice(pos + value.length);
}

/** bmaptool's `human_size` (BmapHelpers.py). */
export function humanSize(sizeBytes: number): string {
  if (sizeBytes === 1) return '1 byte';
  if (sizeBytes < 512) return `${sizeBytes} bytes`;
  let size = sizeBytes;
  for (const modifier of ['KiB', 'MiB', 'GiB', 'TiB']) {
    size /= 1024;
    if (size < 1024) return `${formatFixed1(size)} ${modifier}`;
  }
  return `${formatFixed1(size)} EiB`;
}

/**
 * Python's `'%.1f' % x`: correctly rounded from the exact binary value, ties to even. `toFixed` also
 * works on the exact value but breaks exact ties upward (1.25 → "1.3"; Python gives "1.2").
 */
function formatFixed1(x: number): string {
  // A binary number sits exactly halfway between two tenths only when it is an odd multiple of 1/4
  // (x = (2n+1)/20 needs a power-of-two denominator); x * 4 and x * 10 are then exact.
  const quarters = x * 4;
  if (Number.isSafeInteger(quarters) && Math.abs(quarters % 2) === 1) {
    const low = Math.floor(x * 10);
    return ((low % 2 === 0 ? low : low + 1) / 10).toFixed(1);
  }
  return x.toFixed(1);
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function corrupt(why: string): never {
  throw new PartwrightError(ErrorCode.CorruptTable, `Not a valid bmap file: ${why}.`, { format: 'bmap' });
}
