/**
 * The committed wasm/sha256-lanes/sha256-lanes.wasm is what the recipe builds: rebuild it with
 * Debian's clang-16 + lld-16 (installed here when running as root) and compare SHA-256 and
 * build-info.json. A second or two.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SHA256_LANES_WASM_URL } from './sha256-lanes.ts';
import { requireDebian, run } from './test-support/e2fs-tools.ts';

const RECIPE = fileURLToPath(new URL('../../wasm/sha256-lanes/', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const out = mkdtempSync(join(tmpdir(), 'pw-sha256-lanes-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('wasm/sha256-lanes recipe', () => {
  it('rebuilds sha256-lanes.wasm byte for byte', () => {
    requireDebian([['command -v clang-16', 'clang-16'], ['command -v wasm-ld-16', 'lld-16']]);
    const r = run('bash', [join(RECIPE, 'build.sh')], { ...process.env, OUT_DIR: out });
    expect(r.status, r.stderr).toBe(0);
    const committed = sha256(fileURLToPath(SHA256_LANES_WASM_URL));
    expect(sha256(join(out, 'sha256-lanes.wasm'))).toBe(committed);
    const info = JSON.parse(readFileSync(join(RECIPE, 'build-info.json'), 'utf8')) as { output: { sha256: string } };
    expect(info.output.sha256).toBe(committed);
    expect(readFileSync(join(out, 'build-info.json'), 'utf8')).toBe(readFileSync(join(RECIPE, 'build-info.json'), 'utf8'));
  }, 300_000);
});
