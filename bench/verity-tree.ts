/**
 * One run of Partwright's verity tree over a file (child process of bench/verity.ts, so GNU time
 * measures it alone): `verity-tree.ts DATA HASH-OUT node|lanes|hash-wasm|js` prints the root hash
 * and writes the tree's own time (ms, without Node's start-up) to HASH-OUT.ms.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createSHA256 } from 'hash-wasm';
import { Sha256 } from '../workers/crypto/sha256.ts';
import { FileSource } from '../workers/hosts/node/file.ts';
import { computeVerityTree, encodeVeritySuperblock, toHex, verityGeometry, type VerityHasher } from '../workers/formats/verity/index.ts';
import { loadNodeTool } from '../workers/hosts/node/tools.ts';
import { sha256LanesHasher } from '../workers/tools/sha256-lanes.ts';

const [data, out, which] = process.argv.slice(2) as [string, string, 'node' | 'lanes' | 'hash-wasm' | 'js'];
const salt = Uint8Array.from({ length: 32 }, (_, i) => i);
const uuid = '0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d';
let createSha256: VerityHasher;
if (which === 'lanes') createSha256 = sha256LanesHasher(loadNodeTool('sha256-lanes'));
else if (which === 'node') {
  createSha256 = () => {
    const h = createHash('sha256');
    return { update: (d) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
  };
} else if (which === 'hash-wasm') {
  const wasm = await createSHA256();
  createSha256 = () => {
    wasm.init();
    return { update: (d) => void wasm.update(d), digest: () => wasm.digest('binary') };
  };
} else createSha256 = () => new Sha256();

const source = new FileSource(data);
const g = verityGeometry(source.sizeBytes, 4096, 4096);
const t0 = performance.now();
const tree = computeVerityTree(source, g, salt, createSha256);
fs.writeFileSync(`${out}.ms`, String(performance.now() - t0)); // the tree alone, without Node's start-up
const fd = fs.openSync(out, 'w');
fs.writeSync(fd, encodeVeritySuperblock({ hashType: 1, uuid, algorithm: 'sha256', dataBlockBytes: 4096, hashBlockBytes: 4096, dataBlocks: g.dataBlocks, salt }), 0, 512, 0);
fs.writeSync(fd, tree.levelsBytes, 0, tree.levelsBytes.length, tree.firstBlock * 4096);
fs.closeSync(fd);
source.close();
console.log(toHex(tree.rootHash));
