/**
 * A deterministic input tree and image digest shared by the Node tests and the browser worker
 * smoke test, so the two hosts can be compared hash for hash. DOM-free and Node-free.
 */
import type { InputDir, InputEntry, InputFile } from '../../build/input-tree.ts';
import { Sha256 } from '../../crypto/sha256.ts';
import type { SparseImage } from '../../disk/sparse-image.ts';

export const SAMPLE_EPOCH = 1_700_000_000;

/** xorshift32 bytes: the same everywhere, no crypto needed. */
function pseudoRandomFile(name: string, sizeBytes: number, seed: number, mode = 0o644): InputFile {
  return {
    kind: 'file', name, mode, uid: 0, gid: 0, mtimeSeconds: SAMPLE_EPOCH - 60, sizeBytes,
    read: (offset, target) => {
      // Regenerate from the start of the 4-byte word; cheap enough for test sizes.
      let x = seed >>> 0 || 1;
      const skipWords = Math.floor(offset / 4);
      for (let i = 0; i < skipWords; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; }
      for (let i = 0, pos = skipWords * 4; i < target.length; pos += 4) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        for (let b = 0; b < 4; b++) {
          const at = pos + b - offset;
          if (at >= 0 && at < target.length) { target[at] = (x >>> (b * 8)) & 0xff; i++; }
        }
      }
    },
  };
}

export function sampleTree(): InputDir {
  const children: InputEntry[] = [
    { kind: 'dir', name: 'bin', mode: 0o755, uid: 0, gid: 0, mtimeSeconds: SAMPLE_EPOCH - 100, children: [
      pseudoRandomFile('tool', 300_000, 7, 0o755),
      { kind: 'symlink', name: 'sh', target: 'tool', mode: 0o777, mtimeSeconds: SAMPLE_EPOCH - 100 },
    ] },
    { kind: 'dir', name: 'etc', mode: 0o755, mtimeSeconds: SAMPLE_EPOCH - 100, children: Array.from({ length: 100 }, (_, i) => pseudoRandomFile(`conf-${i}`, 100 + i * 37, i + 1, 0o640)) },
    { kind: 'dir', name: 'home', mode: 0o755, mtimeSeconds: SAMPLE_EPOCH - 100, children: [
      { kind: 'dir', name: 'user', mode: 0o700, uid: 1000, gid: 1000, mtimeSeconds: SAMPLE_EPOCH - 50, children: [pseudoRandomFile('data', 1_000_000, 99, 0o600)] },
    ] },
  ];
  return { kind: 'dir', name: '', children };
}

/** SHA-256 over (offset, size, bytes) of every data range: equal digests mean equal images. */
export function imageDigest(image: SparseImage): string {
  const h = new Sha256();
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  for (const r of image.dataRanges()) {
    view.setFloat64(0, r.offsetBytes, true);
    view.setFloat64(8, r.sizeBytes, true);
    h.update(header);
    h.update(image.read(r.offsetBytes, r.sizeBytes));
  }
  return Array.from(h.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
}
