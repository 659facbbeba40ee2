/** The swap header against util-linux: blkid and swaplabel read our type, UUID and label; mkswap writes the same header. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools, run } from '../test-support/tools.ts';
import { decodeSwapHeader, encodeSwapHeader, swapHeaderFor } from './index.ts';

requireTools('blkid', 'swaplabel', 'mkswap');
const work = mkdtempSync(join(tmpdir(), 'pw-swap-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const UUID = '6f1e3a2b-5c4d-4e8f-9a0b-1c2d3e4f5a6b';

function area(sizeBytes: number, label: string): string {
  const file = join(work, `swap-${sizeBytes}-${label.length}`);
  const bytes = new Uint8Array(sizeBytes);
  bytes.set(encodeSwapHeader(swapHeaderFor(sizeBytes, UUID, label)));
  writeFileSync(file, bytes);
  return file;
}

describe('Format=swap header', () => {
  it('blkid sees TYPE=swap with our UUID and label; swaplabel agrees', () => {
    const file = area(8 * 1024 * 1024, 'swap');
    const out = run('blkid', ['-p', '-o', 'export', file]);
    expect(out).toMatch(/^TYPE=swap$/m);
    expect(out).toMatch(new RegExp(`^UUID=${UUID}$`, 'm'));
    expect(out).toMatch(/^LABEL=swap$/m);
    expect(out).toMatch(/^VERSION=1$/m);
    const sl = run('swaplabel', [file]);
    expect(sl).toMatch(new RegExp(`UUID:\\s+${UUID}`));
    expect(sl).toMatch(/LABEL:\s+swap/);
  });

  it('the header page equals what mkswap -L -U writes', () => {
    const size = 1024 * 1024 + 1000; // not a page multiple: the remainder is unused
    const file = join(work, 'mkswap');
    writeFileSync(file, new Uint8Array(size));
    run('mkswap', ['-L', 'swap-2', '-U', UUID, '-p', '4096', file]);
    const theirs = new Uint8Array(readFileSync(file)).subarray(0, 4096);
    expect(Buffer.from(encodeSwapHeader(swapHeaderFor(size, UUID, 'swap-2'))).equals(Buffer.from(theirs))).toBe(true);
    expect(decodeSwapHeader(theirs)).toEqual({ pageSizeBytes: 4096, lastPage: 255, uuid: UUID, label: 'swap-2' });
  });

  it('labels are cut to 16 bytes at a character boundary; tiny areas are refused', () => {
    const h = decodeSwapHeader(encodeSwapHeader(swapHeaderFor(1 << 20, UUID, 'a-very-long-swap-label')));
    expect(h.label).toBe('a-very-long-swap');
    expect(decodeSwapHeader(encodeSwapHeader(swapHeaderFor(1 << 20, UUID, 'ééééééééé'))).label).toBe('éééééééé');
    expect(() => swapHeaderFor(36 * 1024, UUID, 'x')).toThrow(/at least 10 pages/);
    expect(() => decodeSwapHeader(new Uint8Array(4096))).toThrow(/no SWAPSPACE2/);
  });
});
