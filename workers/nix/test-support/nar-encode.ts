/**
 * A NAR writer for tests: encodes a tree exactly as given (entry order and names untouched), so
 * tests can make well-formed NARs (checked byte-for-byte against `nix store dump-path`) and hostile ones.
 */
export type TestNode =
  | { type: 'regular'; contents: Uint8Array | string; executable?: boolean }
  | { type: 'symlink'; target: string }
  | { type: 'directory'; entries: Array<[string, TestNode]> };

const enc = new TextEncoder();

export function encodeTestNar(root: TestNode): Uint8Array {
  const parts: Uint8Array[] = [];
  const str = (s: Uint8Array | string) => {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    const len = new Uint8Array(8);
    new DataView(len.buffer).setUint32(0, b.length, true);
    parts.push(len, b, new Uint8Array((8 - (b.length % 8)) % 8));
  };
  const node = (n: TestNode) => {
    str('(');
    str('type');
    if (n.type === 'regular') {
      str('regular');
      if (n.executable) {
        str('executable');
        str('');
      }
      str('contents');
      str(n.contents);
    } else if (n.type === 'symlink') {
      str('symlink');
      str('target');
      str(n.target);
    } else {
      str('directory');
      for (const [name, child] of n.entries) {
        str('entry');
        str('(');
        str('name');
        str(name);
        str('node');
        node(child);
        str(')');
      }
    }
    str(')');
  };
  str('nix-archive-1');
  node(root);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A stream of `bytes` in chunks of `chunkBytes` (to exercise tokens split across chunks). */
export function streamOf(bytes: Uint8Array, chunkBytes = 7): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunkBytes));
      off += chunkBytes;
    },
  });
}
