/**
 * 256 MiB in 3,000 files into squashfs: Partwright's build (the TypeScript squashfs writer, gzip via zlib.wasm,
 * zstd via wasm/zstd and xz via wasm/xz, Node, through `partwright build` with Minimize=best) beside native
 * `mksquashfs` 4.5.1 on the same tree in the same run (all cores, and -processors 1 since the writer
 * is single-threaded). Prints time, peak RSS, image sizes and the ratios, by wall time and by CPU time
 * (user + system: on a loaded machine wall time mostly measures the others' load, and mksquashfs
 * -processors 1 still reads and writes in threads of its own). SQUASHFS_BENCH_MIB: the tree's size.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureGnuTime, measure } from './measure.ts';
import { makeRofsTree, ratio, row } from './rofs-tree.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-squashfs-'));
ensureGnuTime();
const EPOCH = '1700000000';

function layout(name: string, compression: string): string {
  const defs = path.join(work, name);
  fs.mkdirSync(defs);
  fs.writeFileSync(path.join(defs, '10-root.conf'),
    `[Partition]\nType=root\nFormat=squashfs\nCompression=${compression}\nMinimize=best\nCopyFiles=/tree:/\n\n[X-Partwright-Disk]\nCopySource=${work}\nSourceDateEpoch=${EPOCH}\n`);
  return defs;
}
const size = (p: string) => fs.statSync(p).size;

const MIB = Number(process.env.SQUASHFS_BENCH_MIB ?? 256);
makeRofsTree(path.join(work, 'tree'), MIB << 20, 3000);
console.log(`squashfs, 3,000 files, ${MIB} MiB (half incompressible)`);
for (const comp of ['gzip', 'zstd', 'xz']) {
  const ours = measure(`pw-${comp}`, ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', layout(comp, comp), '-o', path.join(work, `pw-${comp}.img`)], work);
  const nativeOut = path.join(work, `n-${comp}.sqfs`);
  const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH };
  const native = measure(`mksquashfs-${comp}`, ['mksquashfs', path.join(work, 'tree'), nativeOut, '-comp', comp, '-noappend', '-no-progress', '-quiet'], work, env);
  const nativeSize = size(nativeOut);
  fs.rmSync(nativeOut);
  const single = measure(`mksquashfs-${comp}-1`, ['mksquashfs', path.join(work, 'tree'), nativeOut, '-comp', comp, '-noappend', '-no-progress', '-quiet', '-processors', '1'], work, env);
  console.log(row(`partwright build (${comp})`, ours, size(path.join(work, `pw-${comp}.img`))));
  console.log(row(`mksquashfs -comp ${comp}`, native, nativeSize));
  console.log(row(`mksquashfs -comp ${comp} -processors 1`, single));
  console.log(`ratio partwright/native (${comp}): ${ratio(ours, native)}; against one processor: ${ratio(ours, single)}`);
  const cpu = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log(`CPU s: partwright ${ours.cpuS.toFixed(2)}, mksquashfs ${native.cpuS.toFixed(2)}, -processors 1 ${single.cpuS.toFixed(2)}; CPU ratio ${cpu(ours.cpuS, native.cpuS)}, against one processor ${cpu(ours.cpuS, single.cpuS)}`);
  fs.rmSync(path.join(work, `pw-${comp}.img`), { force: true });
  fs.rmSync(nativeOut, { force: true });
}
fs.rmSync(work, { recursive: true, force: true });
