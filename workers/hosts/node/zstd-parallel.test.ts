/**
 * The parallel seekable zstd writer run from sources (as tests and PARTWRIGHT_FROM_SOURCE do): its
 * worker threads start (tsx registered inside each thread; `--import tsx` in execArgv failed on
 * Node 20 with "Unknown file extension .ts"), the output is byte-identical to the one-thread writer,
 * and Debian's zstd decompresses it to the image. Also from a plain `node --import tsx` process.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageSource } from '../../formats/outputs/index.ts';
import { requireTools } from '../../formats/test-support/tools.ts';
import { writeZstdSeekableParallel } from './zstd-parallel.ts';

const dir = mkdtempSync(join(tmpdir(), 'pw-zstd-par-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 40 MiB: 24 MiB of mixed data, a 12 MiB hole, 4 MiB of data. */
function image(): { source: ImageSource; bytes: Uint8Array } {
  const bytes = new Uint8Array(40 << 20);
  for (let i = 0; i < 24 << 20; i++) bytes[i] = (i >> 9) % 7 === 0 ? (i * 2654435761) >>> 24 : i & 0x3f;
  bytes.fill(0x5a, 36 << 20);
  const ranges = [{ offsetBytes: 0, sizeBytes: 24 << 20 }, { offsetBytes: 36 << 20, sizeBytes: 4 << 20 }];
  return { bytes, source: { sizeBytes: bytes.length, dataRanges: () => ranges, readInto: (o, t) => t.set(bytes.subarray(o, o + t.length)) } };
}

async function compress(source: ImageSource, threads: number): Promise<Buffer> {
  const out: Uint8Array[] = [];
  await writeZstdSeekableParallel(source, (c) => out.push(c.slice()), threads);
  return Buffer.concat(out);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('writeZstdSeekableParallel from sources', () => {
  it('two worker threads give the one-thread bytes, which zstd -d restores', async () => {
    requireTools('zstd');
    const { source, bytes } = image();
    const parallel = await compress(source, 2);
    const serial = await compress(source, 1);
    expect(sha256(parallel)).toBe(sha256(serial));
    const file = join(dir, 'image.zst');
    writeFileSync(file, parallel);
    const d = spawnSync('zstd', ['-q', '-dc', file], { maxBuffer: 1 << 30 });
    expect(d.status, d.stderr?.toString()).toBe(0);
    expect(sha256(d.stdout)).toBe(sha256(bytes));
  }, 300_000);

  it('works from node --import tsx too', () => {
    const script = join(dir, 'run.mts');
    writeFileSync(
      script,
      `import { writeZstdSeekableParallel } from ${JSON.stringify(new URL('./zstd-parallel.ts', import.meta.url).href)};
const bytes = new Uint8Array(24 << 20).map((_, i) => i & 0x3f);
let n = 0;
await writeZstdSeekableParallel({ sizeBytes: bytes.length, dataRanges: () => [{ offsetBytes: 0, sizeBytes: bytes.length }], readInto: (o, t) => t.set(bytes.subarray(o, o + t.length)) }, (c) => { n += c.length; }, 2);
console.log('compressed', n);
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000, cwd: join(import.meta.dirname, '../../..') });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^compressed \d+\n$/);
  }, 300_000);
});
