/**
 * Android sparse images (AOSP `system/core/libsparse/sparse_format.h`, the format `img2simg` writes,
 * `simg2img` restores and fastboot flashes): a 28-byte file header, then chunks with 12-byte headers.
 * RAW carries blocks, FILL repeats one 32-bit word, DONT_CARE skips blocks (the target keeps whatever
 * it had there). All fields little-endian.
 *
 * Writing is two passes over the image's data: `planAndroidSparse` reads every mapped block once to
 * find FILL blocks and to cut pieces (a piece's header holds its chunk count, so it must be known
 * before its first byte is sent), then `androidSparseChunks` streams one piece, reading RAW blocks
 * again. The plan is small: one entry per run of like blocks.
 *
 * Image sizes that are not a multiple of the block size: the sparse format counts whole blocks only,
 * so the last partial block is padded with zeros. `simg2img` then restores `totalBlocks × 4096` bytes
 * (a 12,388-byte image comes back as 16,384 bytes: the image followed by zeros); truncate to
 * `imageSizeBytes` to get the image back. Flashing writes the padded block, which must fit the target.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { checkImageSize, mappedUnits, OUTPUT_CHUNK_BYTES, readPadded, type ImageSource } from './image-source.ts';

/** Byte offsets inside the 28-byte sparse file header (`sparse_header_t`, sparse_format.h). */
const FILE_HEADER = {
  magic: 0,
  majorVersion: 4,
  minorVersion: 6,
  fileHeaderBytes: 8,
  chunkHeaderBytes: 10,
  blockBytes: 12,
  totalBlocks: 16,
  totalChunks: 20,
  imageChecksum: 24,
} as const;

/** Byte offsets inside the 12-byte chunk header (`chunk_header_t`, sparse_format.h). */
const CHUNK_HEADER = {
  chunkType: 0,
  reserved: 2,
  chunkBlocks: 4,
  totalBytes: 8,
} as const;
const LE = true;

/** `SPARSE_HEADER_MAGIC`. */
export const SPARSE_MAGIC = 0xed26ff3a;
/** Version 1.0: the only one libsparse reads (it rejects other major versions). */
export const SPARSE_MAJOR_VERSION = 1;
export const SPARSE_MINOR_VERSION = 0;
export const SPARSE_FILE_HEADER_BYTES = 28;
export const SPARSE_CHUNK_HEADER_BYTES = 12;
/** Block size: 4096 is what img2simg and fastboot use by default; libsparse needs a multiple of 4. */
export const SPARSE_BLOCK_BYTES = 4096;

/** `CHUNK_TYPE_*` codes. */
export const SparseChunkType = {
  Raw: 0xcac1,
  Fill: 0xcac2,
  DontCare: 0xcac3,
  Crc32: 0xcac4,
} as const;
export type SparseChunkType = (typeof SparseChunkType)[keyof typeof SparseChunkType];

/** chunk_sz and total_sz are 32-bit: a RAW chunk carries at most this many 4 KiB blocks. */
const MAX_RAW_BLOCKS = Math.floor((0xffff_ffff - SPARSE_CHUNK_HEADER_BYTES) / SPARSE_BLOCK_BYTES);
/** total_blks and chunk_sz are 32-bit block counts. */
const MAX_BLOCKS = 0xffff_ffff;
/** The smallest limit a piece can honour: header, two DONT_CAREs, one RAW chunk of one block. */
export const SPARSE_MIN_PIECE_BYTES = SPARSE_FILE_HEADER_BYTES + 3 * SPARSE_CHUNK_HEADER_BYTES + SPARSE_BLOCK_BYTES;

export interface SparseFileHeader {
  majorVersion: number;
  minorVersion: number;
  fileHeaderBytes: number;
  chunkHeaderBytes: number;
  blockBytes: number;
  totalBlocks: number;
  totalChunks: number;
  imageChecksum: number;
}

export interface SparseChunkHeader {
  chunkType: number;
  chunkBlocks: number;
  totalBytes: number;
}

/** One chunk of a plan: a run of blocks that are raw data, one repeated word, or skipped. */
export type SparseChunk =
  | { kind: 'raw'; firstBlock: number; blockCount: number }
  | { kind: 'fill'; firstBlock: number; blockCount: number; fillWord: number }
  | { kind: 'dont-care'; firstBlock: number; blockCount: number };

