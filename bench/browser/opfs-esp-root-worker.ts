/**
 * Worker entry for bench/opfs-parallel-chromium.ts: makes bench/esp-root.ts's trees here (ESP:
 * 40 MiB in 60 files; root: 512 MiB in 5,000 files, as File objects like staged files) and builds
 * the layout it is sent through the app's OPFS host, with build workers or one at a time.
 */
import type { InputDir, InputEntry } from '../../workers/build/input-tree.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { buildInOpfs, type OpfsParallelReply } from '../../workers/tools/test-support/opfs-parallel-worker.ts';

declare const File: new (parts: Uint8Array[], name: string) => object;
const scope = globalThis as unknown as { onmessage: ((e: { data: { spec: ImageSpec; workers: number } }) => void) | null; postMessage(m: OpfsParallelReply): void };

async function tree(name: string, total: number, count: number): Promise<InputDir> {
  const dirs = new Map<string, InputEntry[]>();
  let written = 0;
  for (let i = 0; i < count; i++) {
    const size = i === count - 1 ? total - written : Math.floor((total / count) * (0.5 + ((i * 7919) % 1000) / 1000));
    const block = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${name}${i}`)));
    const bytes = new Uint8Array(size);
    for (let o = 0; o < size; o += block.length) bytes.set(block.subarray(0, Math.min(block.length, size - o)), o);
    const d = `d${String(i % 50).padStart(2, '0')}`;
    if (!dirs.has(d)) dirs.set(d, []);
    dirs.get(d)!.push({ kind: 'file', name: `f${i}.bin`, sizeBytes: size, mtimeSeconds: 1_600_000_000, read: (o, t) => t.set(bytes.subarray(o, o + t.length)), ref: new File([bytes], `f${i}.bin`) });
    written += size;
  }
  return { kind: 'dir', name, children: [...dirs].map(([n, children]): InputDir => ({ kind: 'dir', name: n, children })) };
}

let trees: Map<string, InputEntry> | undefined;
scope.onmessage = async ({ data }) => {
  try {
    trees ??= new Map<string, InputEntry>([['esp', await tree('esp', 40 << 20, 60)], ['tree', await tree('tree', 512 << 20, 5000)]]);
    scope.postMessage(await buildInOpfs(data.spec, trees, data.workers));
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
