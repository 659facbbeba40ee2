/**
 * A content archive as a content tree, its kind told by its bytes (not its name): gzip (fflate) or
 * zstd (libzstd in WASM, given by the host as `codecs.zstd`) around a tar or cpio is decompressed,
 * streaming, into the scratch store; tar, cpio newc/crc and zip are then read in place.
 */
import { Gunzip } from 'fflate';
import { PartwrightError } from '../../model/errors.ts';
import { readCpio } from './cpio.ts';
import { readTar, tarChecksumOk } from './tar.ts';
import { ArchiveProblem, archiveError, bufferedSource, sliceSource, type ArchiveCodecs, type ArchiveCompression, type ArchiveDir, type ArchiveFormat, type ByteSource, type ScratchStore } from './types.ts';
import { readZip } from './zip.ts';

export * from './types.ts';
export { readTar } from './tar.ts';
export { readCpio } from './cpio.ts';
export { readZip } from './zip.ts';

const CHUNK_BYTES = 1 << 20;
const MAGIC = {
  gzip: [0x1f, 0x8b],
  zstd: [0x28, 0xb5, 0x2f, 0xfd],
  zipLocal: [0x50, 0x4b, 0x03, 0x04],
  zipEmpty: [0x50, 0x4b, 0x05, 0x06],
  cpioNewc: [0x30, 0x37, 0x30, 0x37, 0x30, 0x31],
  cpioCrc: [0x30, 0x37, 0x30, 0x37, 0x30, 0x32],
  cpioOdc: [0x30, 0x37, 0x30, 0x37, 0x30, 0x37],
} as const;
const TAR_BLOCK_BYTES = 512;

function head(source: ByteSource, length: number): Uint8Array {
  const out = new Uint8Array(Math.min(length, source.sizeBytes));
  source.read(0, out);
  return out;
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

export function detectCompression(source: ByteSource): ArchiveCompression {
  const h = head(source, 4);
  if (startsWith(h, MAGIC.gzip)) return 'gzip';
  if (startsWith(h, MAGIC.zstd)) return 'zstd';
  return 'none';
}

export function detectFormat(source: ByteSource, archive: string): ArchiveFormat {
  const h = head(source, TAR_BLOCK_BYTES);
  if (startsWith(h, MAGIC.zipLocal) || startsWith(h, MAGIC.zipEmpty)) return 'zip';
  if (startsWith(h, MAGIC.cpioNewc) || startsWith(h, MAGIC.cpioCrc)) return 'cpio';
  if (startsWith(h, MAGIC.cpioOdc)) throw archiveError(archive, ArchiveProblem.UnknownFormat, 'is an old-format (odc) cpio; make it with cpio -H newc.');
  if (h.length === TAR_BLOCK_BYTES && (tarChecksumOk(h) || h.every((b) => b === 0))) return 'tar';
  throw archiveError(archive, ArchiveProblem.UnknownFormat, 'is not a tar, cpio (newc) or zip archive, nor one of them compressed with gzip or zstd.');
}

/** Decompress all of `source` into `scratch`; the decompressed bytes as a source. */
export function decompressToScratch(source: ByteSource, compression: Exclude<ArchiveCompression, 'none'>, archive: string, scratch: ScratchStore, codecs: ArchiveCodecs = {}): ByteSource {
  let base = -1;
  let produced = 0;
  const onData = (chunk: Uint8Array) => {
    if (chunk.length === 0) return;
    const at = scratch.append(chunk);
    if (base < 0) base = at;
    produced += chunk.length;
  };
  const corrupt = (e: unknown): Error => {
    if (e instanceof PartwrightError) return e; // from the scratch store (storage full)
    return archiveError(archive, ArchiveProblem.Decompress, `its ${compression} stream is corrupt or cut short (${(e as Error).message}).`);
  };
  let decoder: { push(chunk: Uint8Array, final: boolean): void };
  if (compression === 'gzip') {
    decoder = new Gunzip((c) => onData(c));
  } else {
    if (!codecs.zstd) throw archiveError(archive, ArchiveProblem.Decompress, 'is zstd-compressed, and this host has no zstd decoder.');
    const z = codecs.zstd(onData);
    decoder = { push: (c, final) => (z.push(c), final ? z.end() : undefined) };
  }
  const chunk = new Uint8Array(Math.min(CHUNK_BYTES, source.sizeBytes));
  for (let at = 0; at < source.sizeBytes; ) {
    const n = Math.min(chunk.length, source.sizeBytes - at);
    source.read(at, chunk.subarray(0, n));
    at += n;
    try {
      // Neither fflate nor the zstd decoder keeps a reference to a pushed chunk after push returns.
      decoder.push(chunk.slice(0, n), at >= source.sizeBytes);
    } catch (e) {
      throw corrupt(e);
    }
  }
  return sliceSource(scratch, base < 0 ? 0 : base, produced);
}

/**
 * The archive in `source` (tar, cpio or zip; tar and cpio may be gzip- or zstd-compressed) as a
 * content tree named `name`. `archive` names it in errors. Throws `corrupt-archive` errors.
 * `codecs.zstd` is needed for zstd-compressed archives.
 */
export function readArchive(archiveSource: ByteSource, archive: string, scratch: ScratchStore, name = '', codecs: ArchiveCodecs = {}): ArchiveDir {
  const source = bufferedSource(archiveSource);
  const compression = detectCompression(source);
  const inner = compression === 'none' ? source : bufferedSource(decompressToScratch(source, compression, archive, scratch, codecs));
  const format = detectFormat(inner, archive);
  if (format === 'zip' && compression !== 'none') throw archiveError(archive, ArchiveProblem.UnknownFormat, `is a zip inside ${compression}; give the .zip itself.`);
  switch (format) {
    case 'tar':
      return readTar(inner, archive, name);
    case 'cpio':
      return readCpio(inner, archive, name);
    case 'zip':
      return readZip(inner, archive, scratch, name);
  }
}
