/**
 * The whole image users build today: a 64 MiB ESP (vfat, 40 MiB in 60 files) and an ext4 root of
 * 512 MiB in 5,000 files. Native pipeline: mkfs.vfat + mcopy, mkfs.ext4 -d, then systemd-repart
 * CopyBlocks= of both; Partwright's `build` with its file systems made at once in worker threads
 * (default) and one at a time (PARTWRIGHT_WORKERS=0), all in the same run. Goal ≤ 0.35× native.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-esproot-'));
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

makeTree(path.join(work, 'esp'), 40 << 20, 60);
makeTree(path.join(work, 'tree'), 512 << 20, 5000);
const defs = path.join(work, 'repart.d');
fs.mkdirSync(defs);
fs.writeFileSync(path.join(defs, '10-esp.conf'), `[Partition]\nType=esp\nFormat=vfat\nCopyFiles=/esp:/\nSizeMinBytes=64M\nSizeMaxBytes=64M\n\n[X-Partwright-Disk]\nCopySource=${work}\nRepartVersion=252\n`);
fs.writeFileSync(path.join(defs, '20-root.conf'), `[Partition]\nType=root\nFormat=ext4\nCopyFiles=/tree:/\nSizeMinBytes=2G\nSizeMaxBytes=2G\n`);
const nativeDefs = path.join(work, 'native.d');
fs.mkdirSync(nativeDefs);
fs.writeFileSync(path.join(nativeDefs, '10-esp.conf'), `[Partition]\nType=esp\nCopyBlocks=${work}/n.vfat\nSizeMinBytes=64M\nSizeMaxBytes=64M\n`);
fs.writeFileSync(path.join(nativeDefs, '20-root.conf'), `[Partition]\nType=root\nCopyBlocks=${work}/n.ext4\nSizeMinBytes=2G\nSizeMaxBytes=2G\n`);

const cli = path.join(root, 'cli/bin/partwright.mjs');
const parallel = measure('partwright', ['node', cli, 'build', defs, '-o', path.join(work, 'pw.img')], work);
fs.rmSync(path.join(work, 'pw.img'), { force: true });
const sequential = measure('partwright-seq', ['node', cli, 'build', defs, '-o', path.join(work, 'pw.img')], work, { ...process.env, PARTWRIGHT_WORKERS: '0' });
fs.rmSync(path.join(work, 'pw.img'), { force: true });
const nativeScript = [
  'set -e',
  `rm -f '${work}/n.vfat' '${work}/n.ext4' '${work}/n.img'`,
  `truncate -s 64M '${work}/n.vfat'`,
  `mkfs.vfat -F 32 -n ESP '${work}/n.vfat' >/dev/null`,
  `MTOOLS_SKIP_CHECK=1 mcopy -s -i '${work}/n.vfat' '${work}/esp'/* ::/`,
  `truncate -s 2G '${work}/n.ext4'`,
  `mkfs.ext4 -q -d '${work}/tree' '${work}/n.ext4'`,
  `systemd-repart --empty=create --size=auto --dry-run=no --no-pager --definitions='${nativeDefs}' '${work}/n.img' >/dev/null`,
].join('; ');
const native = measure('native', ['sh', '-c', nativeScript], work);

const row = (name: string, r: { wallS: number; peakRssKiB: number }) =>
  `${name.padEnd(50)} ${r.wallS.toFixed(2).padStart(7)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;
console.log('ESP 64 MiB (40 MiB, 60 files) + ext4 root 2 GiB (512 MiB, 5,000 files), whole image');
console.log(row('partwright (file systems in parallel)', parallel));
console.log(row('partwright (one at a time, PARTWRIGHT_WORKERS=0)', sequential));
console.log(row('mkfs.vfat+mcopy, mkfs.ext4 -d, repart CopyBlocks=', native));
console.log(`ratio partwright/native: parallel ${(parallel.wallS / native.wallS).toFixed(2)}×, one at a time ${(sequential.wallS / native.wallS).toFixed(2)}× · goal ≤ 0.35×`);
fs.rmSync(work, { recursive: true, force: true });
