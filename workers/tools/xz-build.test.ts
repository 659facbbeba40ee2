/**
 * The committed wasm/xz/xz.wasm is what the recipe builds: rebuild it from Debian's pinned xz-utils (liblzma)
 * source with Debian's toolchain (installed here when running as root) and compare SHA-256 and
 * build-info.json. Under a minute (liblzma's configure).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { XZ_WASM_URL } from './squashfs-compressors.ts';
import { requireDebian, run } from './test-support/e2fs-tools.ts';

const RECIPE = fileURLToPath(new URL('../../wasm/xz/', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const out = mkdtempSync(join(tmpdir(), 'pw-xz-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('wasm/xz recipe', () => {
  it('rebuilds xz.wasm byte for byte', () => {
    requireDebian([
      ['command -v clang-16', 'clang-16'], ['command -v wasm-ld-16', 'lld-16'],
      ['test -f /usr/lib/wasm32-wasi/libc.a', 'wasi-libc'],
      ['test -f /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a', 'libclang-rt-16-dev-wasm32'],
      ['command -v wasm-opt', 'binaryen'], ['command -v llvm-ar-16', 'llvm-16'], ['command -v make', 'make'], ['command -v patch', 'patch'], ['command -v dpkg-source', 'dpkg-dev'],
    ]);
    const r = run('bash', [join(RECIPE, 'build.sh')], { ...process.env, OUT_DIR: out });
    expect(r.status, r.stderr).toBe(0);
    const committed = sha256(fileURLToPath(XZ_WASM_URL));
    expect(sha256(join(out, 'xz.wasm'))).toBe(committed);
    const info = JSON.parse(readFileSync(join(RECIPE, 'build-info.json'), 'utf8')) as { output: { sha256: string } };
    expect(info.output.sha256).toBe(committed);
    expect(readFileSync(join(out, 'build-info.json'), 'utf8')).toBe(readFileSync(join(RECIPE, 'build-info.json'), 'utf8'));
  }, 600_000);
});
