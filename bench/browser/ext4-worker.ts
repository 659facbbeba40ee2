/**
 * Web Worker entry for bench/ext4-chromium.ts: build a tree of `count` files holding `totalBytes`
 * (content copied on demand from a pattern, as lazily read inputs would arrive), format a 2 GiB ext4 with
 * mke2fs.wasm into a sparse image in memory, and post back the time taken.
 */
import { SparseImage } from '../../workers/disk/sparse-image.ts';
import { formatExt4 } from '../../workers/tools/mke2fs.ts';
import { loadMke2fsModule } from '../../workers/tools/mke2fs-module.ts';
import type { InputDir, InputFile } from '../../workers/build/input-tree.ts';

const scope = globalThis as unknown as {
  onmessage: (event: { data: { wasmUrl: string; sizeBytes: number; totalBytes: number; count: number } }) => void;
  postMessage(message: unknown): void;
};

/** 64 KiB + 256 of the byte pattern (offset + i) & 0xff, so any read is a copy from it. */
const PATTERN = Uint8Array.from({ length: (64 << 10) + 256 }, (_, j) => j & 0xff);

function tree(totalBytes: number, count: number): InputDir {
  const dirs: InputDir[] = Array.from({ length: 50 }, (_, i) => ({ kind: 'dir', name: `d${String(i).padStart(2, '0')}`, children: [] }));
  let written = 0;
  for (let i = 0; i < count; i++) {
    const sizeBytes = i === count - 1 ? totalBytes - written : Math.floor((totalBytes / count) * (0.5 + ((i * 7919) % 1000) / 1000));
    written += sizeBytes;
    const file: InputFile = {
      kind: 'file', name: `f${i}.bin`, sizeBytes, mode: 0o644,
      read(offsetBytes, target) {
        // Bytes (offset + j + i) & 0xff, copied from the pattern in slices.
        for (let done = 0; done < target.length; ) {
          const start = (offsetBytes + done + i) & 0xff;
          const n = Math.min(target.length - done, PATTERN.length - 256);
          target.set(PATTERN.subarray(start, start + n), done);
          done += n;
        }
      },
    };
    dirs[i % 50]!.children.push(file);
  }
  return { kind: 'dir', name: '', children: dirs };
}

scope.onmessage = async (event) => {
  try {
    const { wasmUrl, sizeBytes, totalBytes, count } = event.data;
    const module = await loadMke2fsModule(wasmUrl);
    const t0 = performance.now();
    const image = new SparseImage(sizeBytes);
    formatExt4(image, {
      module, offsetBytes: 0, sizeBytes, label: 'bench', uuid: '44444444-4444-4444-8888-888888888888',
      hashSeed: '12345678-1234-4234-8234-123456789abc', sourceDateEpoch: 1_700_000_000, tree: tree(totalBytes, count),
    });
    scope.postMessage({ ms: performance.now() - t0, mappedBytes: image.mappedBytes });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
