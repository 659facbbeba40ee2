/**
 * SHA-256 for images: each implementation's speed on 256 MiB in 1 MiB updates (Node's crypto,
 * hash-wasm's WASM, the project's JS one, WebCrypto one-shot), then an 8 GiB image holding 64 MiB:
 * the per-partition bmaps the app now makes by default (∝ data) and the whole-image SHA-256 on
 * request (∝ size, holes fed as zeros), beside `sha256sum` and `bmaptool create` on the same
 * sparse file in the same run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsSha256, loadWasmSha256 } from '../workers/crypto/fast-sha256.ts';
import { partitionDigests, sha256Image } from '../workers/disk/image-digest.ts';
import { SparseImage } from '../workers/disk/sparse-image.ts';
import { nodeSha256 } from '../workers/hosts/node/hash.ts';
import { ensureGnuTime, measure } from './measure.ts';

ensureGnuTime();
const MiB = 1 << 20;
const buf = Uint8Array.from({ length: MiB }, (_, i) => (i * 7 + (i >> 11)) & 0xff);
const wasm = await loadWasmSha256();
const rate = (mib: number, f: () => void): number => {
  const t0 = performance.now();
  f();
  return mib / ((performance.now() - t0) / 1000);
};
const feed = (factory: () => { update(d: Uint8Array): unknown; digest(): Uint8Array }, mib: number) => () => {
  const h = factory();
  for (let i = 0; i < mib; i++) h.update(buf);
  h.digest();
};
const big = new Uint8Array(256 * MiB);
const t0 = performance.now();
await crypto.subtle.digest('SHA-256', big);
const webcrypto = 256 / ((performance.now() - t0) / 1000);
console.log('SHA-256, 1 MiB updates (MiB/s)');
console.log(`node:crypto ${rate(256, feed(nodeSha256, 256)).toFixed(0)} · hash-wasm ${rate(256, feed(wasm, 256)).toFixed(0)} · JS (workers/crypto/sha256.ts) ${rate(64, feed(jsSha256, 64)).toFixed(0)} · WebCrypto one-shot (cannot stream) ${webcrypto.toFixed(0)}`);

// 8 GiB, 64 MiB of data spread over 4 "partitions".
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-hash-'));
const size = 8 * 2 ** 30;
const image = new SparseImage(size);
const file = path.join(work, 'disk.img');
const fd = fs.openSync(file, 'w');
fs.ftruncateSync(fd, size);
const parts = [0, 1, 2, 3].map((i) => ({ partitionNumber: i + 1, offsetBytes: MiB + i * 2 * 2 ** 30, sizeBytes: 2 * 2 ** 30 - MiB }));
for (const p of parts) {
  for (let j = 0; j < 16; j++) {
    const at = p.offsetBytes + j * 64 * MiB;
    image.write(at, buf);
    fs.writeSync(fd, buf, 0, buf.length, at);
  }
}
fs.closeSync(fd);
const time = (f: () => void): number => {
  const s = performance.now();
  f();
  return (performance.now() - s) / 1000;
};
const digestsWasm = time(() => partitionDigests(image, parts, wasm));
const digestsNode = time(() => partitionDigests(image, parts, nodeSha256));
const wholeNode = time(() => sha256Image(image, nodeSha256));
const wholeWasm = time(() => sha256Image(image, wasm));
const sum = measure('sha256sum', ['sha256sum', file], work);
console.log('8 GiB image, 64 MiB of data');
console.log(`per-partition bmaps (app default): ${digestsWasm.toFixed(2)} s hash-wasm, ${digestsNode.toFixed(2)} s node:crypto`);
console.log(`whole-image SHA-256 (on request):  ${wholeWasm.toFixed(2)} s hash-wasm (browser), ${wholeNode.toFixed(2)} s node:crypto; sha256sum ${sum.wallS.toFixed(2)} s (${(sum.peakRssKiB / 1024).toFixed(1)} MiB)`);
console.log(`ratio whole-image node:crypto/sha256sum ${(wholeNode / sum.wallS).toFixed(2)}×; bmaps vs whole image ${(wholeWasm / digestsWasm).toFixed(0)}× less time`);
console.log(`this process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
fs.rmSync(work, { recursive: true, force: true });
