/**
 * squashfs blocks compressed in worker threads (build/squashfs-workers.ts through the Node host's
 * build workers): for gzip, zstd and xz the image is byte-for-byte the one the writer makes alone
 * (also at 4 KiB blocks, where files span many blocks and fragments fill often), `unsquashfs -d`
 * gives back the tree, a `partwright build` of a squashfs partition with workers equals the one
 * without (and really used them), and a worker that dies fails the build with an error.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../build/run-build.ts';
import type { BuildWorkers } from '../../build/parallel-filesystems.ts';
import { squashfsWorkerCount, writeSquashfsInWorkers } from '../../build/squashfs-workers.ts';
import type { InputDir } from '../../build/input-tree.ts';
import { writeSquashfs } from '../../formats/squashfs/index.ts';
import type { ImageSpec } from '../../model/spec.ts';
import { requireTools } from '../../test-support/debian.ts';
import { MemoryImage } from '../../tools/image-window.ts';
import { squashfsCompressor, type SquashfsCompressionName, type SquashfsCompressorRecipe } from '../../tools/squashfs-compressors.ts';
import { expectExtractedTree, ORACLE_EPOCH, oracleTree, patternBytes } from '../../tools/test-support/tree-oracle.ts';
import { nodeBuildWorkers } from './build-workers.ts';
import { createNodeHost } from './index.ts';
import { loadNodeTool } from './tools.ts';

let tmp: string;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  requireTools('unsquashfs');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-sqfs-par-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The Node host's workers, counting how many were started. */
function counted(max: number): BuildWorkers & { spawned: number } {
  const inner = nodeBuildWorkers(max);
  const w = { max, spawned: 0, spawn: () => (w.spawned++, inner.spawn()) };
  return w;
}

const TOOL = { gzip: 'zlib', zstd: 'zstd', xz: 'xz' } as const;
const recipe = (name: SquashfsCompressionName, extra: Partial<SquashfsCompressorRecipe> = {}): SquashfsCompressorRecipe => ({ name, module: loadNodeTool(TOOL[name]), ...extra });

/** The oracle tree plus a few MiB of noise and text files, so blocks of both kinds cross the workers. */
function tree(): InputDir {
  const t = oracleTree();
  const extra: InputDir = { kind: 'dir', name: 'bulk', mode: 0o755, children: Array.from({ length: 24 }, (_, i) => {
    const bytes = patternBytes(50_000 + i * 37_000, 100 + i, i % 2 === 1);
    return { kind: 'file' as const, name: `f${i}`, sizeBytes: bytes.length, read: (o: number, target: Uint8Array) => target.set(bytes.subarray(o, o + target.length)) };
  }) };
  return { ...t, children: [...t.children, extra] };
}

