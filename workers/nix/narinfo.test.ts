import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNixBase32, encodeNixBase32 } from './base32.ts';
import { NixProblem } from './errors.ts';
import { formatSha256, narInfoFingerprint, parseNarInfo, parseNixCacheInfo } from './narinfo.ts';
import { importTrustedKeys, verifyNarInfoSignature } from './signature.ts';
import { parseStorePath } from './store-path.ts';
import { ensureNixInstalled, NIX_CONF } from './test-support/nix-env.ts';

// Captured from `nix copy --to file://…?compression=zstd&secret-key=…` (Nix 2.8) with key test-1.
const PUBLIC_KEY = 'test-1:fHqGhYsEq1KO2nHpHcPzrfAl9fTrjoCZ32nvSVFxiHk=';
const NARINFO = `StorePath: /nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app
URL: nar/0gp487nqc58i380fjy7b0cdkp7dh959128a08lvym1cakflis1vi.nar.zst
Compression: zstd
FileHash: sha256:0gp487nqc58i380fjy7b0cdkp7dh959128a08lvym1cakflis1vi
FileSize: 264
NarHash: sha256:0bgl30jgd5jdy3kfvlzs25r8d0wh5gpc3cs4i7szi7iba3llr295
NarSize: 984
References: 394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app xaaixj2mn5d93naqqsxxaclysmh136bk-pw-lib
Deriver: r3angs9j36h09q95z1kbnc51wzhh3xkb-pw-app.drv
Sig: test-1:3E/VZEK7mfnqE2joWJl74vw3YqBgrOTIBxxlhPdd9TUHnSPxAJlMCwdF0PC3v5X+wHXMqPRhwiCst633SSCqDA==
`;

function problemOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { problem?: string }).problem;
  }
  return undefined;
}

async function problemOfAsync(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { problem?: string }).problem ?? (e as Error).message;
  }
  return undefined;
}

describe('Nix base-32', () => {
  beforeAll(() => ensureNixInstalled());

  it('matches `nix hash to-base32` on random SHA-256 digests, and round-trips', () => {
    const hexes = Array.from({ length: 6 }, () => createHash('sha256').update(randomBytes(16)).digest('hex'));
    const real = execFileSync('nix', ['hash', 'to-base32', '--type', 'sha256', ...hexes], {
      encoding: 'utf8',
      env: { ...process.env, NIX_CONF_DIR: '/nonexistent', NIX_CONFIG: NIX_CONF },
    }).trim().split('\n');
    hexes.forEach((hex, i) => {
      const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
      expect(encodeNixBase32(bytes)).toBe(real[i]);
      expect(Buffer.from(decodeNixBase32(real[i]!, 32)).toString('hex')).toBe(hex);
    });
  });

  it('refuses foreign digits, wrong lengths and overflowing bits', () => {
    expect(problemOf(() => decodeNixBase32('e'.repeat(52), 32))).toBe(NixProblem.BadNarInfo);
    expect(problemOf(() => decodeNixBase32('0'.repeat(51), 32))).toBe(NixProblem.BadNarInfo);
    // The first digit carries the top bits; only 1 bit of it fits in 32 bytes (52*5 = 260 bits).
    expect(problemOf(() => decodeNixBase32(`z${'0'.repeat(51)}`, 32))).toBe(NixProblem.BadNarInfo);
  });
});

