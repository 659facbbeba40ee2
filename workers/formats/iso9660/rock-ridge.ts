/**
 * System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.12, IEEE P1282) entries: SP, CE,
 * ER, PX, TF, NM, SL and the RRIP 1.09 RR flags entry (Linux's isofs still reads its NM bit).
 * Every entry is: 2-byte signature, length, version 1, then its data (SUSP §4.1).
 */
import { encodeRecordDate, getBoth32, setBoth32, decodeRecordDate } from './fields.ts';
import { asciiBytes } from './names.ts';

const SUSP_HEADER = { signature: 0, length: 2, version: 3, data: 4 } as const;
/** SUSP §5.3: SP check bytes and skip length. */
const SP = { check1: 4, check2: 5, skip: 6 } as const;
/** SUSP §5.1: CE block, offset, length (both-byte order). */
const CE = { block: 4, offset: 12, length: 20 } as const;
/** SUSP §5.5 ER. */
const ER = { idLength: 4, descriptorLength: 5, sourceLength: 6, version: 7, id: 8 } as const;
/** RRIP 1.12 §4.1.1 PX: mode, links, uid, gid, serial number (both-byte order, 44 bytes). */
const PX = { mode: 4, links: 12, uid: 20, gid: 28, serial: 36 } as const;
export const CE_ENTRY_BYTES = 28;
export const SP_ENTRY_BYTES = 7;
/** An entry's length is one byte. */
export const MAX_ENTRY_BYTES = 255;
/** RRIP 1.12 §4.1.5 TF flags. */
const TF_FLAG = { creation: 1, modify: 2, access: 4, attributes: 8, longForm: 0x80 } as const;
/** RRIP 1.12 §4.1.4 NM flags, §4.1.3.1 SL component flags. */
const NM_FLAG = { continue: 1, current: 2, parent: 4 } as const;
const SL_FLAG = { continue: 1, current: 2, parent: 4, root: 8 } as const;
/** RRIP 1.09 RR flags: which RR entries the record carries. */
export const RR_FLAG = { px: 1, pn: 2, sl: 4, nm: 8, cl: 16, pl: 32, re: 64, tf: 128 } as const;

/** RRIP 1.12 §5 ER identification, as libisofs writes it for 1.12. */
const ER_ID = 'IEEE_1282';
const ER_DESCRIPTOR = 'THE IEEE 1282 PROTOCOL PROVIDES SUPPORT FOR RECORDING POSIX FILE SYSTEM SEMANTICS.';
const ER_SOURCE = 'PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE 1282 SPECIFICATION.';
/** The IDs readers accept as Rock Ridge (1.09/1.10 and 1.12). */
export const ROCK_RIDGE_IDS = ['RRIP_1991A', 'IEEE_P1282', 'IEEE_1282'];

function entry(sig: string, dataBytes: number): Uint8Array {
  const length = SUSP_HEADER.data + dataBytes;
  if (length > MAX_ENTRY_BYTES) throw new RangeError(`SUSP ${sig} entry of ${length} bytes exceeds 255`);
  const bytes = new Uint8Array(length);
  bytes[SUSP_HEADER.signature] = sig.charCodeAt(0);
  bytes[SUSP_HEADER.signature + 1] = sig.charCodeAt(1);
  bytes[SUSP_HEADER.length] = length;
  bytes[SUSP_HEADER.version] = 1;
  return bytes;
}

export function encodeSp(): Uint8Array {
  const b = entry('SP', 3);
  b[SP.check1] = 0xbe;
  b[SP.check2] = 0xef;
  b[SP.skip] = 0;
  return b;
}

export function encodeCe(block: number, offsetBytes: number, lengthBytes: number): Uint8Array {
  const b = entry('CE', 24);
  const v = new DataView(b.buffer);
  setBoth32(v, CE.block, block);
  setBoth32(v, CE.offset, offsetBytes);
  setBoth32(v, CE.length, lengthBytes);
  return b;
}