describe('squashfs blocks compressed in worker threads', () => {
  const cases: Array<[string, () => SquashfsCompressorRecipe]> = [
    ['gzip (level 9)', () => recipe('gzip')],
    ['zstd (level 15)', () => recipe('zstd')],
    ['zstd level 3, 4 KiB blocks', () => recipe('zstd', { level: 3, blockSizeBytes: 4096 })],
    ['gzip level 1, 4 KiB blocks', () => recipe('gzip', { level: 1, blockSizeBytes: 4096 })],
    ['xz', () => recipe('xz')],
  ];
  for (const [label, make] of cases) {
    it(`${label}: same SHA-256 as the writer alone, and unsquashfs gives back the tree`, async () => {
      const r = make();
      const t = tree();
      const alone = new MemoryImage();
      writeSquashfs(alone, t, { compressor: squashfsCompressor(r), sourceDateEpoch: ORACLE_EPOCH, ...(r.blockSizeBytes ? { blockSizeBytes: r.blockSizeBytes } : {}) });
      const workers = counted(1);
      const parallel = new MemoryImage();
      const result = await writeSquashfsInWorkers(parallel, t, { recipe: r, sourceDateEpoch: ORACLE_EPOCH }, workers, 2);
      expect(workers.spawned).toBe(2);
      expect(parallel.sizeBytes).toBe(result.sizeBytes);
      expect(sha256(parallel.bytes())).toBe(sha256(alone.bytes()));

      const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.sqfs`);
      fs.writeFileSync(file, parallel.bytes());
      const out = path.join(tmp, `x-${label.replace(/\W+/g, '-')}`);
      const u = spawnSync('unsquashfs', ['-q', '-n', '-d', out, file], { encoding: 'utf8' });
      expect(u.status, u.stderr).toBe(0);
      expectExtractedTree(out, t, { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false });
    }, 120_000);
  }

  it('small trees stay in this thread; larger ones get every core, at most four', () => {
    const small: InputDir = { kind: 'dir', name: '', children: [] };
    const big: InputDir = { kind: 'dir', name: '', children: [{ kind: 'file', name: 'f', sizeBytes: 64 << 20, read: () => {} }] };
    expect(squashfsWorkerCount(small, { max: 3, spawn: () => { throw new Error('unused'); } })).toBe(0);
    expect(squashfsWorkerCount(big, undefined)).toBe(0);
    expect(squashfsWorkerCount(big, { max: 1, spawn: () => { throw new Error('unused'); } })).toBe(2);
    expect(squashfsWorkerCount(big, { max: 15, spawn: () => { throw new Error('unused'); } })).toBe(4);
  });

  it('a worker that fails fails the image with its error, not a hang', async () => {
    const inner = nodeBuildWorkers(1);
    let n = 0;
    const workers: BuildWorkers = {
      max: 1,
      spawn() {
        // The second worker never starts (as a Web Worker whose script does not load): its error event.
        if (++n === 2) return { postMessage: () => {}, onMessage: () => {}, onError: (listener) => void setTimeout(() => listener(new Error('worker could not start')), 50), terminate: () => {} };
        return inner.spawn();
      },
    };
    await expect(writeSquashfsInWorkers(new MemoryImage(), tree(), { recipe: recipe('gzip'), sourceDateEpoch: ORACLE_EPOCH }, workers, 2)).rejects.toThrow('worker could not start');
  }, 60_000);
});

describe('a squashfs partition built with workers', () => {
  const src = () => {
    const dir = path.join(tmp, 'src');
    if (fs.existsSync(dir)) return;
    for (let d = 0; d < 8; d++) {
      fs.mkdirSync(path.join(dir, `d${d}`), { recursive: true });
      for (let f = 0; f < 12; f++) fs.writeFileSync(path.join(dir, `d${d}`, `f${f}`), patternBytes(9_000 * (f + 1) * (d + 1), d * 100 + f, (d + f) % 3 !== 0));
    }
  };
  const build = async (spec: ImageSpec, name: string, workers: BuildWorkers | undefined) => {
    const out = path.join(tmp, name);
    const host = createNodeHost({ resolve: (p) => path.join(tmp, p), storePath: `${out}.store`, parallel: workers !== undefined });
    if (workers) host.workers = workers;
    else delete host.workers;
    try {
      await runBuild(spec, host, { output: { format: 'raw', name: out } });
      const digest = sha256(fs.readFileSync(out));
      fs.rmSync(out);
      return digest;
    } finally {
      host.dispose();
    }
  };

  it('is byte-identical to the build without, and the workers compressed it', async () => {
    src();
    const spec: ImageSpec = {
      table: 'gpt', sourceDateEpoch: ORACLE_EPOCH,
      partitions: [
        { type: 'root', format: 'squashfs', compression: 'zstd', minimize: 'best', copyFiles: [{ source: 'src', target: '/' }] },
        { type: 'usr', format: 'squashfs', minimize: 'best', copyFiles: [{ source: 'src', target: '/' }] },
      ],
    };
    const workers = counted(1);
    const alone = await build(spec, 'alone.img', undefined);
    const parallel = await build(spec, 'parallel.img', workers);
    // Two squashfs partitions, two workers each.
    expect(workers.spawned).toBe(4);
    expect(parallel).toBe(alone);
  }, 180_000);

  it("an ISO's ISOPath= squashfs image (the Nix store's place) too", async () => {
    src();
    const spec: ImageSpec = {
      table: 'iso', sourceDateEpoch: ORACLE_EPOCH,
      partitions: [
        { type: 'linux-generic', format: 'iso9660', copyFiles: [{ source: 'src/d0', target: '/d0' }] },
        { type: 'linux-generic', format: 'squashfs', compression: 'zstd', compressionLevel: 3, isoPath: '/nix-store.squashfs', copyFiles: [{ source: 'src', target: '/' }] },
      ],
    };
    const workers = counted(1);
    const alone = await build(spec, 'alone.iso', undefined);
    const parallel = await build(spec, 'parallel.iso', workers);
    expect(workers.spawned).toBe(2);
    expect(parallel).toBe(alone);
  }, 180_000);
});
