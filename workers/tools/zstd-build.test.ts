/**
 * The committed wasm/zstd/zstd.wasm is what the recipe builds: rebuild it from Debian's pinned libzstd
 * source with Debian's toolchain (installed here when running as root) and compare SHA-256 and
 * build-info.json. About 20 s on an idle machine.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ZSTD_WASM_URL } from './zstd.ts';
import { requireDebian, run } from './test-support/e2fs-tools.ts';

const RECIPE = fileURLToPath(new URL('../../wasm/zstd/', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const out = mkdtempSync(join(tmpdir(), 'pw-zstd-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('wasm/zstd recipe', () => {
  it('rebuilds zstd.wasm byte for byte', () => {
    requireDebian([
      ['command -v clang-16', 'clang-16'], ['command -v wasm-ld-16', 'lld-16'],
      ['test -f /usr/lib/wasm32-wasi/libc.a', 'wasi-libc'],
      ['test -f /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a', 'libclang-rt-16-dev-wasm32'],
      ['command -v wasm-opt', 'binaryen'], ['command -v xz', 'xz-utils'],
    ]);
    const r = run('bash', [join(RECIPE, 'build.sh')], { ...process.env, OUT_DIR: out });
    expect(r.status, r.stderr).toBe(0);
    const committed = sha256(fileURLToPath(ZSTD_WASM_URL));
    expect(sha256(join(out, 'zstd.wasm'))).toBe(committed);
    const info = JSON.parse(readFileSync(join(RECIPE, 'build-info.json'), 'utf8')) as { output: { sha256: string } };
    expect(info.output.sha256).toBe(committed);
    expect(readFileSync(join(out, 'build-info.json'), 'utf8')).toBe(readFileSync(join(RECIPE, 'build-info.json'), 'utf8'));
  }, 600_000);
});
