/**
 * CRC-32 as GPT uses it (UEFI 2.10 §5.3.2 "CRC32 of the header/entries"): the IEEE 802.3 polynomial
 * 0x04C11DB7 in its reflected form 0xEDB88320, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF (the same
 * CRC as zlib's crc32() and PNG's).
 */

/** Reflected IEEE 802.3 polynomial. */
const POLYNOMIAL = 0xedb88320;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `bytes`, as an unsigned 32-bit number. Pass the previous result as `previous` to continue a
 * CRC over several chunks (`crc32(b, crc32(a))` equals the CRC of `a` followed by `b`).
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = (TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  }
  return ~c >>> 0;
}
