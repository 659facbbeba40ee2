/**
 * The Nix client's parsers under fuzzing: narinfo and nix-cache-info text, NAR streams (through
 * unpackNar with a recording sink) and compressed NAR bodies (zstd through decompressNarStream).
 * Property: each returns or throws a coded NixError/PartwrightError; unpackNar never names a path
 * outside the root it was given.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { isPartwrightError } from '../model/errors.ts';
import { parseNarInfo, parseNixCacheInfo } from './narinfo.ts';
import { unpackNar, type NarSink } from './nar.ts';
import { decompressNarStream } from './decompress.ts';
import { encodeTestNar } from './test-support/nar-encode.ts';
import { fuzzAssert, fuzzOptions, fuzzTimeoutMs } from '../test-support/fuzz.ts';
import { mutatedBytes } from '../test-support/mutate.ts';
import { loadNodeTool } from '../hosts/node/tools.ts';

async function codedOnly(parse: () => unknown): Promise<void> {
  try {
    await parse();
  } catch (e) {
    if (isPartwrightError(e)) return;
    throw e;
  }
}

const NARINFO = `StorePath: /nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12
URL: nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.zst
Compression: zstd
FileHash: sha256:1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3
FileSize: 50264
NarHash: sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73
NarSize: 226560
References: 0123456789abcdfghijklmnpqrsvwxyz-hello-2.12 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-glibc-2.37
Deriver: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-hello-2.12.drv
Sig: cache.example.org-1:ZaG9cdqoLV1mTDDW8JZ0pyG0sH4fu1m3bhV/a5ODWVBQ3hQRbxhIrEfZWMQd1qt4k8S7jlVA0zK0Y1dcSSl5Bw==
`;

const NAR = encodeTestNar({
  type: 'directory',
  entries: [
    ['bin', { type: 'directory', entries: [['hello', { type: 'regular', contents: 'ELF'.repeat(100), executable: true }]] }],
    ['lib', { type: 'symlink', target: '../lib64' }],
    ['share', { type: 'regular', contents: '' }],
  ],
});

function recordingSink(root: string): NarSink {
  const check = (p: string) => expect(p === root || p.startsWith(`${root}/`), p).toBe(true);
  return {
    directory: check,
    symlink: (p) => check(p),
    file: (p) => {
      check(p);
      return { write() {}, close() {} };
    },
  };
}

const stream = (b: Uint8Array) => new Response(b).body!;
const T = fuzzTimeoutMs();

describe('Nix parsers under fuzzing: coded errors only', () => {
  it('narinfo and nix-cache-info', () => {
    const samples = [new TextEncoder().encode(NARINFO), new TextEncoder().encode('StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n')];
    fuzzAssert(
      fc.property(mutatedBytes(samples), (b) => {
        const text = new TextDecoder().decode(b);
        try {
          parseNarInfo(text);
        } catch (e) {
          if (!isPartwrightError(e)) throw e;
        }
        try {
          parseNixCacheInfo(text);
        } catch (e) {
          if (!isPartwrightError(e)) throw e;
        }
      }),
      fuzzOptions('narinfo', 500),
    );
  }, T);

  it('NAR (unpackNar): coded errors, nothing outside the root', async () => {
    const root = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x';
    await fuzzAssert(
      fc.asyncProperty(mutatedBytes([NAR]), fc.boolean(), async (b, sized) => {
        await codedOnly(() => unpackNar(stream(b), recordingSink(root), { rootPath: root, ...(sized ? { expectedSizeBytes: NAR.length } : {}) }));
      }),
      fuzzOptions('nar', 300),
    );
  }, T);

  it('zstd-compressed NAR bodies (decompressNarStream + unpackNar)', async () => {
    const z = spawnSync('zstd', ['-c', '-3'], { input: NAR });
    expect(z.status).toBe(0);
    const sample = new Uint8Array(z.stdout);
    const root = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x';
    await fuzzAssert(
      fc.asyncProperty(mutatedBytes([sample]), async (b) => {
        await codedOnly(() => unpackNar(decompressNarStream(stream(b), 'zstd', root, NAR.length, () => loadNodeTool('zstd')), recordingSink(root), { rootPath: root, expectedSizeBytes: NAR.length }));
      }),
      fuzzOptions('nar-zstd', 200),
    );
  }, T);
});