describe('narinfo and nix-cache-info', () => {
  it('parses a real narinfo', () => {
    const info = parseNarInfo(NARINFO);
    expect(info.storePath).toBe('/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app');
    expect(info.compression).toBe('zstd');
    expect(info.narSizeBytes).toBe(984);
    expect(info.fileSizeBytes).toBe(264);
    expect(formatSha256(info.narHash)).toBe('sha256:0bgl30jgd5jdy3kfvlzs25r8d0wh5gpc3cs4i7szi7iba3llr295');
    expect(info.references).toEqual(['/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app', '/nix/store/xaaixj2mn5d93naqqsxxaclysmh136bk-pw-lib']);
    expect(info.deriver).toBe('/nix/store/r3angs9j36h09q95z1kbnc51wzhh3xkb-pw-app.drv');
    expect(narInfoFingerprint(info)).toBe(
      '1;/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app;sha256:0bgl30jgd5jdy3kfvlzs25r8d0wh5gpc3cs4i7szi7iba3llr295;984;/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app,/nix/store/xaaixj2mn5d93naqqsxxaclysmh136bk-pw-lib',
    );
  });

  it('parses nix-cache-info', () => {
    expect(parseNixCacheInfo('StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n')).toEqual({ storeDir: '/nix/store', wantMassQuery: true, priority: 40 });
    expect(problemOf(() => parseNixCacheInfo('WantMassQuery: 1\n'))).toBe(NixProblem.BadNarInfo);
  });

  it('refuses malformed narinfos with coded errors', () => {
    expect(problemOf(() => parseNarInfo(NARINFO.replace(/^NarHash.*\n/m, '')))).toBe(NixProblem.BadNarInfo);
    expect(problemOf(() => parseNarInfo(NARINFO.replace('NarSize: 984', 'NarSize: -1')))).toBe(NixProblem.BadNarInfo);
    expect(problemOf(() => parseNarInfo(NARINFO.replace('StorePath: /nix/store/', 'StorePath: /tmp/')))).toBe(NixProblem.BadStorePath);
    expect(problemOf(() => parseNarInfo(NARINFO.replace('-pw-lib', '-../x')))).toBe(NixProblem.BadStorePath);
    expect(problemOf(() => parseNarInfo(NARINFO.replace('Compression: zstd', 'Compression: rar')))).toBe(NixProblem.UnsupportedCompression);
    expect(problemOf(() => parseNarInfo(`${NARINFO}garbage\n`))).toBe(NixProblem.BadNarInfo);
  });

  it('validates store paths', () => {
    expect(parseStorePath('/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app')).toEqual({ hashPart: '394bg2wqf0sn3zz4d4am1mvjszj3m4ky', name: 'pw-app' });
    for (const bad of ['/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky', '/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ke-x', '/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-.x', '/nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-a/b', 'nix/store/394bg2wqf0sn3zz4d4am1mvjszj3m4ky-a']) {
      expect(problemOf(() => parseStorePath(bad)), bad).toBe(NixProblem.BadStorePath);
    }
  });
});

describe('signatures', () => {
  it('accepts the real signature by a trusted key', async () => {
    const keys = await importTrustedKeys([PUBLIC_KEY]);
    expect(await verifyNarInfoSignature(parseNarInfo(NARINFO), keys)).toBe('test-1');
  });

  it('refuses unsigned, untrusted and wrong signatures, naming the path and key', async () => {
    const keys = await importTrustedKeys([PUBLIC_KEY]);
    const unsigned = parseNarInfo(NARINFO.replace(/^Sig.*\n/m, ''));
    await expect(verifyNarInfoSignature(unsigned, keys)).rejects.toMatchObject({ problem: NixProblem.Unsigned, message: expect.stringContaining('394bg2wqf0sn3zz4d4am1mvjszj3m4ky-pw-app') });
    const other = parseNarInfo(NARINFO.replace('Sig: test-1:', 'Sig: someone-else:'));
    await expect(verifyNarInfoSignature(other, keys)).rejects.toMatchObject({ problem: NixProblem.UntrustedKey, message: expect.stringMatching(/pw-app.*someone-else/) });
    // Tamper with a signed field: the NarSize.
    const tampered = parseNarInfo(NARINFO.replace('NarSize: 984', 'NarSize: 985'));
    await expect(verifyNarInfoSignature(tampered, keys)).rejects.toMatchObject({ problem: NixProblem.BadSignature, message: expect.stringMatching(/pw-app.*test-1/) });
    // Same key name, different key: the signature does not verify.
    const wrongKey = await importTrustedKeys(['test-1:' + Buffer.alloc(32, 7).toString('base64')]);
    await expect(verifyNarInfoSignature(parseNarInfo(NARINFO), wrongKey)).rejects.toMatchObject({ problem: NixProblem.BadSignature });
  });

  it('refuses malformed trusted keys', async () => {
    expect(await problemOfAsync(importTrustedKeys(['no-colon']))).toBe(NixProblem.BadKey);
    expect(await problemOfAsync(importTrustedKeys(['k:AAAA']))).toBe(NixProblem.BadKey);
    expect(await problemOfAsync(importTrustedKeys(['k:!!!!']))).toBe(NixProblem.BadKey);
  });
});
