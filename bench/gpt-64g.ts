/**
 * `npm run bench`: plan and write a 64 GiB GPT image with 8 partitions and 2 blobs with Partwright's
 * CLI, and the same definitions with systemd-repart --empty=create --size=64G, in the same run.
 * Prints wall time, peak RSS and bytes on disk for both, and the ratios. Figures, not a test.
 */
import { execFileSync } from 'node:child_process';
import { ensureGnuTime, measure as measureCommand } from './measure.ts';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));
const defs = path.join(work, 'repart.d');
fs.mkdirSync(defs);

const partitions = [
  ['10-esp', 'Type=esp\nSizeMinBytes=1G\nSizeMaxBytes=1G'],
  ['20-xbootldr', 'Type=xbootldr\nSizeMinBytes=1G\nSizeMaxBytes=1G'],
  ['30-root', 'Type=root\nSizeMinBytes=8G\nWeight=2000'],
  ['40-root-verity', 'Type=root-verity\nSizeMinBytes=512M\nSizeMaxBytes=512M'],
  ['50-usr', 'Type=usr\nSizeMinBytes=4G\nSizeMaxBytes=8G'],
  ['60-swap', 'Type=swap\nSizeMinBytes=4G\nSizeMaxBytes=4G'],
  ['70-var', 'Type=var\nSizeMinBytes=2G\nWeight=500'],
  ['80-home', 'Type=home\nSizeMinBytes=1G\nWeight=1000\nPaddingMinBytes=64M'],
];
for (const [name, body] of partitions) fs.writeFileSync(path.join(defs, `${name}.conf`), `[Partition]\n${body}\n`);
// Two blobs in the gap before the first partition (after the default GPT entry array).
fs.writeFileSync(path.join(work, 'idbloader.bin'), Buffer.alloc(128 * 1024, 0x5a));
fs.writeFileSync(path.join(work, 'env.bin'), Buffer.alloc(256 * 1024, 0xa5));
fs.appendFileSync(
  path.join(defs, '10-esp.conf'),
  `\n[X-Partwright-Blob]\nName=idbloader\nOffset=32K\nSource=${path.join(work, 'idbloader.bin')}\n` +
    `\n[X-Partwright-Blob]\nName=env\nOffset=512K\nSource=${path.join(work, 'env.bin')}\n`,
);

const SEED = '0867da16-f251-457d-a9e8-c31f9a3c220b';

ensureGnuTime();

interface Run { wallS: number; peakRssKiB: number; diskBytes: number; sizeBytes: number }

function measure(label: string, cmd: string[], out: string): Run {
  fs.rmSync(out, { force: true });
  const t = measureCommand(label, cmd, work);
  const st = fs.statSync(out);
  return { ...t, diskBytes: st.blocks * 512, sizeBytes: st.size };
}

const ours = measure('partwright', ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', defs, '-o', path.join(work, 'pw.img'), '--size', '64G', '--seed', SEED], path.join(work, 'pw.img'));
const repart = measure('systemd-repart', ['systemd-repart', '--empty=create', '--size=64G', '--dry-run=no', `--seed=${SEED}`, `--definitions=${defs}`, '--no-pager', path.join(work, 'repart.img')], path.join(work, 'repart.img'));

// The two tables must agree (the blobs are Partwright's only: repart ignores X- sections).
const dump = (f: string) => JSON.parse(execFileSync('sfdisk', ['--json', f], { encoding: 'utf8' })).partitiontable;
const a = dump(path.join(work, 'pw.img'));
const b = dump(path.join(work, 'repart.img'));
const same = JSON.stringify(a.partitions.map((p: Record<string, unknown>) => ({ ...p, node: '' }))) === JSON.stringify(b.partitions.map((p: Record<string, unknown>) => ({ ...p, node: '' })));

// The engine alone, in this process (no Node start-up): plan + build + raw write, best of 5.
const { loadLayout } = await import('../cli/layout-files.ts');
const { buildImage } = await import('../workers/build/build-image.ts');
const { writeRawImage } = await import('../workers/formats/outputs/raw.ts');
const { FileSink, FileSource } = await import('../workers/hosts/node/file.ts');
let engineMs = Infinity;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const { spec } = loadLayout(defs);
  const { image } = buildImage(spec, { open: (p) => new FileSource(p) }, { sizeBytes: 64 * 2 ** 30, seed: SEED });
  const sink = new FileSink(path.join(work, 'engine.img'));
  writeRawImage(image, sink);
  sink.close();
  engineMs = Math.min(engineMs, performance.now() - t0);
}

const row = (name: string, r: Run) =>
  `${name.padEnd(16)} ${r.wallS.toFixed(2).padStart(8)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(9)} MiB ${String(r.diskBytes).padStart(12)} B on disk (image ${r.sizeBytes} B)`;
console.log('64 GiB GPT, 8 partitions, 2 blobs');
console.log(row('partwright', ours));
console.log(row('systemd-repart', repart));
console.log(
  `ratio partwright/systemd-repart: time ${(ours.wallS / repart.wallS).toFixed(2)}×, peak RSS ${(ours.peakRssKiB / repart.peakRssKiB).toFixed(2)}×, on disk ${(ours.diskBytes / Math.max(1, repart.diskBytes)).toFixed(2)}×`,
);
console.log(`engine alone (in-process, best of 5): ${engineMs.toFixed(1)} ms; the rest of partwright's time is Node and loader start-up`);
console.log(`partition tables identical (sfdisk --json): ${same ? 'yes' : 'NO'}`);
fs.rmSync(work, { recursive: true, force: true });
