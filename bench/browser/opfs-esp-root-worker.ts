/**
 * Worker entry for bench/opfs-parallel-chromium.ts: makes the trees it is asked for here (files of
 * pseudo-random-looking bytes, as File objects read in slices like staged files; made once per name) and builds the
 * layout it is sent through the app's OPFS host, with build workers or one at a time.
 */
import type { InputDir, InputEntry } from '../../workers/build/input-tree.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import { buildInOpfs, type OpfsParallelReply } from '../../workers/tools/test-support/opfs-parallel-worker.ts';
import type { OpfsBlob } from '../../workers/hosts/opfs/files.ts';
import { readBlobSync } from '../../workers/hosts/opfs/tree.ts';

declare const File: new (parts: Uint8Array[], name: string) => OpfsBlob;
/** A CopyFiles= source to make: its bytes in all and how many files. */
export interface BenchTree {
  totalBytes: number;
  files: number;
}
export interface BenchRequest {
  spec: ImageSpec;
  trees: Record<string, BenchTree>;
  workers: number;
}
const scope = globalThis as unknown as { onmessage: ((e: { data: BenchRequest }) => void) | null; postMessage(m: OpfsParallelReply): void };

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
    // Read as the app reads staged files (tree.ts: slices of a File), here and in a build worker alike.
    const file = new File([bytes], `f${i}.bin`);
    dirs.get(d)!.push({ kind: 'file', name: `f${i}.bin`, sizeBytes: size, mtimeSeconds: 1_600_000_000, read: (o, t) => readBlobSync(file, o, t), ref: file });
    written += size;
  }
  return { kind: 'dir', name, children: [...dirs].map(([n, children]): InputDir => ({ kind: 'dir', name: n, children })) };
}

const made = new Map<string, InputEntry>();
scope.onmessage = async ({ data }) => {
  try {
    const trees = new Map<string, InputEntry>();
    for (const [source, t] of Object.entries(data.trees)) {
      const key = `${source}:${t.totalBytes}:${t.files}`;
      if (!made.has(key)) made.set(key, await tree(source, t.totalBytes, t.files));
      trees.set(source, made.get(key)!);
    }
    scope.postMessage(await buildInOpfs(data.spec, trees, data.workers));
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
