/**
 * 256 MiB in 3,000 files into squashfs: Partwright's build (the TypeScript squashfs writer, gzip via
 * zlib.wasm, zstd via wasm/zstd and xz via wasm/xz, its blocks compressed by the build's worker
 * threads — min(cores, 4) — through `partwright build` with Minimize=best) beside native `mksquashfs`
 * 4.5.1 on the same tree (same compressor, default level, 128 KiB blocks; all cores, and
 * -processors 1 for reference). Runs are interleaved (ours, native, native -processors 1, ours…;
 * SQUASHFS_BENCH_RUNS rounds, default 3); medians of wall time, CPU time (user + system) and peak
 * RSS are printed with the ratios and the load average. SQUASHFS_BENCH_MIB: the tree's size;
 * SQUASHFS_BENCH_COMPS: which compressors (default gzip,zstd,xz).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureGnuTime, measure, type Run } from './measure.ts';
import { makeRofsTree } from './rofs-tree.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-squashfs-'));
ensureGnuTime();
const EPOCH = '1700000000';
const MIB = Number(process.env.SQUASHFS_BENCH_MIB ?? 256);
const RUNS = Number(process.env.SQUASHFS_BENCH_RUNS ?? 3);
const COMPS = (process.env.SQUASHFS_BENCH_COMPS ?? 'gzip,zstd,xz').split(',');

function layout(name: string, compression: string): string {
  const defs = path.join(work, name);
  fs.mkdirSync(defs, { recursive: true });
  fs.writeFileSync(path.join(defs, '10-root.conf'),
    `[Partition]\nType=root\nFormat=squashfs\nCompression=${compression}\nMinimize=best\nCopyFiles=/tree:/\n\n[X-Partwright-Disk]\nCopySource=${work}\nSourceDateEpoch=${EPOCH}\n`);
  return defs;
}
const size = (p: string) => fs.statSync(p).size;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

makeRofsTree(path.join(work, 'tree'), MIB << 20, 3000);
console.log(`squashfs, 3,000 files, ${MIB} MiB (half incompressible), ${os.availableParallelism()} cores, ${RUNS} interleaved rounds; load average at start ${load()}`);
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH };
const runs = new Map<string, { ours: Run[]; native: Run[]; single: Run[]; bytes: { ours: number; native: number } }>();
try {
  for (let round = 0; round < RUNS; round++) {
    for (const comp of COMPS) {
      const r = runs.get(comp) ?? { ours: [], native: [], single: [], bytes: { ours: 0, native: 0 } };
      runs.set(comp, r);
      const img = path.join(work, `pw-${comp}.img`);
      r.ours.push(measure(`pw-${comp}`, ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', layout(comp, comp), '-o', img], work));
      r.bytes.ours = size(img);
      fs.rmSync(img, { force: true });
      const nativeOut = path.join(work, `n-${comp}.sqfs`);
      const mksquashfs = (extra: string[]) => ['mksquashfs', path.join(work, 'tree'), nativeOut, '-comp', comp, '-b', '131072', '-noappend', '-no-progress', '-quiet', ...extra];
      r.native.push(measure(`mksquashfs-${comp}`, mksquashfs([]), work, env));
      r.bytes.native = size(nativeOut);
      fs.rmSync(nativeOut);
      r.single.push(measure(`mksquashfs-${comp}-1`, mksquashfs(['-processors', '1']), work, env));
      fs.rmSync(nativeOut, { force: true });
      const last = (xs: Run[]) => xs.at(-1)!.wallS.toFixed(2);
      console.log(`  round ${round + 1} ${comp.padEnd(4)} partwright ${last(r.ours)} s | mksquashfs ${last(r.native)} s | -processors 1 ${last(r.single)} s | load ${load()}`);
    }
  }
  console.log(`medians of ${RUNS} (load average at end ${load()}):`);
  const fig = (xs: Run[]) => `${median(xs.map((x) => x.wallS)).toFixed(2).padStart(6)} s (cpu ${median(xs.map((x) => x.cpuS)).toFixed(2)} s), peak RSS ${(median(xs.map((x) => x.peakRssKiB)) / 1024).toFixed(0)} MiB`;
  const ratio = (a: Run[], b: Run[], key: 'wallS' | 'cpuS' | 'peakRssKiB') => `${(median(a.map((x) => x[key])) / median(b.map((x) => x[key]))).toFixed(2)}×`;
  for (const [comp, r] of runs) {
    console.log(`${comp.padEnd(4)} partwright build ${fig(r.ours)}, image ${(r.bytes.ours / 2 ** 20).toFixed(1)} MiB`);
    console.log(`${comp.padEnd(4)} mksquashfs       ${fig(r.native)}, image ${(r.bytes.native / 2 ** 20).toFixed(1)} MiB`);
    console.log(`${comp.padEnd(4)} -processors 1    ${fig(r.single)}`);
    console.log(`${comp.padEnd(4)} ratio partwright/mksquashfs: time ${ratio(r.ours, r.native, 'wallS')}, CPU ${ratio(r.ours, r.native, 'cpuS')}, peak RSS ${ratio(r.ours, r.native, 'peakRssKiB')}; against -processors 1: time ${ratio(r.ours, r.single, 'wallS')}`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
