/**
 * Output formats from a 16 GiB raw image holding 2 GiB of data: Partwright's `convert` to Android
 * sparse, qcow2 and gzip beside img2simg, `qemu-img convert -O qcow2` and gzip on the same raw image
 * in the same run (MiB/s of image data, peak memory, ratio); zstd (WASM, seekable frames) beside
 * `zstd -3 -T0` (all cores) and `-T1`. Then a 2 GiB image holding 4 KiB (an SD card image before its
 * root grows): gz and zst conversions, whose time must follow the data (goal: well under 1 s).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-out-'));
ensureGnuTime();
const raw = path.join(work, 'disk.img');
const size = 16 * 2 ** 30;
const dataBytes = 2 * 2 ** 30;
const fd = fs.openSync(raw, 'w');
fs.ftruncateSync(fd, size);
// 2 GiB in 64 runs of 32 MiB spread over the disk; compressible but not trivial.
const run = 32 << 20;
const buf = Buffer.alloc(run);
for (let i = 0; i < dataBytes / run; i++) {
  const seed = createHash('sha256').update(String(i)).digest();
  for (let o = 0; o < run; o += 4096) seed.copy(buf, o, 0, (o / 4096) % 2 ? 32 : 16);
  fs.writeSync(fd, buf, 0, run, Math.floor((size / (dataBytes / run)) * i));
}
fs.closeSync(fd);

const cli = (format: string, out: string) => ['node', path.join(root, 'cli/bin/partwright.mjs'), 'convert', raw, '-o', path.join(work, out), '--output-format', format];
const rows: [string, string[], string[]][] = [
  ['android-sparse', cli('android-sparse', 'p.simg'), ['img2simg', raw, path.join(work, 'n.simg')]],
  ['qcow2', cli('qcow2', 'p.qcow2'), ['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, path.join(work, 'n.qcow2')]],
  ['zstd -T0', cli('zst', 'p.zst'), ['sh', '-c', `zstd -3 -T0 -q -c '${raw}' > '${work}/n.zst'`]],
  ['zstd -T1', cli('zst', 'p.zst'), ['sh', '-c', `zstd -3 -T1 -q -c '${raw}' > '${work}/n.zst'`]],
  ['gzip', cli('gz', 'p.gz'), ['sh', '-c', `gzip -6 -c '${raw}' > '${work}/n.gz'`]],
];
console.log('16 GiB raw image with 2 GiB of data');
for (const [name, ours, theirs] of rows) {
  const a = measure(`pw-${name}`, ours, work);
  const b = measure(`native-${name}`, theirs, work);
  const mibs = (s: number) => (dataBytes / 2 ** 20 / s).toFixed(0);
  console.log(`${name.padEnd(15)} partwright ${a.wallS.toFixed(2)} s (${mibs(a.wallS)} MiB/s of data, ${(a.peakRssKiB / 1024).toFixed(0)} MiB RSS) · ${theirs[0] === 'sh' ? name : theirs[0]} ${b.wallS.toFixed(2)} s (${mibs(b.wallS)} MiB/s, ${(b.peakRssKiB / 1024).toFixed(0)} MiB RSS) · ratio ${(a.wallS / b.wallS).toFixed(2)}×`);
  for (const f of fs.readdirSync(work)) if (/^[pn]\./.test(f)) fs.rmSync(path.join(work, f));
}
fs.rmSync(raw);

// 2 GiB with 4 KiB of data: conversions must skip the holes in time, not only in output.
const small = path.join(work, 'sd.img');
const sfd = fs.openSync(small, 'w');
fs.ftruncateSync(sfd, 2 * 2 ** 30);
fs.writeSync(sfd, Buffer.alloc(4096, 0x5a), 0, 4096, 8 << 20);
fs.closeSync(sfd);
console.log('2 GiB raw image with 4 KiB of data');
for (const [format, out, native] of [['zst', 'p.zst', `zstd -3 -T0 -q -c '${small}' > '${work}/n.zst'`], ['gz', 'p.gz', `gzip -6 -c '${small}' > '${work}/n.gz'`]] as const) {
  const a = measure(`pw-small-${format}`, ['node', path.join(root, 'cli/bin/partwright.mjs'), 'convert', small, '-o', path.join(work, out), '--output-format', format], work);
  const b = measure(`native-small-${format}`, ['sh', '-c', native], work);
  console.log(`${format.padEnd(15)} partwright ${a.wallS.toFixed(2)} s (${(a.peakRssKiB / 1024).toFixed(0)} MiB RSS, ${fs.statSync(path.join(work, out)).size} B) · ${native.split(' ')[0]} ${b.wallS.toFixed(2)} s (${(b.peakRssKiB / 1024).toFixed(0)} MiB RSS, ${fs.statSync(path.join(work, 'n.' + format)).size} B) · ratio ${(a.wallS / b.wallS).toFixed(2)}× · goal < 1 s: ${a.wallS < 1 ? 'met' : 'NOT met'}`);
}
fs.rmSync(work, { recursive: true, force: true });
