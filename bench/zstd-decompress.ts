/**
 * zstd decompression: 256 MiB of mixed data (text-like runs, random blocks, zeros) compressed by
 * Debian's `zstd -3`, decoded by Partwright's ZstdDecompressor (libzstd in zstd.wasm, 1 MiB pushes,
 * the output only counted) beside the native `zstd -dc > /dev/null`, interleaved, in the same run;
 * medians of CPU seconds (user + system, less skewed than wall time on a shared machine) and the
 * ratio. Each side runs in its own process under GNU time; ours is also timed decoding alone in
 * this process (Node and tsx start-up are most of the separate process's time at this size).
 *   npx tsx bench/zstd-decompress.ts [ROUNDS]          (default 3)
 *   npx tsx bench/zstd-decompress.ts --decode FILE     (one side, what the bench runs)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadNodeTool } from '../workers/hosts/node/tools.ts';
import { ZstdDecompressor } from '../workers/tools/zstd.ts';
import { ensureGnuTime, measure, type Run } from './measure.ts';

/** Decode `file` in this process; the bytes out and the CPU seconds the decoding took. */
function decodeFile(file: string, module: WebAssembly.Module): { bytes: number; cpuS: number } {
  const cpu0 = process.cpuUsage();
  const fd = fs.openSync(file, 'r');
  const chunk = new Uint8Array(1 << 20);
  let bytes = 0;
  const z = new ZstdDecompressor(module, (b) => (bytes += b.length));
  for (let n; (n = fs.readSync(fd, chunk)) > 0; ) z.push(chunk.subarray(0, n));
  z.end();
  fs.closeSync(fd);
  const cpu = process.cpuUsage(cpu0);
  return { bytes, cpuS: (cpu.user + cpu.system) / 1e6 };
}

if (process.argv[2] === '--decode') {
  console.log(decodeFile(process.argv[3]!, loadNodeTool('zstd')).bytes);
  process.exit(0);
}

ensureGnuTime();
const rounds = Number(process.argv[2] ?? 3);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-zstd-'));
const raw = path.join(work, 'data.bin');
const totalBytes = 256 << 20;
const fd = fs.openSync(raw, 'w');
const words = Buffer.from('partwright builds disk images from repart layouts; '.repeat(20000));
for (let at = 0, i = 0; at < totalBytes; i++) {
  const piece = i % 4 === 0 ? randomBytes(1 << 20) : i % 4 === 1 ? Buffer.alloc(1 << 20) : words.subarray(0, 1 << 20);
  const n = Math.min(piece.length, totalBytes - at);
  fs.writeSync(fd, piece, 0, n);
  at += n;
}
fs.closeSync(fd);
const zst = path.join(work, 'data.zst');
execFileSync('zstd', ['-q', '-3', '-T1', '-f', raw, '-o', zst]);
fs.rmSync(raw);
console.log(`input: ${totalBytes >> 20} MiB, zstd -3: ${(fs.statSync(zst).size / 2 ** 20).toFixed(1)} MiB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const ours: Run[] = [];
const native: Run[] = [];
const inProcessCpuS: number[] = [];
const module = loadNodeTool('zstd');
for (let r = 0; r < rounds; r++) {
  ours.push(measure('ours', [process.execPath, '--import', 'tsx', import.meta.filename, '--decode', zst], work));
  native.push(measure('native', ['sh', '-c', `zstd -q -dc '${zst}' > /dev/null`], work));
  const d = decodeFile(zst, module);
  if (d.bytes !== totalBytes) throw new Error(`decoded ${d.bytes} bytes, expected ${totalBytes}`);
  inProcessCpuS.push(d.cpuS);
}
const median = (runs: Run[], k: keyof Run) => runs.map((x) => x[k]).sort((a, b) => a - b)[runs.length >> 1]!;
for (const [name, runs] of [['ZstdDecompressor (wasm)', ours], ['zstd -dc (native)', native]] as const) {
  const cpu = median(runs, 'cpuS');
  console.log(`${name}: CPU ${cpu.toFixed(2)} s (${(totalBytes / 2 ** 20 / cpu).toFixed(0)} MiB/s), wall ${median(runs, 'wallS').toFixed(2)} s, peak RSS ${(median(runs, 'peakRssKiB') / 1024).toFixed(0)} MiB`);
}
const decodeCpuS = inProcessCpuS.sort((a, b) => a - b)[inProcessCpuS.length >> 1]!;
console.log(`ZstdDecompressor, decoding alone (in this process, no Node start-up): CPU ${decodeCpuS.toFixed(2)} s (${(totalBytes / 2 ** 20 / decodeCpuS).toFixed(0)} MiB/s)`);
console.log(`ratio (CPU, decoding alone / native): ${(decodeCpuS / median(native, 'cpuS')).toFixed(2)}`);
console.log(`ratio (CPU, ours / native): ${(median(ours, 'cpuS') / median(native, 'cpuS')).toFixed(2)}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
fs.rmSync(work, { recursive: true, force: true });
