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

/**
 * GF(2) polynomial product modulo the CRC polynomial, both in reflected form (x^0 in bit 31): the
 * arithmetic zlib's crc32_combine uses to skip over zeros without reading them.
 */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod P for k = 0…31 (x^1 is bit 30 in reflected form). */
const X2N: Uint32Array = (() => {
  const t = new Uint32Array(32);
  let p = 0x40000000;
  t[0] = p;
  for (let k = 1; k < 32; k++) t[k] = p = multModP(p, p);
  return t;
})();

/**
 * CRC-32 of `zeroBytes` zero bytes appended to data whose CRC is `previous` (default: of nothing),
 * in O(log n) without touching a byte: `crc32Zeros(n, crc32(a))` equals `crc32(zeros(n), crc32(a))`.
 */
export function crc32Zeros(zeroBytes: number, previous = 0): number {
  // Appending n zero bits multiplies the (pre-conditioned) register by x^n; 8n bits here.
  let op = 0x80000000; // x^0
  let n = zeroBytes;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2) op = multModP(X2N[k & 31]!, op);
  }
  return (multModP(op, ~previous >>> 0) ^ 0xffffffff) >>> 0;
}
