/** 1 GiB in 2,000 files into an ISO (Rock Ridge + Joliet): Partwright beside `xorriso -as mkisofs -r -J`. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ensureGnuTime, measure } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-iso-'));
ensureGnuTime();
const tree = path.join(work, 'tree');
const total = 1 << 30;
const count = 2000;
let written = 0;
for (let i = 0; i < count; i++) {
  const sub = path.join(tree, `d${String(i % 40).padStart(2, '0')}`);
  fs.mkdirSync(sub, { recursive: true });
  const size = i === count - 1 ? total - written : Math.floor((total / count) * (0.5 + ((i * 7919) % 1000) / 1000));
  const block = createHash('sha256').update(String(i)).digest();
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += block.length) block.copy(buf, o);
  fs.writeFileSync(path.join(sub, `f${i}.bin`), buf);
  written += size;
}
const defs = path.join(work, 'defs');
fs.mkdirSync(defs);
fs.writeFileSync(path.join(defs, '10-iso.conf'), `[Partition]\nType=linux-generic\nLabel=BENCH\nFormat=iso9660\nCopyFiles=/tree:/\n\n[X-Partwright-Disk]\nTable=iso\nCopySource=${work}\n`);

const ours = measure('partwright', ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', defs, '-o', path.join(work, 'pw.iso')], work);
const native = measure('xorriso', ['xorriso', '-as', 'mkisofs', '-quiet', '-r', '-J', '-V', 'BENCH', '-o', path.join(work, 'x.iso'), tree], work);
const row = (name: string, r: { wallS: number; peakRssKiB: number }) =>
  `${name.padEnd(18)} ${r.wallS.toFixed(2).padStart(7)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;
console.log(`ISO9660 + Rock Ridge + Joliet, ${count} files, ${(written / 2 ** 20).toFixed(0)} MiB`);
console.log(row('partwright', ours));
console.log(row('xorriso -r -J', native));
console.log(`ratio partwright/native: time ${(ours.wallS / native.wallS).toFixed(2)}×, peak RSS ${(ours.peakRssKiB / native.peakRssKiB).toFixed(2)}×`);
fs.rmSync(work, { recursive: true, force: true });
