/**
 * Byte mutations for fuzzing binary parsers (the kinds of damage AFL and libFuzzer apply): bit
 * flips, byte and word overwrites with boundary values, truncation, insertion and duplicated
 * ranges, biased towards the first bytes where headers live.
 */
import fc from 'fast-check';

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'byte'; pos: number; value: number }
  | { kind: 'word'; pos: number; value: number; width: 2 | 4 | 8 }
  | { kind: 'truncate'; pos: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'copy'; from: number; to: number; len: number };

const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

const position = fc.oneof(fc.nat(1024), fc.nat(65_536), fc.nat(0x7fffffff));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: position, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('byte' as const), pos: position, value: fc.oneof(fc.nat(255), fc.constantFrom(0, 0xff, 0x7f, 0x80)) }),
  fc.record({ kind: fc.constant('word' as const), pos: position, value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat()), width: fc.constantFrom(2 as const, 4 as const, 8 as const) }),
  fc.record({ kind: fc.constant('truncate' as const), pos: position }),
  fc.record({ kind: fc.constant('insert' as const), pos: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('copy' as const), from: position, to: position, len: fc.nat(512) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  if (n === 0) return m.kind === 'insert' ? m.bytes.slice() : bytes;
  switch (m.kind) {
    case 'flip': {
      const out = bytes.slice();
      out[m.pos % n]! ^= 1 << m.bit;
      return out;
    }
    case 'byte': {
      const out = bytes.slice();
      out[m.pos % n] = m.value;
      return out;
    }
    case 'word': {
      const out = bytes.slice();
      const at = m.pos % n;
      for (let i = 0; i < m.width && at + i < n; i++) out[at + i] = i < 4 ? (m.value >>> (8 * i)) & 0xff : 0;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, m.pos % (n + 1));
    case 'insert': {
      const at = m.pos % (n + 1);
      const out = new Uint8Array(n + m.bytes.length);
      out.set(bytes.subarray(0, at));
      out.set(m.bytes, at);
      out.set(bytes.subarray(at), at + m.bytes.length);
      return out;
    }
    case 'copy': {
      const out = bytes.slice();
      const from = m.from % n;
      const to = m.to % n;
      out.set(bytes.subarray(from, Math.min(n, from + m.len)).subarray(0, n - to), to);
      return out;
    }
  }
}

/** Mutated copies of one of `samples` (1–8 mutations each), or now and then plain random bytes. */
export function mutatedBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 9, arbitrary: fc.tuple(fc.nat(samples.length - 1), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([i, ms]) => ms.reduce(apply, samples[i]!)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
  );
}
