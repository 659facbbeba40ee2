/**
 * Compressed outputs whose time grows with the image's data, not its size: the image is cut into
 * segments (data, and holes of at least `MIN_HOLE_BYTES`), data segments go through the real
 * compressor, and each hole becomes a compressed run of zeros written directly, without feeding a
 * byte of it to anything:
 * - gzip: one member per segment (RFC 1952 §2.2: a file is a series of members; `gzip -d`,
 *   Python's gzip and libarchive read them all). A hole's member is one dynamic-Huffman deflate
 *   block (RFC 1951 §3.2.7) in which "copy 258 bytes from distance 1" is a 2-bit code of zero bits,
 *   so its body is zero bytes; its CRC-32 comes from `crc32Zeros` in O(log n).
 * - zstd: one frame per segment, data frames at most `ZSTD_FRAME_BYTES` so several workers can
 *   compress at once, holes as frames of RLE blocks (RFC 8878 §3.1.1.2, Block_Type 1); then the
 *   seek table of the seekable format (zstd contrib/seekable_format, what NixOS's image.repart
 *   calls `zstd-seekable`), a skippable frame that `zstd -d` skips.
 */
import { crc32Zeros } from '../crc32.ts';
import type { ImageSource } from './image-source.ts';

/** Holes shorter than this are compressed as data (a member or frame each would cost more). */
export const MIN_HOLE_BYTES = 1 << 20;
/** Largest zstd data frame: the unit of parallel compression and of seeking. */
export const ZSTD_FRAME_BYTES = 8 << 20;
/** Largest zstd hole frame (the seek table's sizes are 32-bit). */
const ZSTD_HOLE_FRAME_BYTES = 1 << 30;
/** Largest gzip data member (what a host compresses in one call) and zero member (1 MiB of output). */
export const GZIP_MEMBER_BYTES = 16 << 20;
const GZIP_ZERO_MEMBER_BYTES = 1 << 30;

export interface Segment {
  offsetBytes: number;
  sizeBytes: number;
  /** True when every byte is zero (a hole): written without reading. */
  zero: boolean;
}

/** The image as consecutive segments; data segments split at `maxDataBytes`. */
export function segments(image: ImageSource, maxDataBytes = Number.MAX_SAFE_INTEGER, minHoleBytes = MIN_HOLE_BYTES): Segment[] {
  const out: Segment[] = [];
  const add = (offsetBytes: number, end: number, zero: boolean): void => {
    if (end <= offsetBytes) return;
    const last = out.at(-1);
    if (last && last.zero === zero) last.sizeBytes = end - last.offsetBytes;
    else out.push({ offsetBytes, sizeBytes: end - offsetBytes, zero });
  };
  let pos = 0;
  for (const r of image.dataRanges()) {
    const end = Math.min(r.offsetBytes + r.sizeBytes, image.sizeBytes);
    if (end <= pos) continue;
    const start = Math.max(pos, r.offsetBytes);
    // A short hole travels with the data around it.
    add(pos, start, start - pos >= minHoleBytes);
    add(start, end, false);
    pos = end;
  }
  add(pos, image.sizeBytes, image.sizeBytes - pos >= minHoleBytes);
  // Split data segments into frames.
  const split: Segment[] = [];
  for (const s of out) {
    if (s.zero || s.sizeBytes <= maxDataBytes) split.push(s);
    else for (let o = 0; o < s.sizeBytes; o += maxDataBytes) split.push({ offsetBytes: s.offsetBytes + o, sizeBytes: Math.min(maxDataBytes, s.sizeBytes - o), zero: false });
  }
  return split;
}

/** LSB-first bit packing into a zero-filled buffer (deflate's order). */
class BitWriter {
  readonly bytes: Uint8Array;
  private bit = 0;
  constructor(capacityBytes: number) {
    this.bytes = new Uint8Array(capacityBytes);
  }
  /** `count` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++, this.bit++) if ((value >>> i) & 1) this.bytes[this.bit >>> 3]! |= 1 << (this.bit & 7);
  }
  /** A Huffman code: its bits most significant first. */
  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--, this.bit++) if ((code >>> i) & 1) this.bytes[this.bit >>> 3]! |= 1 << (this.bit & 7);
  }
  /** `count` zero bits (the buffer is already zero). */
  zeros(count: number): void {
    this.bit += count;
  }
  get lengthBytes(): number {
    return (this.bit + 7) >>> 3;
  }
}

