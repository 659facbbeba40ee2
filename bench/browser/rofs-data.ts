/**
 * The squashfs/erofs Chromium bench's tree, DOM-free and Node-free so the worker and the native side
 * make the same bytes: COUNT files, even ones xorshift noise, odd ones text lines, each a slice of one
 * of two 1 MiB buffers (per-block compression sees realistic data; nothing is deduplicated).
 */
import type { InputDir, InputFile } from '../../workers/build/input-tree.ts';

const BUF_BYTES = 1 << 20;

function buffers(): { noise: Uint8Array; text: Uint8Array } {
  const noise = new Uint8Array(BUF_BYTES);
  let x = 2463534242;
  for (let i = 0; i < BUF_BYTES; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    noise[i] = x & 0xff;
  }
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}: the quick brown fox ${'jumps over '.repeat(i % 5)}the lazy dog ${i * 7919}\n`);
  const parts: string[] = [];
  let n = 0;
  for (let k = 0; n < BUF_BYTES; k = (k * 31 + 7) % lines.length) {
    parts.push(lines[k]!);
    n += lines[k]!.length;
  }
  const text = new TextEncoder().encode(parts.join('')).subarray(0, BUF_BYTES);
  return { noise, text };
}

export interface BenchFile { dir: string; name: string; bytes: Uint8Array }

/** The files: ≤ 1 MiB - 64 KiB each (sizes vary around totalBytes / count). */
export function benchFiles(totalBytes: number, count: number): BenchFile[] {
  const { noise, text } = buffers();
  const out: BenchFile[] = [];
  const maxBytes = BUF_BYTES - (64 << 10);
  let written = 0;
  for (let i = 0; i < count; i++) {
    const want = i === count - 1 ? totalBytes - written : Math.floor((totalBytes / count) * (0.25 + ((i * 7919) % 1000) / 666));
    const size = Math.min(maxBytes, Math.max(0, want));
    const start = (i * 4099) % (BUF_BYTES - size);
    out.push({ dir: `d${String(i % 60).padStart(2, '0')}`, name: `f${i}.bin`, bytes: (i % 2 === 0 ? noise : text).subarray(start, start + size) });
    written += size;
  }
  return out;
}

export function benchTree(files: BenchFile[], epoch: number): InputDir {
  const dirs = new Map<string, InputDir>();
  for (const f of files) {
    let d = dirs.get(f.dir);
    if (!d) {
      d = { kind: 'dir', name: f.dir, mode: 0o755, mtimeSeconds: epoch, children: [] };
      dirs.set(f.dir, d);
    }
    const file: InputFile = { kind: 'file', name: f.name, mode: 0o644, mtimeSeconds: epoch, sizeBytes: f.bytes.length, read: (o, t) => t.set(f.bytes.subarray(o, o + t.length)) };
    d.children.push(file);
  }
  return { kind: 'dir', name: '', mode: 0o755, mtimeSeconds: epoch, children: [...dirs.values()] };
}
