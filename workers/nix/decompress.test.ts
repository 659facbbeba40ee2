/**
 * decompressNarStream's zstd path with libzstd (zstd.wasm): the frame that hung fzstd is a coded
 * `decompress` error at once; the NarSize bound and the window limit hold for frames that declare
 * their size (single segment) as well as for windowed ones; a decoder that cannot load is a coded
 * error; a good stream round-trips (Debian's zstd as the encoder).
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeTool } from '../hosts/node/tools.ts';
import { requireTools } from '../formats/test-support/tools.ts';
import { decompressNarStream } from './decompress.ts';
import { NixError, NixProblem } from './errors.ts';
import { fzstdHangInput } from './test-support/fzstd-hang.ts';

const what = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x';
const loadZstd = () => loadNodeTool('zstd');
beforeAll(() => {
  requireTools('zstd');
  loadZstd(); // compiled before the timed tests
});

/** The stream's bytes, or the error it fails with. */
async function drain(body: Uint8Array, maxBytes: number, load = loadZstd): Promise<Uint8Array | NixError> {
  const parts: Uint8Array[] = [];
  try {
    for await (const c of decompressNarStream(new Response(body).body!, 'zstd', what, maxBytes, load)) parts.push(c);
  } catch (e) {
    if (e instanceof NixError) return e;
    throw e;
  }
  return Buffer.concat(parts);
}

async function problem(body: Uint8Array, maxBytes: number, load = loadZstd): Promise<NixError> {
  const r = await drain(body, maxBytes, load);
  if (!(r instanceof NixError)) throw new Error('expected a NixError');
  return r;
}

describe('decompressNarStream: zstd through libzstd', () => {
  it('the 233-byte frame that looped fzstd forever is a decompress error at once', async () => {
    const t0 = performance.now();
    const e = await problem(fzstdHangInput(), 226_560);
    expect(e.problem).toBe(NixProblem.Decompress);
    expect(e.message).toMatch(/the zstd stream is corrupt/);
    expect(performance.now() - t0).toBeLessThan(1000);
  }, 1000);

  it('round-trips what zstd -3 writes, exactly at NarSize; one byte less is nar-size-mismatch', async () => {
    const data = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 0xff);
    const z = new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: data }));
    expect(Buffer.from((await drain(z, data.length)) as Uint8Array).equals(data)).toBe(true);
    expect((await problem(z, data.length - 1)).problem).toBe(NixProblem.NarSizeMismatch);
  });

  it('a single-segment frame declaring 3 GiB is refused for its window before decoding', async () => {
    // Frame header: single segment, 8-byte content size 3 GiB; then one RLE block of zeros.
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0x13, 0, 0x10, 0]);
    const e = await problem(frame, 4096);
    expect(e.problem).toBe(NixProblem.Decompress);
    expect(e.message).toMatch(/window over 8388608 bytes, more than its NarSize 4096/);
  });

  it('a windowed frame over the NarSize is refused from its header', async () => {
    const data = new Uint8Array(64 << 10);
    const z = new Uint8Array(execFileSync('zstd', ['-q', '-c', '--long=26'], { input: data })); // 64 MiB window
    const e = await problem(z, data.length);
    expect(e.problem).toBe(NixProblem.Decompress);
    expect(e.message).toMatch(/asks for a 67108864-byte window, more than its NarSize 65536/);
  });

  it('a decoder that cannot load is a coded error', async () => {
    const e = await problem(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0, 0x38]), 4096, () => Promise.reject(new Error('HTTP 404')));
    expect(e.problem).toBe(NixProblem.Decompress);
    expect(e.message).toMatch(/could not load the zstd decoder \(HTTP 404\)/);
  });

  it('an empty or cut body is a decompress error', async () => {
    expect((await problem(new Uint8Array(0), 4096)).message).toMatch(/empty/);
    const z = new Uint8Array(execFileSync('zstd', ['-q', '-c'], { input: new Uint8Array(100_000).fill(1) }));
    expect((await problem(z.subarray(0, z.length - 3), 100_000)).message).toMatch(/ends inside a frame/);
  });
});