export function encodeEr(): Uint8Array {
  const id = asciiBytes(ER_ID);
  const des = asciiBytes(ER_DESCRIPTOR);
  const src = asciiBytes(ER_SOURCE);
  const b = entry('ER', 4 + id.length + des.length + src.length);
  b[ER.idLength] = id.length;
  b[ER.descriptorLength] = des.length;
  b[ER.sourceLength] = src.length;
  b[ER.version] = 1;
  b.set(id, ER.id);
  b.set(des, ER.id + id.length);
  b.set(src, ER.id + id.length + des.length);
  return b;
}

export function encodeRr(flags: number): Uint8Array {
  const b = entry('RR', 1);
  b[4] = flags;
  return b;
}

export interface PosixAttributes {
  /** Full st_mode: file type bits and permissions. */
  mode: number;
  links: number;
  uid: number;
  gid: number;
  serial: number;
}

export function encodePx(a: PosixAttributes): Uint8Array {
  const b = entry('PX', 40);
  const v = new DataView(b.buffer);
  setBoth32(v, PX.mode, a.mode);
  setBoth32(v, PX.links, a.links);
  setBoth32(v, PX.uid, a.uid);
  setBoth32(v, PX.gid, a.gid);
  setBoth32(v, PX.serial, a.serial);
  return b;
}

/** TF with modify, access and attribute-change times, short (7-byte) form. */
export function encodeTf(seconds: number): Uint8Array {
  const b = entry('TF', 1 + 3 * 7);
  b[4] = TF_FLAG.modify | TF_FLAG.access | TF_FLAG.attributes;
  const d = encodeRecordDate(seconds);
  for (let i = 0; i < 3; i++) b.set(d, 5 + 7 * i);
  return b;
}

/** NM entries for `name` (UTF-8), split with the CONTINUE flag when longer than one entry holds. */
export function encodeNm(name: Uint8Array): Uint8Array[] {
  const room = MAX_ENTRY_BYTES - 5;
  const out: Uint8Array[] = [];
  for (let at = 0; at < name.length || out.length === 0; at += room) {
    const part = name.subarray(at, at + room);
    const b = entry('NM', 1 + part.length);
    b[4] = at + room < name.length ? NM_FLAG.continue : 0;
    b.set(part, 5);
    out.push(b);
  }
  return out;
}

/**
 * SL entries for a symlink target: components split at '/', a leading '/' as a ROOT component,
 * '.' and '..' as CURRENT/PARENT; long components continue across component records and SL entries
 * carry the CONTINUE flag when the next SL goes on with the same target (RRIP 1.12 §4.1.3).
 */
export function encodeSl(target: Uint8Array): Uint8Array[] {
  type Piece = { flags: number; content: Uint8Array };
  const pieces: Piece[] = [];
  const text = new TextDecoder().decode(target);
  const parts = text.split('/');
  const encoder = new TextEncoder();
  parts.forEach((p, i) => {
    if (i === 0 && p === '' && parts.length > 1) return void pieces.push({ flags: SL_FLAG.root, content: new Uint8Array(0) });
    if (p === '' && i > 0) return; // repeated or trailing slashes
    if (p === '.') return void pieces.push({ flags: SL_FLAG.current, content: new Uint8Array(0) });
    if (p === '..') return void pieces.push({ flags: SL_FLAG.parent, content: new Uint8Array(0) });
    const bytes = encoder.encode(p);
    const chunk = 200;
    for (let at = 0; at < bytes.length; at += chunk) {
      pieces.push({ flags: at + chunk < bytes.length ? SL_FLAG.continue : 0, content: bytes.subarray(at, at + chunk) });
    }
  });
  const out: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let currentBytes = 0;
  const flush = (more: boolean) => {
    const b = entry('SL', 1 + currentBytes);
    b[4] = more ? 1 : 0;
    let at = 5;
    for (const c of current) { b.set(c, at); at += c.length; }
    out.push(b);
    current = [];
    currentBytes = 0;
  };
  for (const p of pieces) {
    const rec = new Uint8Array(2 + p.content.length);
    rec[0] = p.flags;
    rec[1] = p.content.length;
    rec.set(p.content, 2);
    if (5 + currentBytes + rec.length > MAX_ENTRY_BYTES) flush(true);
    current.push(rec);
    currentBytes += rec.length;
  }
  flush(false);
  return out;
}

