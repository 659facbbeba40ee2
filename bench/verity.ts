/**
 * dm-verity hash tree over 512 MiB of data (no holes: every block hashed): Partwright's tree
 * (workers/formats/verity) with four SHA-256s — Node's crypto, sha256-lanes.wasm (four blocks per SIMD
 * vector: what the engine uses), hash-wasm and the engine's own pure-TypeScript one — beside
 * `veritysetup format` with the same salt, in the same run. Each run is its own process under GNU time.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureGnuTime, measure, type Run } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-verity-'));
ensureGnuTime();
const MiB = 1 << 20;
const dataBytes = Number(process.env.VERITY_BENCH_MIB ?? 512) * MiB;

// Deterministic, incompressible-looking data without zero blocks.
const data = path.join(work, 'data.img');
const fd = fs.openSync(data, 'w');
const chunk = Buffer.alloc(MiB);
for (let i = 0; i < dataBytes / MiB; i++) {
  const seed = createHash('sha512').update(`chunk ${i}`).digest();
  for (let o = 0; o < MiB; o += seed.length) seed.copy(chunk, o);
  chunk.writeUInt32LE(i, 0);
  fs.writeSync(fd, chunk);
}
fs.closeSync(fd);

const salt = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join('');
const nativeOut = path.join(work, 'native.hash');
const native = measure('veritysetup', ['veritysetup', 'format', data, nativeOut, `--salt=${salt}`, '--uuid=0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d', '--hash=sha256'], work);

const row = (name: string, r: Run) => `${name.padEnd(26)} ${r.wallS.toFixed(2).padStart(7)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(8)} MiB peak RSS`;
console.log(`dm-verity tree, ${dataBytes / MiB} MiB data, 4096-byte blocks, SHA-256`);
console.log(row('veritysetup format', native));
for (const which of ['node', 'lanes', 'hash-wasm', 'js'] as const) {
  const out = path.join(work, `${which}.hash`);
  const r = measure(which, ['node', '--import', 'tsx', path.join(root, 'bench/verity-tree.ts'), data, out, which], work);
  const ours = fs.readFileSync(out);
  const theirs = fs.readFileSync(nativeOut).subarray(0, ours.length);
  const same = ours.equals(theirs);
  const treeS = Number(fs.readFileSync(`${out}.ms`, 'utf8')) / 1000;
  console.log(`${row(`partwright (${which})`, r)}  ratio ${(r.wallS / native.wallS).toFixed(2)}× time, ${(r.peakRssKiB / native.peakRssKiB).toFixed(2)}× RSS; tree alone ${treeS.toFixed(2)} s (${(treeS / native.wallS).toFixed(2)}×)${same ? ', same bytes' : ', BYTES DIFFER'}`);
}
fs.rmSync(work, { recursive: true, force: true });
