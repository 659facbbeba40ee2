/**
 * sha256-lanes.wasm against Node's crypto: SHA-256 of salt ‖ block for salts of 0–256 bytes, block
 * sizes 512–4096 and counts that are not multiples of four (spare lanes), batches over 1 MiB; and a
 * verity tree made with it equals `veritysetup format`'s bytes and root hash.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeVerityTree, toHex, verityGeometry } from '../formats/verity/index.ts';
import { loadNodeTool } from '../hosts/node/tools.ts';
import { requireTools } from '../test-support/debian.ts';
import { sha256LanesHasher } from './sha256-lanes.ts';

const work = mkdtempSync(join(tmpdir(), 'pw-sha256-lanes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('sha256-lanes.wasm', () => {
  const hasher = sha256LanesHasher(loadNodeTool('sha256-lanes'));

  it('gives Node crypto\'s SHA-256 of salt ‖ block for every salt length, block size and count', () => {
    for (const [saltBytes, blockBytes, count] of [[32, 4096, 7], [0, 4096, 1], [256, 512, 9], [31, 1024, 4], [5, 2048, 3], [55, 512, 2], [32, 4096, 300]] as const) {
      const salt = bytes(saltBytes, saltBytes + 1);
      const blocks = bytes(blockBytes * count, blockBytes + count);
      const out = new Uint8Array(32 * count);
      hasher.hashBlocks(salt, blocks, blockBytes, out);
      for (let k = 0; k < count; k++) {
        const expected = createHash('sha256').update(salt).update(blocks.subarray(k * blockBytes, (k + 1) * blockBytes)).digest('hex');
        expect(toHex(out.subarray(32 * k, 32 * k + 32)), `salt ${saltBytes}, block ${blockBytes}, #${k} of ${count}`).toBe(expected);
      }
    }
  });

  it('refuses a salt longer than veritysetup allows', () => {
    expect(() => hasher.hashBlocks(new Uint8Array(257), new Uint8Array(4096), 4096, new Uint8Array(32))).toThrow(/257 bytes/);
  });

  it('makes the tree veritysetup format makes', () => {
    requireTools('veritysetup');
    const data = bytes(8 << 20, 3);
    const dataFile = join(work, 'data.img'), hashFile = join(work, 'hash.img');
    writeFileSync(dataFile, data);
    const salt = bytes(32, 9);
    const text = execFileSync('veritysetup', ['format', dataFile, hashFile, `--salt=${toHex(salt)}`, '--hash=sha256', '--uuid=0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d'], { encoding: 'utf8' });
    const g = verityGeometry(data.length, 4096, 4096);
    const tree = computeVerityTree({ read: (o, t) => t.set(data.subarray(o, o + t.length)) }, g, salt, hasher);
    expect(text).toContain(`Root hash:      \t${toHex(tree.rootHash)}`);
    const stored = readFileSync(hashFile).subarray(tree.firstBlock * 4096);
    expect(Buffer.from(tree.levelsBytes).equals(stored.subarray(0, tree.levelsBytes.length))).toBe(true);
  });
});
