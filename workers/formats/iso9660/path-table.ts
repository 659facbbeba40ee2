/**
 * Path tables (ECMA-119 4th ed. §9.4): every directory once, ordered by level, then parent number,
 * then identifier; numbers start at 1 (the root, its own parent). The L table stores numbers
 * little-endian, the M table big-endian (§8.4.14–8.4.17).
 */

/** Byte offsets inside a path table record (§9.4). */
const PATH_RECORD = { identifierLength: 0, extAttrLength: 1, extentLba: 2, parentNumber: 6, identifier: 8 } as const;

export interface PathTableDir {
  /** Root: a single 0x00 byte (§9.4.5). */
  identifier: Uint8Array;
  extentLba: number;
  /** 1-based number of the parent in the same table (1 for the root). */
  parentNumber: number;
}

export function pathTableBytes(dirs: readonly { identifier: Uint8Array }[]): number {
  return dirs.reduce((n, d) => n + 8 + d.identifier.length + (d.identifier.length % 2), 0);
}

/** One table, `littleEndian` for the L table. `dirs` must already be in path table order. */
export function encodePathTable(dirs: readonly PathTableDir[], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(pathTableBytes(dirs));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const d of dirs) {
    bytes[at + PATH_RECORD.identifierLength] = d.identifier.length;
    view.setUint32(at + PATH_RECORD.extentLba, d.extentLba, littleEndian);
    view.setUint16(at + PATH_RECORD.parentNumber, d.parentNumber, littleEndian);
    bytes.set(d.identifier, at + PATH_RECORD.identifier);
    at += 8 + d.identifier.length + (d.identifier.length % 2);
  }
  return bytes;
}

export function decodePathTable(bytes: Uint8Array, littleEndian: boolean): PathTableDir[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PathTableDir[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    const n = bytes[at + PATH_RECORD.identifierLength]!;
    if (n === 0) break;
    out.push({
      identifier: bytes.slice(at + PATH_RECORD.identifier, at + PATH_RECORD.identifier + n),
      extentLba: view.getUint32(at + PATH_RECORD.extentLba, littleEndian),
      parentNumber: view.getUint16(at + PATH_RECORD.parentNumber, littleEndian),
    });
    at += 8 + n + (n % 2);
  }
  return out;
}
