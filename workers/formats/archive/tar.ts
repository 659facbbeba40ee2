/**
 * tar (POSIX.1-2001 pax, ustar, GNU and v7) read from a ByteSource header by header: file bytes stay
 * in the archive and are read at their offsets when a writer asks. GNU long names ('L'/'K'), pax
 * extended headers ('x', and 'g' for all that follow: path, linkpath, size, uid, gid, mtime) and
 * GNU base-256 numbers are understood; every header's checksum is checked.
 * Reference: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Extended Header"; GNU tar manual
 * "Basic Tar Format".
 */
import { ArchiveTreeBuilder, type ArchiveRecord } from './tree.ts';
import { ArchiveProblem, archiveError, sliceSource, type ArchiveDir, type ByteSource } from './types.ts';

const BLOCK_BYTES = 512;
/** Field offsets and lengths inside a 512-byte header (POSIX ustar). The only place they live. */
const FIELD = {
  name: [0, 100], mode: [100, 8], uid: [108, 8], gid: [116, 8], size: [124, 12], mtime: [136, 12],
  checksum: [148, 8], typeflag: [156, 1], linkname: [157, 100], magic: [257, 6], prefix: [345, 155],
} as const;
type Field = keyof typeof FIELD;
/** Long names and pax headers larger than this are not names: refuse rather than read them into memory. */
const META_BYTES_MAX = 1 << 20;
const decoder = new TextDecoder();

