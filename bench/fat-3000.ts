/**
 * 256 MiB in 3,000 files into a 512 MiB FAT32 partition: Partwright's `build` (FAT writer in
 * TypeScript) beside the native pair mkfs.fat + mcopy -s on the same files, in the same run.
 * CPU is user + system time of the process and its threads (ours copies file data on two).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-fat-'));
const files = path.join(work, 'files');
ensureGnuTime();

// 3,000 files in 30 folders, sizes varying around 87 KiB, 256 MiB in all; deterministic bytes.
const total = 256 << 20;
const count = 3000;
let written = 0;
for (let i = 0; i < count; i++) {
  const dir = path.join(files, `dir${String(i % 30).padStart(2, '0')}`);
  fs.mkdirSync(dir, { recursive: true });
  const size = i === count - 1 ? total - written : Math.floor((total / count) * (0.5 + ((i * 7919) % 1000) / 1000));
  const block = createHash('sha256').update(String(i)).digest();
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += block.length) block.copy(buf, o);
  fs.writeFileSync(path.join(dir, `file-${i}.bin`), buf);
  written += size;
}

const defs = path.join(work, 'repart.d');
fs.mkdirSync(defs);
fs.writeFileSync(path.join(defs, '10-esp.conf'),
  `[Partition]\nType=esp\nFormat=vfat\nCopyFiles=/files:/\nSizeMinBytes=512M\nSizeMaxBytes=512M\n\n[X-Partwright-Disk]\nCopySource=${work}\n`);

const ours = measure('partwright', ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', defs, '-o', path.join(work, 'pw.img')], work);
const nativeScript = `set -e; f='${work}/native.vfat'; rm -f "$f"; truncate -s 512M "$f"; mkfs.fat -F 32 -n ESP "$f" >/dev/null; ` +
  `MTOOLS_SKIP_CHECK=1 mcopy -s -i "$f" '${files}'/* ::/`;
const native = measure('mkfs.fat+mcopy', ['sh', '-c', nativeScript], work);

const row = (name: string, r: { wallS: number; cpuS: number; peakRssKiB: number }) =>
  `${name.padEnd(18)} ${r.wallS.toFixed(2).padStart(7)} s ${r.cpuS.toFixed(2).padStart(6)} s CPU ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;
console.log(`FAT32 512 MiB, ${count} files, ${(written / 2 ** 20).toFixed(0)} MiB`);
console.log(row('partwright', ours));
console.log(row('mkfs.fat + mcopy', native));
console.log(`ratio partwright/native: time ${(ours.wallS / native.wallS).toFixed(2)}×, CPU ${(ours.cpuS / native.cpuS).toFixed(2)}×, peak RSS ${(ours.peakRssKiB / native.peakRssKiB).toFixed(2)}×`);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
fs.rmSync(work, { recursive: true, force: true });
