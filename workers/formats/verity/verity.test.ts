/**
 * The hash tree against the real `veritysetup` (cryptsetup-bin): with the same salt, UUID and block
 * sizes, `veritysetup format` writes byte-identical hash areas and prints the same root hash;
 * `veritysetup verify` accepts ours and refuses it after one flipped data byte.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools, run, runStatus } from '../test-support/tools.ts';
import { Sha256 } from '../../crypto/sha256.ts';
import {
  computeVerityTree, decodeVeritySignatureJson, decodeVeritySuperblock, encodeVeritySignatureJson, encodeVeritySuperblock,
  toHex, verifyVerity, verityGeometry, type CreateSha256,
} from './index.ts';

requireTools('veritysetup');
const work = mkdtempSync(join(tmpdir(), 'pw-verity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const nodeSha256: CreateSha256 = () => {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
};
const jsSha256: CreateSha256 = () => new Sha256();

/** Deterministic data with a zero stretch in the middle (a hole in a real image). */
function pattern(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x12345678;
  for (let i = 0; i < bytes; i++) {
    if (i > bytes / 3 && i < bytes / 2) continue;
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const SALT = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const UUID = '0b5f2d1c-3e4a-4f6b-8c7d-9e0f1a2b3c4d';

function buildHashArea(data: Uint8Array, dataBlock: number, hashBlock: number, createSha256: CreateSha256) {
  const g = verityGeometry(data.length, dataBlock, hashBlock);
  const tree = computeVerityTree({
    read: (off, t) => t.set(data.subarray(off, off + t.length)),
    isZero: (off, n) => data.subarray(off, off + n).every((b) => b === 0),
  }, g, SALT, createSha256);
  const area = new Uint8Array(g.hashAreaBytes);
  area.set(encodeVeritySuperblock({ hashType: 1, uuid: UUID, algorithm: 'sha256', dataBlockBytes: dataBlock, hashBlockBytes: hashBlock, dataBlocks: g.dataBlocks, salt: SALT }));
  area.set(tree.levelsBytes, tree.firstBlock * hashBlock);
  return { area, rootHash: toHex(tree.rootHash), g };
}

describe('dm-verity hash tree (format 1, SHA-256)', () => {
  const cases: [number, number, number][] = [
    [4096, 4096, 3 * 1024 * 1024], // 768 blocks: two levels
    [512, 512, 300 * 1024], // 600 blocks of 512: 16 digests a block, three levels
    [4096, 512, 1024 * 1024],
    [512, 4096, 2 * 1024 * 1024],
    [4096, 4096, 4096 * 128], // exactly one full level-0 block
    [4096, 4096, 4096], // one data block: no levels, root = H(salt ‖ block)
  ];
  for (const [dataBlock, hashBlock, bytes] of cases) {
    it(`data ${dataBlock} / hash ${hashBlock}, ${bytes} bytes: the same bytes and root hash as veritysetup format`, () => {
      const data = pattern(bytes);
      const dataFile = join(work, `data-${dataBlock}-${hashBlock}-${bytes}`);
      writeFileSync(dataFile, data);
      const ours = buildHashArea(data, dataBlock, hashBlock, nodeSha256);
      expect(buildHashArea(data, dataBlock, hashBlock, jsSha256).rootHash).toBe(ours.rootHash);

      const theirsFile = `${dataFile}.theirs`;
      writeFileSync(theirsFile, new Uint8Array(0));
      const out = run('veritysetup', ['format', dataFile, theirsFile, `--data-block-size=${dataBlock}`, `--hash-block-size=${hashBlock}`,
        `--salt=${toHex(SALT)}`, `--uuid=${UUID}`, '--hash=sha256', '--format=1']);
      expect(out).toMatch(new RegExp(`Root hash:\\s+${ours.rootHash}`));
      const theirs = new Uint8Array(readFileSync(theirsFile));
      expect(theirs.length).toBeGreaterThanOrEqual(ours.area.length);
      expect(toHex(createHash('sha256').update(theirs.subarray(0, ours.area.length)).digest())).toBe(toHex(createHash('sha256').update(ours.area).digest()));
      expect(theirs.subarray(ours.area.length).every((b) => b === 0)).toBe(true);

      const oursFile = `${dataFile}.ours`;
      writeFileSync(oursFile, ours.area);
      expect(runStatus('veritysetup', ['verify', dataFile, oursFile, ours.rootHash]).status).toBe(0);
      const flipped = data.slice();
      flipped[Math.floor(bytes / 5)]! ^= 1;
      writeFileSync(dataFile, flipped);
      expect(runStatus('veritysetup', ['verify', dataFile, oursFile, ours.rootHash]).status).not.toBe(0);
    });
  }

  it('veritysetup dump reads the superblock fields; decode gives them back', () => {
    const data = pattern(1024 * 1024);
    const { area } = buildHashArea(data, 4096, 4096, nodeSha256);
    const file = join(work, 'dump.hash');
    writeFileSync(file, area);
    const dump = run('veritysetup', ['dump', file]);
    expect(dump).toMatch(/Hash type:\s+1/);
    expect(dump).toMatch(/Data blocks:\s+256/);
    expect(dump).toMatch(/Data block size:\s+4096/);
    expect(dump).toMatch(/Hash block size:\s+4096/);
    expect(dump).toMatch(/Hash algorithm:\s+sha256/);
    expect(dump).toMatch(new RegExp(`Salt:\\s+${toHex(SALT)}`));
    expect(dump).toMatch(new RegExp(`UUID:\\s+${UUID}`));
    const sb = decodeVeritySuperblock(area);
    expect(sb).toMatchObject({ hashType: 1, uuid: UUID, algorithm: 'sha256', dataBlockBytes: 4096, hashBlockBytes: 4096, dataBlocks: 256 });
    expect(toHex(sb.salt)).toBe(toHex(SALT));
  });

  it('verifyVerity accepts the tree and names the first hash block that differs', () => {
    const data = pattern(2 * 1024 * 1024);
    const { area, rootHash } = buildHashArea(data, 4096, 4096, nodeSha256);
    const reader = (b: Uint8Array) => ({ read: (off: number, t: Uint8Array) => t.set(b.subarray(off, off + t.length)), sizeBytes: b.length });
    const ok = verifyVerity(reader(data), data.length, reader(area), nodeSha256);
    expect(ok.ok).toBe(true);
    expect(toHex(ok.rootHash)).toBe(rootHash);
    const bad = data.slice();
    bad[5000]! ^= 0x80;
    const r = verifyVerity(reader(bad), bad.length, reader(area), nodeSha256);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/hash block \d+ does not match/);
    expect(() => decodeVeritySuperblock(new Uint8Array(512))).toThrow(/no "verity" superblock/);
  });

  it('signature JSON: compact, NUL-padded to 4096, read back', () => {
    const bytes = encodeVeritySignatureJson({ rootHash: SALT, certificateFingerprint: SALT.slice(0, 32), signature: Uint8Array.of(1, 2, 3) }, 16384);
    expect(bytes.length).toBe(4096);
    expect(new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)))).toBe(`{"rootHash":"${toHex(SALT)}","certificateFingerprint":"${toHex(SALT)}","signature":"AQID"}`);
    const back = decodeVeritySignatureJson(bytes);
    expect(toHex(back.signature)).toBe('010203');
    expect(() => encodeVeritySignatureJson({ rootHash: SALT, certificateFingerprint: SALT, signature: new Uint8Array(20000) }, 16384)).toThrow(/more than its 16384-byte/);
  });
});