function field(h: Uint8Array, f: Field): Uint8Array {
  const [at, length] = FIELD[f];
  return h.subarray(at, at + length);
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** True when the block's checksum field matches its bytes (unsigned sum, or the signed one old tars wrote). */
export function tarChecksumOk(h: Uint8Array): boolean {
  const stored = parseOctal(field(h, 'checksum'));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const b = i >= FIELD.checksum[0] && i < FIELD.checksum[0] + FIELD.checksum[1] ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parseOctal(bytes: Uint8Array): number | undefined {
  const s = text(bytes).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  const n = parseInt(s, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A numeric field: octal, or GNU base-256 (high bit of the first byte set) for large values. */
function parseNumber(bytes: Uint8Array): number | undefined {
  if ((bytes[0]! & 0x80) === 0) return parseOctal(bytes);
  if (bytes[0] === 0xff) return undefined; // negative
  let n = bytes[0]! & 0x7f;
  for (let i = 1; i < bytes.length; i++) {
    n = n * 256 + bytes[i]!;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** Records of a pax extended header: "<length> <key>=<value>\n" each. */
function parsePax(bytes: Uint8Array, bad: (why: string) => Error): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0) break;
    const space = bytes.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(decoder.decode(bytes.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > bytes.length || bytes[at + length - 1] !== 0x0a) throw bad('a pax record is malformed');
    const record = decoder.decode(bytes.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw bad('a pax record has no key');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}

function isZero(h: Uint8Array): boolean {
  for (const b of h) if (b !== 0) return false;
  return true;
}

/** The tar archive in `source` as a content tree named `name`. */
export function readTar(source: ByteSource, archive: string, name = ''): ArchiveDir {
  const tree = new ArchiveTreeBuilder(archive);
  const header = new Uint8Array(BLOCK_BYTES);
  const global = new Map<string, string>();
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let offset = 0;
  let ended = false;
  while (offset < source.sizeBytes) {
    if (offset + BLOCK_BYTES > source.sizeBytes) throw archiveError(archive, ArchiveProblem.Truncated, `ends inside a header at byte ${offset}.`);
    source.read(offset, header);
    if (isZero(header)) {
      ended = true;
      break;
    }
    const headerName = text(field(header, 'name'));
    const where = longName ?? pax.get('path') ?? headerName;
    if (!tarChecksumOk(header)) throw archiveError(archive, ArchiveProblem.BadChecksum, `the header at byte ${offset} has a wrong checksum (the archive is damaged).`, where);
    const bad = (why: string) => archiveError(archive, ArchiveProblem.BadHeader, `${why}.`, where);
    const num = (f: Field) => {
      const n = parseNumber(field(header, f));
      if (n === undefined) throw bad(`its ${f} field is not a number`);
      return n;
    };
    const type = String.fromCharCode(header[FIELD.typeflag[0]]!);
    const attrs = new Map([...global, ...pax]);
    const paxNumber = (key: string): number | undefined => {
      const v = attrs.get(key);
      if (v === undefined) return undefined;
      if (!/^-?\d+(\.\d*)?$/.test(v)) throw bad(`its pax ${key} "${v}" is not a number`);
      const n = Math.floor(Number(v));
      if (!Number.isSafeInteger(n) || n < 0) throw bad(`its pax ${key} "${v}" is out of range`);
      return n;
    };
    const sizeBytes = type === 'x' || type === 'g' || type === 'L' || type === 'K' ? num('size') : (paxNumber('size') ?? num('size'));
    const dataOffset = offset + BLOCK_BYTES;
    if (sizeBytes > source.sizeBytes - dataOffset) {
      throw archiveError(archive, ArchiveProblem.Truncated, `declares ${sizeBytes} bytes of data but the archive ends ${source.sizeBytes - dataOffset} bytes after its header.`, where);
    }
    const next = dataOffset + Math.ceil(sizeBytes / BLOCK_BYTES) * BLOCK_BYTES;
    const meta = (): Uint8Array => {
      if (sizeBytes > META_BYTES_MAX) throw bad(`its ${type === 'x' || type === 'g' ? 'pax header' : 'long name'} is ${sizeBytes} bytes`);
      const bytes = new Uint8Array(sizeBytes);
      source.read(dataOffset, bytes);
      return bytes;
    };
    offset = next;
    switch (type) {
      case 'L':
        longName = text(meta());
        continue;
      case 'K':
        longLink = text(meta());
        continue;
      case 'x':
        pax = parsePax(meta(), bad);
        continue;
      case 'g':
        for (const [k, v] of parsePax(meta(), bad)) global.set(k, v);
        continue;
      case 'V':
        // A GNU volume label: not an entry.
        pax = new Map();
        longName = longLink = undefined;
        continue;
    }
    const magic = text(field(header, 'magic'));
    const prefix = magic === 'ustar' ? text(field(header, 'prefix')) : '';
    const path = attrs.get('path') ?? longName ?? (prefix ? `${prefix}/${headerName}` : headerName);
    const linkTarget = attrs.get('linkpath') ?? longLink ?? text(field(header, 'linkname'));
    if ([...attrs.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
      throw archiveError(archive, ArchiveProblem.UnsupportedEntry, 'is a sparse file, which Partwright does not unpack; make the archive without --sparse.', path);
    }
    const common = {
      path,
      mode: num('mode') & 0o7777,
      uid: paxNumber('uid') ?? num('uid'),
      gid: paxNumber('gid') ?? num('gid'),
      mtimeSeconds: paxNumber('mtime') ?? num('mtime'),
    };
    pax = new Map();
    longName = longLink = undefined;
    let record: ArchiveRecord;
    switch (type) {
      case '0':
      case '\0':
      case '7':
        if (type !== '7' && path.endsWith('/') && sizeBytes === 0) record = { kind: 'dir', ...common };
        else record = { kind: 'file', ...common, sizeBytes, read: sliceSource(source, dataOffset, sizeBytes).read };
        break;
      case '1':
        record = { kind: 'hardlink', ...common, target: linkTarget };
        break;
      case '2':
        record = { kind: 'symlink', ...common, target: linkTarget };
        break;
      case '5':
      case 'D':
        record = { kind: 'dir', ...common };
        break;
      default: {
        const what: Record<string, string> = { '3': 'character device', '4': 'block device', '6': 'FIFO', S: 'sparse file', M: 'multi-volume continuation' };
        throw archiveError(archive, ArchiveProblem.UnsupportedEntry, `is a ${what[type] ?? `type '${type}' entry`}; content archives hold files, directories and links.`, path);
      }
    }
    tree.add(record);
  }
  if (!ended && offset > source.sizeBytes) throw archiveError(archive, ArchiveProblem.Truncated, 'ends inside an entry.');
  if (longName !== undefined || longLink !== undefined || pax.size > 0) throw archiveError(archive, ArchiveProblem.Truncated, 'ends after a long name or pax header, before its entry.');
  return tree.finish(name);
}