export interface AndroidSparsePiece {
  /** Chunks in block order, covering all `totalBlocks` (DONT_CARE around the piece's own part). */
  chunks: SparseChunk[];
  /** Exact size of this sparse file. */
  sizeBytes: number;
  /** Bytes of image data (RAW and FILL blocks) this piece writes. */
  dataBytes: number;
}

export interface AndroidSparsePlan {
  imageSizeBytes: number;
  blockBytes: number;
  totalBlocks: number;
  pieces: AndroidSparsePiece[];
}

export interface AndroidSparseOptions {
  /** Split into several sparse files, each at most this many bytes (fastboot's max-download-size). */
  maxPieceBytes?: number;
  /** Turn blocks that repeat one 32-bit word into FILL chunks (default true). */
  detectFill?: boolean;
}

export function encodeSparseFileHeader(h: SparseFileHeader): Uint8Array {
  const bytes = new Uint8Array(SPARSE_FILE_HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(FILE_HEADER.magic, SPARSE_MAGIC, LE);
  v.setUint16(FILE_HEADER.majorVersion, h.majorVersion, LE);
  v.setUint16(FILE_HEADER.minorVersion, h.minorVersion, LE);
  v.setUint16(FILE_HEADER.fileHeaderBytes, h.fileHeaderBytes, LE);
  v.setUint16(FILE_HEADER.chunkHeaderBytes, h.chunkHeaderBytes, LE);
  v.setUint32(FILE_HEADER.blockBytes, h.blockBytes, LE);
  v.setUint32(FILE_HEADER.totalBlocks, h.totalBlocks, LE);
  v.setUint32(FILE_HEADER.totalChunks, h.totalChunks, LE);
  v.setUint32(FILE_HEADER.imageChecksum, h.imageChecksum, LE);
  return bytes;
}

export function decodeSparseFileHeader(bytes: Uint8Array): SparseFileHeader {
  if (bytes.length < SPARSE_FILE_HEADER_BYTES) corrupt(`the file is ${bytes.length} bytes, shorter than the 28-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = v.getUint32(FILE_HEADER.magic, LE);
  if (magic !== SPARSE_MAGIC) corrupt(`bad magic 0x${magic.toString(16)} (expected 0xed26ff3a)`);
  const h: SparseFileHeader = {
    majorVersion: v.getUint16(FILE_HEADER.majorVersion, LE),
    minorVersion: v.getUint16(FILE_HEADER.minorVersion, LE),
    fileHeaderBytes: v.getUint16(FILE_HEADER.fileHeaderBytes, LE),
    chunkHeaderBytes: v.getUint16(FILE_HEADER.chunkHeaderBytes, LE),
    blockBytes: v.getUint32(FILE_HEADER.blockBytes, LE),
    totalBlocks: v.getUint32(FILE_HEADER.totalBlocks, LE),
    totalChunks: v.getUint32(FILE_HEADER.totalChunks, LE),
    imageChecksum: v.getUint32(FILE_HEADER.imageChecksum, LE),
  };
  if (h.majorVersion !== SPARSE_MAJOR_VERSION) corrupt(`unsupported major version ${h.majorVersion}`);
  if (h.fileHeaderBytes < SPARSE_FILE_HEADER_BYTES) corrupt(`file header size ${h.fileHeaderBytes} < 28`);
  if (h.chunkHeaderBytes < SPARSE_CHUNK_HEADER_BYTES) corrupt(`chunk header size ${h.chunkHeaderBytes} < 12`);
  if (h.blockBytes === 0 || h.blockBytes % 4 !== 0) corrupt(`block size ${h.blockBytes} is not a positive multiple of 4`);
  return h;
}

export function encodeSparseChunkHeader(h: SparseChunkHeader): Uint8Array {
  const bytes = new Uint8Array(SPARSE_CHUNK_HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint16(CHUNK_HEADER.chunkType, h.chunkType, LE);
  v.setUint16(CHUNK_HEADER.reserved, 0, LE);
  v.setUint32(CHUNK_HEADER.chunkBlocks, h.chunkBlocks, LE);
  v.setUint32(CHUNK_HEADER.totalBytes, h.totalBytes, LE);
  return bytes;
}

export function decodeSparseChunkHeader(bytes: Uint8Array): SparseChunkHeader {
  if (bytes.length < SPARSE_CHUNK_HEADER_BYTES) corrupt('truncated chunk header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    chunkType: v.getUint16(CHUNK_HEADER.chunkType, LE),
    chunkBlocks: v.getUint32(CHUNK_HEADER.chunkBlocks, LE),
    totalBytes: v.getUint32(CHUNK_HEADER.totalBytes, LE),
  };
}

/** Bytes a chunk takes in a sparse file, header included. */
export function sparseChunkBytes(chunk: SparseChunk): number {
  if (chunk.kind === 'raw') return SPARSE_CHUNK_HEADER_BYTES + chunk.blockCount * SPARSE_BLOCK_BYTES;
  if (chunk.kind === 'fill') return SPARSE_CHUNK_HEADER_BYTES + 4;
  return SPARSE_CHUNK_HEADER_BYTES;
}

/**
 * Classify every mapped block and cut the result into pieces. Reads each data block once; holes
 * become DONT_CARE without being read.
 */
export function planAndroidSparse(image: ImageSource, options: AndroidSparseOptions = {}): AndroidSparsePlan {
  checkImageSize(image.sizeBytes, 'Android sparse');
  const totalBlocks = Math.ceil(image.sizeBytes / SPARSE_BLOCK_BYTES);
  if (totalBlocks > MAX_BLOCKS) {
    throw new PartwrightError(ErrorCode.Unsupported, `Android sparse images hold at most ${MAX_BLOCKS} blocks of 4096 bytes; this image needs ${totalBlocks}.`);
  }
  const maxPieceBytes = options.maxPieceBytes ?? Number.POSITIVE_INFINITY;
  if (!(maxPieceBytes >= SPARSE_MIN_PIECE_BYTES)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `A sparse piece limit of ${maxPieceBytes} bytes is too small: at least ${SPARSE_MIN_PIECE_BYTES} bytes are needed.`);
  }
  const dataChunks = classifyBlocks(image, options.detectFill ?? true);
  const pieces = splitPieces(dataChunks, totalBlocks, maxPieceBytes);
  return { imageSizeBytes: image.sizeBytes, blockBytes: SPARSE_BLOCK_BYTES, totalBlocks, pieces };
}

/** RAW and FILL chunks for the mapped blocks, in order (holes between them are implicit). */
function classifyBlocks(image: ImageSource, detectFill: boolean): SparseChunk[] {
  const chunks: SparseChunk[] = [];
  const blocksPerRead = OUTPUT_CHUNK_BYTES / SPARSE_BLOCK_BYTES;
  const buf = new Uint8Array(OUTPUT_CHUNK_BYTES);
  const words = new Uint32Array(buf.buffer);
  const wordsPerBlock = SPARSE_BLOCK_BYTES / 4;
  const push = (block: number, fillWord: number | undefined): void => {
    const last = chunks.at(-1);
    if (last && last.firstBlock + last.blockCount === block) {
      if (fillWord === undefined && last.kind === 'raw' && last.blockCount < MAX_RAW_BLOCKS) {
        last.blockCount++;
        return;
      }
      if (fillWord !== undefined && last.kind === 'fill' && last.fillWord === fillWord && last.blockCount < MAX_BLOCKS) {
        last.blockCount++;
        return;
      }
    }
    chunks.push(fillWord === undefined ? { kind: 'raw', firstBlock: block, blockCount: 1 } : { kind: 'fill', firstBlock: block, blockCount: 1, fillWord });
  };
  for (const run of mappedUnits(image, SPARSE_BLOCK_BYTES)) {
    for (let block = run.firstUnit; block < run.firstUnit + run.unitCount; block += blocksPerRead) {
      const n = Math.min(blocksPerRead, run.firstUnit + run.unitCount - block);
      if (!detectFill) {
        for (let i = 0; i < n; i++) push(block + i, undefined);
        continue;
      }
      readPadded(image, block * SPARSE_BLOCK_BYTES, buf.subarray(0, n * SPARSE_BLOCK_BYTES));
      for (let i = 0; i < n; i++) {
        const base = i * wordsPerBlock;
        const first = words[base]!;
        let uniform = true;
        for (let w = base + 1; w < base + wordsPerBlock; w++) {
          if (words[w] !== first) { uniform = false; break; }
        }
        // Uint32Array reads in platform order; FILL's word is little-endian on disk. Every JS engine
        // that runs Partwright is little-endian, and the word is written back with setUint32(LE).
        push(block + i, uniform ? first : undefined);
      }
    }
  }
  return chunks;
}

/**
 * Cut the data chunks into pieces of at most `maxPieceBytes` (libsparse's `sparse_file_resparse`):
 * a RAW chunk that does not fit is split at a block boundary; each piece gets DONT_CARE chunks for
 * the gaps between its chunks and for everything before and after its part.
 */
function splitPieces(dataChunks: SparseChunk[], totalBlocks: number, maxPieceBytes: number): AndroidSparsePiece[] {
  // Room for chunks once the header and the two framing DONT_CAREs are paid for.
  const room = maxPieceBytes - SPARSE_FILE_HEADER_BYTES - 2 * SPARSE_CHUNK_HEADER_BYTES;
  const groups: SparseChunk[][] = [];
  let current: SparseChunk[] = [];
  let used = 0;
  const close = (): void => {
    if (current.length > 0) groups.push(current);
    current = [];
    used = 0;
  };
  const queue = dataChunks.map((c) => ({ ...c }));
  for (let i = 0; i < queue.length; i++) {
    const chunk = queue[i]!;
    const prev = current.at(-1);
    const gap = prev && prev.firstBlock + prev.blockCount < chunk.firstBlock ? SPARSE_CHUNK_HEADER_BYTES : 0;
    const need = gap + sparseChunkBytes(chunk);
    if (used + need <= room) {
      current.push(chunk);
      used += need;
      continue;
    }
    if (chunk.kind === 'raw') {
      const fitBlocks = Math.floor((room - used - gap - SPARSE_CHUNK_HEADER_BYTES) / SPARSE_BLOCK_BYTES);
      if (fitBlocks > 0) {
        current.push({ kind: 'raw', firstBlock: chunk.firstBlock, blockCount: fitBlocks });
        queue[i] = { kind: 'raw', firstBlock: chunk.firstBlock + fitBlocks, blockCount: chunk.blockCount - fitBlocks };
      }
    }
    close();
    i--; // place the (rest of the) chunk in the next piece
  }
  close();
  if (groups.length === 0) groups.push([]);
  return groups.map((group) => framePiece(group, totalBlocks));
}

/** The piece's chunks with DONT_CARE in every gap, from block 0 to `totalBlocks`. */
function framePiece(group: SparseChunk[], totalBlocks: number): AndroidSparsePiece {
  const chunks: SparseChunk[] = [];
  let block = 0;
  let dataBytes = 0;
  for (const c of group) {
    if (c.firstBlock > block) chunks.push({ kind: 'dont-care', firstBlock: block, blockCount: c.firstBlock - block });
    chunks.push(c);
    dataBytes += c.blockCount * SPARSE_BLOCK_BYTES;
    block = c.firstBlock + c.blockCount;
  }
  if (block < totalBlocks) chunks.push({ kind: 'dont-care', firstBlock: block, blockCount: totalBlocks - block });
  const sizeBytes = SPARSE_FILE_HEADER_BYTES + chunks.reduce((n, c) => n + sparseChunkBytes(c), 0);
  return { chunks, sizeBytes, dataBytes };
}

/** One sparse file of the plan as consecutive chunks of bytes. */
export function* androidSparseChunks(image: ImageSource, plan: AndroidSparsePlan, pieceIndex = 0): Generator<Uint8Array> {
  const piece = plan.pieces[pieceIndex];
  if (!piece) throw new PartwrightError(ErrorCode.InvalidSpec, `The sparse plan has ${plan.pieces.length} pieces; there is no piece ${pieceIndex}.`);
  if (image.sizeBytes !== plan.imageSizeBytes) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `The sparse plan was made for ${plan.imageSizeBytes} bytes; the image now has ${image.sizeBytes}.`);
  }
  yield encodeSparseFileHeader({
    majorVersion: SPARSE_MAJOR_VERSION,
    minorVersion: SPARSE_MINOR_VERSION,
    fileHeaderBytes: SPARSE_FILE_HEADER_BYTES,
    chunkHeaderBytes: SPARSE_CHUNK_HEADER_BYTES,
    blockBytes: plan.blockBytes,
    totalBlocks: plan.totalBlocks,
    totalChunks: piece.chunks.length,
    imageChecksum: 0,
  });
  for (const c of piece.chunks) {
    if (c.kind === 'dont-care') {
      yield encodeSparseChunkHeader({ chunkType: SparseChunkType.DontCare, chunkBlocks: c.blockCount, totalBytes: SPARSE_CHUNK_HEADER_BYTES });
    } else if (c.kind === 'fill') {
      const bytes = new Uint8Array(SPARSE_CHUNK_HEADER_BYTES + 4);
      bytes.set(encodeSparseChunkHeader({ chunkType: SparseChunkType.Fill, chunkBlocks: c.blockCount, totalBytes: bytes.length }));
      new DataView(bytes.buffer).setUint32(SPARSE_CHUNK_HEADER_BYTES, c.fillWord, LE);
      yield bytes;
    } else {
      yield encodeSparseChunkHeader({ chunkType: SparseChunkType.Raw, chunkBlocks: c.blockCount, totalBytes: sparseChunkBytes(c) });
      const start = c.firstBlock * SPARSE_BLOCK_BYTES;
      const end = start + c.blockCount * SPARSE_BLOCK_BYTES;
      for (let pos = start; pos < end; pos += OUTPUT_CHUNK_BYTES) {
        const data = new Uint8Array(Math.min(OUTPUT_CHUNK_BYTES, end - pos));
        readPadded(image, pos, data);
        yield data;
      }
    }
  }
}

/** A destination for decoded blocks. */
export interface SparseRestoreSink {
  write(offsetBytes: number, data: Uint8Array): void;
}

/**
 * Read a sparse file (in memory) and write its RAW and FILL blocks to the sink, as `simg2img` does;
 * DONT_CARE blocks are left alone. Returns the header. CRC32 chunks are skipped (not checked).
 */
export function decodeAndroidSparse(bytes: Uint8Array, sink: SparseRestoreSink, options: { maxImageBytes?: number } = {}): SparseFileHeader {
  const h = decodeSparseFileHeader(bytes);
  // FILL chunks expand to their full size: a header claiming terabytes must not be taken on trust.
  if (options.maxImageBytes !== undefined && h.totalBlocks * h.blockBytes > options.maxImageBytes) {
    corrupt(`it describes ${h.totalBlocks * h.blockBytes} bytes, more than the ${options.maxImageBytes} bytes it is written to`);
  }
  let pos = h.fileHeaderBytes;
  let block = 0;
  for (let i = 0; i < h.totalChunks; i++) {
    if (pos + h.chunkHeaderBytes > bytes.length) corrupt(`chunk ${i} starts past the end of the file`);
    const c = decodeSparseChunkHeader(bytes.subarray(pos, pos + h.chunkHeaderBytes));
    const payloadAt = pos + h.chunkHeaderBytes;
    const payloadBytes = c.totalBytes - h.chunkHeaderBytes;
    if (c.totalBytes < h.chunkHeaderBytes || pos + c.totalBytes > bytes.length) corrupt(`chunk ${i} claims ${c.totalBytes} bytes, past the end of the file`);
    if (block + c.chunkBlocks > h.totalBlocks) corrupt(`chunk ${i} runs past block ${h.totalBlocks}`);
    const offsetBytes = block * h.blockBytes;
    if (c.chunkType === SparseChunkType.Raw) {
      if (payloadBytes !== c.chunkBlocks * h.blockBytes) corrupt(`RAW chunk ${i} has ${payloadBytes} bytes for ${c.chunkBlocks} blocks`);
      sink.write(offsetBytes, bytes.subarray(payloadAt, payloadAt + payloadBytes));
    } else if (c.chunkType === SparseChunkType.Fill) {
      if (payloadBytes !== 4) corrupt(`FILL chunk ${i} has a ${payloadBytes}-byte payload`);
      const fill = new Uint8Array(h.blockBytes);
      for (let j = 0; j < h.blockBytes; j += 4) fill.set(bytes.subarray(payloadAt, payloadAt + 4), j);
      for (let b = 0; b < c.chunkBlocks; b++) sink.write(offsetBytes + b * h.blockBytes, fill);
    } else if (c.chunkType === SparseChunkType.DontCare) {
      if (payloadBytes !== 0) corrupt(`DONT_CARE chunk ${i} has a payload`);
    } else if (c.chunkType === SparseChunkType.Crc32) {
      if (payloadBytes !== 4) corrupt(`CRC32 chunk ${i} has a ${payloadBytes}-byte payload`);
    } else {
      corrupt(`chunk ${i} has unknown type 0x${c.chunkType.toString(16)}`);
    }
    block += c.chunkType === SparseChunkType.Crc32 ? 0 : c.chunkBlocks;
    pos += c.totalBytes;
  }
  if (block !== h.totalBlocks) corrupt(`the chunks cover ${block} blocks; the header says ${h.totalBlocks}`);
  return h;
}

function corrupt(why: string): never {
  throw new PartwrightError(ErrorCode.CorruptTable, `Not a valid Android sparse image: ${why}.`, { format: 'android-sparse' });
}