/** A parsed system use entry. */
export type SuspEntry =
  | { sig: 'SP'; skipBytes: number }
  | { sig: 'CE'; block: number; offsetBytes: number; lengthBytes: number }
  | { sig: 'ER'; id: string }
  | { sig: 'PX'; mode: number; links: number; uid: number; gid: number; serial?: number }
  | { sig: 'TF'; modifySeconds?: number }
  | { sig: 'NM'; flags: number; name: Uint8Array }
  | { sig: 'SL'; flags: number; components: { flags: number; content: Uint8Array }[] }
  | { sig: 'ST' }
  | { sig: 'other'; name: string };

/** Parse the entries in a system use area (or a continuation area); throws RangeError when malformed. */
export function decodeSuspEntries(area: Uint8Array): SuspEntry[] {
  const out: SuspEntry[] = [];
  let at = 0;
  while (at + 4 <= area.length) {
    const sig = String.fromCharCode(area[at]!, area[at + 1]!);
    const length = area[at + 2]!;
    if (length === 0 && sig === '\0\0') break; // padding
    if (length < 4 || at + length > area.length) throw new RangeError(`SUSP entry "${sig}" at byte ${at} has length ${length} past the area's ${area.length} bytes`);
    const e = area.subarray(at, at + length);
    const ev = new DataView(e.buffer, e.byteOffset, e.byteLength);
    switch (sig) {
      case 'SP': out.push({ sig, skipBytes: e[SP.skip]! }); break;
      case 'CE': out.push({ sig, block: getBoth32(ev, CE.block), offsetBytes: getBoth32(ev, CE.offset), lengthBytes: getBoth32(ev, CE.length) }); break;
      case 'ER': out.push({ sig, id: String.fromCharCode(...e.subarray(ER.id, ER.id + e[ER.idLength]!)) }); break;
      case 'PX': out.push({ sig, mode: getBoth32(ev, PX.mode), links: getBoth32(ev, PX.links), uid: getBoth32(ev, PX.uid), gid: getBoth32(ev, PX.gid), serial: length >= 44 ? getBoth32(ev, PX.serial) : undefined }); break;
      case 'TF': {
        const flags = e[4]!;
        const size = flags & TF_FLAG.longForm ? 17 : 7;
        let p = 5;
        let modifySeconds: number | undefined;
        for (const bit of [TF_FLAG.creation, TF_FLAG.modify, TF_FLAG.access, TF_FLAG.attributes]) {
          if (!(flags & bit)) continue;
          if (bit === TF_FLAG.modify && size === 7 && p + 7 <= e.length) modifySeconds = decodeRecordDate(e, p);
          p += size;
        }
        out.push({ sig, modifySeconds });
        break;
      }
      case 'NM': out.push({ sig, flags: e[4]!, name: e.slice(5) }); break;
      case 'SL': {
        const components: { flags: number; content: Uint8Array }[] = [];
        for (let p = 5; p + 2 <= e.length; ) {
          const n = e[p + 1]!;
          components.push({ flags: e[p]!, content: e.slice(p + 2, p + 2 + n) });
          p += 2 + n;
        }
        out.push({ sig, flags: e[4]!, components });
        break;
      }
      case 'ST': out.push({ sig }); return out;
      default: out.push({ sig: 'other', name: sig });
    }
    at += length;
  }
  return out;
}

/** Join SL components (possibly from several SL entries) back into a target path. */
export function slTarget(components: readonly { flags: number; content: Uint8Array }[]): string {
  const decoder = new TextDecoder();
  let out = '';
  let continuing = false;
  for (const c of components) {
    let text: string;
    if (c.flags & SL_FLAG.root) { out = '/'; continuing = false; continue; }
    if (c.flags & SL_FLAG.current) text = '.';
    else if (c.flags & SL_FLAG.parent) text = '..';
    else text = decoder.decode(c.content);
    if (!continuing && out !== '' && !out.endsWith('/')) out += '/';
    out += text;
    continuing = (c.flags & SL_FLAG.continue) !== 0;
  }
  return out;
}

export const NM_FLAGS = NM_FLAG;