/** RFC 1951 §3.2.7: the order in which code-length code lengths are sent. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A raw deflate stream of `n` zero bytes. Literal/length code: 285 (length 258) = "0", literal 0 =
 * "10", end of block = "11"; distance code: 0 (distance 1) = "0", 1 = "1" (unused, keeps the code
 * complete). So: literal 0, then ⌊(n−1)/258⌋ copies of "00", the rest as literals, end of block.
 */
export function deflateZeros(n: number): Uint8Array {
  const copies = n > 0 ? Math.floor((n - 1) / 258) : 0;
  const literals = n > 0 ? n - copies * 258 : 0;
  const w = new BitWriter(64 + Math.ceil((2 * copies + 2 * literals + 2) / 8));
  w.bits(1, 1); // BFINAL
  w.bits(2, 2); // BTYPE = dynamic Huffman
  w.bits(286 - 257, 5); // HLIT: codes 0…285
  w.bits(2 - 1, 5); // HDIST: codes 0…1
  w.bits(18 - 4, 4); // HCLEN: CL_ORDER up to symbol 1
  // Code-length code: 18 → "0" (length 1), 1 → "10", 2 → "11" (length 2).
  const clLengths: Record<number, number> = { 18: 1, 1: 2, 2: 2 };
  for (const sym of CL_ORDER.slice(0, 18)) w.bits(clLengths[sym] ?? 0, 3);
  const cl = { 18: [0, 1], 1: [0b10, 2], 2: [0b11, 2] } as const;
  const zerosRun = (count: number): void => {
    for (let left = count; left > 0; ) {
      const take = Math.min(138, left);
      w.code(cl[18][0], cl[18][1]);
      w.bits(take - 11, 7);
      left -= take;
    }
  };
  // Lengths: lit 0 → 2, 1…255 → 0, 256 → 2, 257…284 → 0, 285 → 1; distances 0, 1 → 1.
  w.code(cl[2][0], cl[2][1]);
  zerosRun(255);
  w.code(cl[2][0], cl[2][1]);
  zerosRun(28);
  for (let i = 0; i < 3; i++) w.code(cl[1][0], cl[1][1]);
  if (n > 0) w.code(0b10, 2); // literal 0
  w.zeros(2 * copies); // 285 "0" + distance 0 "0", copies times
  for (let i = 1; i < literals; i++) w.code(0b10, 2);
  w.code(0b11, 2); // end of block
  return w.bytes.subarray(0, w.lengthBytes);
}

/** A whole gzip member holding `n` zero bytes. */
export function gzipZeroMember(n: number): Uint8Array {
  const body = deflateZeros(n);
  const out = new Uint8Array(10 + body.length + 8);
  // ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 (unknown): the same bytes every time.
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  out.set(body, 10);
  const tail = new DataView(out.buffer, 10 + body.length, 8);
  tail.setUint32(0, crc32Zeros(n), true);
  tail.setUint32(4, n % 2 ** 32, true);
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_BYTES = 128 << 10;

/** zstd frames of `n` zero bytes: RLE blocks of 128 KiB, a 128 KiB window, no checksum. */
export function zstdZeroFrames(n: number): { frame: Uint8Array; sizeBytes: number }[] {
  const frames: { frame: Uint8Array; sizeBytes: number }[] = [];
  for (let done = 0; done < n; ) {
    const size = Math.min(ZSTD_HOLE_FRAME_BYTES, n - done);
    const blocks = Math.ceil(size / ZSTD_BLOCK_BYTES);
    const frame = new Uint8Array(4 + 1 + 1 + 8 + blocks * 4);
    const v = new DataView(frame.buffer);
    v.setUint32(0, ZSTD_MAGIC, true);
    frame[4] = 0xc0; // Frame_Content_Size_flag 3 (8 bytes), not single-segment, no checksum, no dictionary
    frame[5] = (17 - 10) << 3; // Window_Descriptor: 2^17 = 128 KiB
    v.setBigUint64(6, BigInt(size), true);
    for (let b = 0; b < blocks; b++) {
      const blockSize = Math.min(ZSTD_BLOCK_BYTES, size - b * ZSTD_BLOCK_BYTES);
      const last = b === blocks - 1 ? 1 : 0;
      const header = last | (1 << 1) | (blockSize << 3); // Block_Type 1 = RLE
      const at = 14 + b * 4;
      frame[at] = header & 0xff;
      frame[at + 1] = (header >>> 8) & 0xff;
      frame[at + 2] = (header >>> 16) & 0xff;
      frame[at + 3] = 0; // the repeated byte
    }
    frames.push({ frame, sizeBytes: size });
    done += size;
  }
  return frames;
}

/** The seekable format's seek table (a skippable frame) for frames of these sizes, no checksums. */
export function zstdSeekTable(frames: readonly { compressedBytes: number; sizeBytes: number }[]): Uint8Array {
  const payload = frames.length * 8 + 9;
  const out = new Uint8Array(8 + payload);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x184d2a5e, true); // skippable frame magic used by the seekable format
  v.setUint32(4, payload, true);
  frames.forEach((f, i) => {
    v.setUint32(8 + i * 8, f.compressedBytes, true);
    v.setUint32(12 + i * 8, f.sizeBytes, true);
  });
  v.setUint32(8 + frames.length * 8, frames.length, true);
  out[12 + frames.length * 8] = 0; // Seek_Table_Descriptor: no checksums
  v.setUint32(13 + frames.length * 8, 0x8f92eab1, true); // Seekable_Magic_Number
  return out;
}

