/**
 * The tree the squashfs and erofs benchmarks compress: TOTAL bytes in COUNT files over 60 folders,
 * deterministic; even files are AES-CTR noise (incompressible, like compressed payloads), odd files
 * text-like (a few dozen distinct lines), so ratios and speeds are neither best nor worst case.
 */
import { createCipheriv } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function makeRofsTree(dir: string, totalBytes: number, count: number): void {
  const noise = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}: the quick brown fox ${'jumps over '.repeat(i % 5)}the lazy dog ${i * 7919}\n`);
  let written = 0;
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `d${String(i % 60).padStart(2, '0')}`);
    fs.mkdirSync(sub, { recursive: true });
    const size = i === count - 1 ? totalBytes - written : Math.floor((totalBytes / count) * (0.25 + ((i * 7919) % 1000) / 666));
    let buf: Buffer;
    if (i % 2 === 0) buf = noise.update(Buffer.alloc(size));
    else {
      const parts: string[] = [];
      let n = 0;
      for (let k = i % lines.length; n < size; k = (k * 31 + 7) % lines.length) {
        parts.push(lines[k]!);
        n += lines[k]!.length;
      }
      buf = Buffer.from(parts.join('')).subarray(0, size);
    }
    fs.writeFileSync(path.join(sub, `f${i}.bin`), buf);
    written += size;
  }
}

export const row = (name: string, r: { wallS: number; peakRssKiB: number }, bytes?: number) =>
  `${name.padEnd(30)} ${r.wallS.toFixed(2).padStart(7)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS${bytes !== undefined ? ` ${(bytes / 2 ** 20).toFixed(1).padStart(8)} MiB image` : ''}`;

export const ratio = (a: { wallS: number; peakRssKiB: number }, b: { wallS: number; peakRssKiB: number }) =>
  `time ${(a.wallS / b.wallS).toFixed(2)}×, peak RSS ${(a.peakRssKiB / b.peakRssKiB).toFixed(2)}×`;
