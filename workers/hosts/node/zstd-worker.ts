/**
 * A worker thread of the parallel zstd writer (zstd-parallel.ts): compiles zstd.wasm once,
 * then turns each 8 MiB slice it is sent into one complete zstd frame (level 3, content checksum).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileZstdModule, zstdFrameCompressor } from '../../tools/zstd.ts';

const { wasm, level } = workerData as { wasm: Uint8Array; level: number };
const compressFrame = zstdFrameCompressor(compileZstdModule(wasm), { level });

parentPort!.on('message', (job: { id: number; data: Uint8Array }) => {
  try {
    const pieces = [...compressFrame([job.data], job.data.length)];
    const frame = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      frame.set(p, at);
      at += p.length;
    }
    parentPort!.postMessage({ id: job.id, frame }, [frame.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
