/**
 * 512 MiB in 5,000 files into a 2 GiB ext4: Partwright's build (mke2fs.wasm under its own WASI host,
 * Node) beside native `mke2fs -d` on the same tree in the same run; and a 64 GiB ext4 holding 1 GiB
 * of content, for peak memory. (The headless-Chromium figure is still to come.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-ext4-'));
ensureGnuTime();

function makeTree(dir: string, total: number, count: number): void {
  let written = 0;
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `d${String(i % 50).padStart(2, '0')}`);
    fs.mkdirSync(sub, { recursive: true });
    const size = i === count - 1 ? total - written : Math.floor((total / count) * (0.5 + ((i * 7919) % 1000) / 1000));
    const block = createHash('sha256').update(`${dir}${i}`).digest();
    const buf = Buffer.alloc(size);
    for (let o = 0; o < size; o += block.length) block.copy(buf, o);
    fs.writeFileSync(path.join(sub, `f${i}.bin`), buf);
    written += size;
  }
}

function layout(name: string, sizeBytes: string, content: string): string {
  const defs = path.join(work, name);
  fs.mkdirSync(defs);
  fs.writeFileSync(path.join(defs, '10-root.conf'),
    `[Partition]\nType=root\nFormat=ext4\nCopyFiles=/${content}:/\nSizeMinBytes=${sizeBytes}\nSizeMaxBytes=${sizeBytes}\n\n[X-Partwright-Disk]\nCopySource=${work}\n`);
  return defs;
}

const row = (name: string, r: { wallS: number; cpuS: number; peakRssKiB: number }) =>
  `${name.padEnd(18)} ${r.wallS.toFixed(2).padStart(7)} s ${r.cpuS.toFixed(2).padStart(6)} s CPU ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;

makeTree(path.join(work, 'tree'), 512 << 20, 5000);
const ours = measure('partwright', ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', layout('a', '2G', 'tree'), '-o', path.join(work, 'pw.img')], work);
const native = measure('mke2fs -d', ['sh', '-c', `rm -f '${work}/n.ext4' && truncate -s 2G '${work}/n.ext4' && mke2fs -q -t ext4 -d '${work}/tree' '${work}/n.ext4'`], work);
// systemd-repart making the same partition itself (Format=ext4, CopyFiles= from --root).
const repartDefs = path.join(work, 'repart.d');
fs.mkdirSync(repartDefs);
fs.writeFileSync(path.join(repartDefs, '10-root.conf'), '[Partition]\nType=root\nFormat=ext4\nCopyFiles=/tree:/\nSizeMinBytes=2G\nSizeMaxBytes=2G\n');
const repart = measure('systemd-repart', ['sh', '-c', `rm -f '${work}/r.img' && systemd-repart --empty=create --size=auto --dry-run=no --no-pager --root='${work}' --definitions='${repartDefs}' '${work}/r.img' >/dev/null`], work);
console.log('ext4 2 GiB, 5,000 files, 512 MiB');
console.log(row('partwright', ours));
console.log(row('mke2fs -d', native));
console.log(row('systemd-repart', repart));
console.log(`ratio partwright/mke2fs -d: time ${(ours.wallS / native.wallS).toFixed(2)}×, peak RSS ${(ours.peakRssKiB / native.peakRssKiB).toFixed(2)}×`);
console.log(`ratio partwright/systemd-repart: time ${(ours.wallS / repart.wallS).toFixed(2)}× · goal ≤ 1.0× (load average ${os.loadavg()[0]!.toFixed(1)})`);
fs.rmSync(path.join(work, 'r.img'), { force: true });
fs.rmSync(path.join(work, 'pw.img'), { force: true });
fs.rmSync(path.join(work, 'n.ext4'), { force: true });
fs.rmSync(path.join(work, 'tree'), { recursive: true, force: true });

makeTree(path.join(work, 'big'), 1 << 30, 2000);
const big = measure('partwright-64g', ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', layout('b', '64G', 'big'), '-o', path.join(work, 'big.img')], work);
const st = fs.statSync(path.join(work, 'big.img'));
console.log(`ext4 64 GiB with 1 GiB in 2,000 files: ${big.wallS.toFixed(2)} s, peak RSS ${(big.peakRssKiB / 1024).toFixed(1)} MiB (goal < 1.3 GiB), ${(st.blocks * 512 / 2 ** 20).toFixed(0)} MiB on disk`);
fs.rmSync(work, { recursive: true, force: true });
