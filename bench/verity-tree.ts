/**
 * One run of Partwright's verity tree over a file (child process of bench/verity.ts, so GNU time
 * measures it alone): `verity-tree.ts DATA HASH-OUT node|hash-wasm|js` prints the root hash.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createSHA256 } from 'hash-wasm';
import { Sha256 } from '../workers/crypto/sha256.ts';
import { FileSource } from '../workers/hosts/node/file.ts';
import { computeVerityTree, encodeVeritySuperblock, toHex, verityGeometry, type CreateSha256 } from '../workers/formats/verity/index.ts';

const [data, out, which] = process.argv.slice(2) as [string, string, 'node' | 'hash-wasm' | 'js'];
const salt = Uint8Array.from({ length: 32 }, (_, i) => i);
const uuid = '0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d';
let createSha256: CreateSha256;
if (which === 'node') {
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
const tree = computeVerityTree(source, g, salt, createSha256);
const fd = fs.openSync(out, 'w');
fs.writeSync(fd, encodeVeritySuperblock({ hashType: 1, uuid, algorithm: 'sha256', dataBlockBytes: 4096, hashBlockBytes: 4096, dataBlocks: g.dataBlocks, salt }), 0, 512, 0);
fs.writeSync(fd, tree.levelsBytes, 0, tree.levelsBytes.length, tree.firstBlock * 4096);
fs.closeSync(fd);
source.close();
console.log(toHex(tree.rootHash));
