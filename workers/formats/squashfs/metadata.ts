/**
 * squashfs metadata blocks (inode, directory, fragment and id tables): the table is cut into 8 KiB
 * pieces, each stored as a 2-byte header (stored length, bit 15 set when kept uncompressed) and the
 * bytes. A reference to a spot in a table is (byte position of its block in the stored table << 16)
 * | offset within the uncompressed block (squashfs_fs.h SQUASHFS_METADATA_SIZE, SQUASHFS_COMPRESSED_BIT).
 */
export const METADATA_BLOCK_BYTES = 8192;
const UNCOMPRESSED_BIT = 0x8000;

/** Compress one block; return `undefined` (or anything not smaller) to store it as it is. */
export type BlockCompressor = (data: Uint8Array) => Uint8Array | undefined;

/** One stored metadata block: header + payload. */
export function encodeMetadataBlock(data: Uint8Array, compress: BlockCompressor, uncompressed = false): Uint8Array {
  const packed = uncompressed ? undefined : compress(data);
  const useCompressed = packed !== undefined && packed.length < data.length;
  const body = useCompressed ? packed : data;
  const out = new Uint8Array(2 + body.length);
  new DataView(out.buffer).setUint16(0, body.length | (useCompressed ? 0 : UNCOMPRESSED_BIT), true);
  out.set(body, 2);
  return out;
}

/** A table being written: bytes go in, full 8 KiB blocks are compressed as they fill. */
export class MetadataWriter {
  private readonly stored: Uint8Array[] = [];
  private storedBytes = 0;
  private pending = new Uint8Array(METADATA_BLOCK_BYTES * 2);
  private pendingBytes = 0;

  constructor(private readonly compress: BlockCompressor, private readonly uncompressed = false) {}

  /** Where the next byte lands: the stored position of its block and the offset inside it. */
  position(): { block: number; offset: number } {
    return { block: this.storedBytes, offset: this.pendingBytes };
  }

  /** The next byte's reference, (block << 16) | offset. */
  reference(): bigint {
    return (BigInt(this.storedBytes) << 16n) | BigInt(this.pendingBytes);
  }

  append(data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const n = Math.min(METADATA_BLOCK_BYTES - this.pendingBytes, data.length - done);
      this.pending.set(data.subarray(done, done + n), this.pendingBytes);
      this.pendingBytes += n;
      done += n;
      if (this.pendingBytes === METADATA_BLOCK_BYTES) this.flushBlock();
    }
  }

  private flushBlock(): void {
    const block = encodeMetadataBlock(this.pending.subarray(0, this.pendingBytes), this.compress, this.uncompressed);
    this.stored.push(block);
    this.storedBytes += block.length;
    this.pendingBytes = 0;
  }

  /** Close the table: the last, partial block is stored too. Returns the stored pieces and their total. */
  finish(): { chunks: Uint8Array[]; bytes: number; blockStarts: number[] } {
    if (this.pendingBytes > 0) this.flushBlock();
    const blockStarts: number[] = [];
    let at = 0;
    for (const c of this.stored) {
      blockStarts.push(at);
      at += c.length;
    }
    return { chunks: this.stored, bytes: this.storedBytes, blockStarts };
  }
}