/** The bytes of a data segment in slices of at most `sliceBytes` (each a fresh array). */
export function* segmentBytes(image: ImageSource, s: Segment, sliceBytes = 1 << 20): Generator<Uint8Array> {
  for (let o = 0; o < s.sizeBytes; o += sliceBytes) {
    const buf = new Uint8Array(Math.min(sliceBytes, s.sizeBytes - o));
    const inside = Math.max(0, Math.min(buf.length, image.sizeBytes - (s.offsetBytes + o)));
    if (inside > 0) image.readInto(s.offsetBytes + o, buf.subarray(0, inside));
    yield buf;
  }
}

/**
 * The seekable zstd stream of the image: `compressFrame` makes one complete zstd frame of the
 * bytes it is given (libzstd through zstd.wasm); holes are RLE frames. `onBytes` counts image bytes.
 */
export function* zstdSeekableChunks(
  image: ImageSource,
  compressFrame: (bytes: Iterable<Uint8Array>, sizeBytes: number) => Iterable<Uint8Array>,
  onBytes?: (doneBytes: number, totalBytes: number) => void,
): Generator<Uint8Array> {
  const table: { compressedBytes: number; sizeBytes: number }[] = [];
  for (const s of segments(image, ZSTD_FRAME_BYTES)) {
    if (s.zero) {
      for (const f of zstdZeroFrames(s.sizeBytes)) {
        table.push({ compressedBytes: f.frame.length, sizeBytes: f.sizeBytes });
        yield f.frame;
      }
    } else {
      let compressed = 0;
      for (const piece of compressFrame(segmentBytes(image, s), s.sizeBytes)) {
        compressed += piece.length;
        yield piece;
      }
      table.push({ compressedBytes: compressed, sizeBytes: s.sizeBytes });
    }
    onBytes?.(s.offsetBytes + s.sizeBytes, image.sizeBytes);
  }
  yield zstdSeekTable(table);
}

/**
 * The gzip file of the image as members: `compressMember` gzips the bytes it is given into one
 * complete member (Node's zlib, a CompressionStream); holes are zero members made here.
 */
export async function* gzipMembers(
  image: ImageSource,
  compressMember: (bytes: Iterable<Uint8Array>, sizeBytes: number) => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  onBytes?: (doneBytes: number, totalBytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for (const s of segments(image, GZIP_MEMBER_BYTES)) {
    if (s.zero) {
      for (let o = 0; o < s.sizeBytes; o += GZIP_ZERO_MEMBER_BYTES) yield gzipZeroMember(Math.min(GZIP_ZERO_MEMBER_BYTES, s.sizeBytes - o));
    } else {
      yield* compressMember(segmentBytes(image, s), s.sizeBytes);
    }
    onBytes?.(s.offsetBytes + s.sizeBytes, image.sizeBytes);
  }
}
