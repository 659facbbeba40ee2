/**
 * fuzzAssert's watchdog: a property stuck on one input — in a synchronous loop (what fzstd did) or
 * an await that never settles — ends its process within FUZZ_STALL_SECONDS, printing the property,
 * its seed, the run and the input; FUZZ_SEED + FUZZ_PATH give back that same input; a property that
 * keeps going is left alone.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzAssert, fuzzOptions } from './fuzz.ts';

const RUNNER = join(import.meta.dirname, 'fuzz-stall-run.ts');

function run(mode: string, extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', RUNNER, mode], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, FUZZ_STALL_SECONDS: '2', FUZZ_SECONDS: '', ...extraEnv } });
}

describe('fuzz watchdog', () => {
  for (const mode of ['sync', 'async']) {
    it(`a ${mode} hang ends the process with the seed, run and input`, () => {
      const t0 = Date.now();
      const r = run(mode, { FUZZ_SEED: '1234' });
      expect(r.signal).toBe('SIGKILL');
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.stderr).toContain(`fuzz stall-${mode}: starting (FUZZ_SEED=1234`);
      expect(r.stdout).not.toContain('finished');
      const m = /fuzz stall-(\w+): STALLED: run (\d+) has not finished after 2 s \(FUZZ_SEED=1234 FUZZ_PATH=(\d+) reproduces it\)\. The input:\n\[("base64:[^"]*")\]/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(m![1]).toBe(mode);
      expect(m![2]).toBe('3');
      // The printed input is what fast-check generates for that seed and path.
      const seen: string[] = [];
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), (b) => void seen.push(`base64:${Buffer.from(b).toString('base64')}`)), { seed: 1234, path: m![3]!, numRuns: 1 });
      expect(JSON.stringify(seen[0])).toBe(m![4]);
    }, 60_000);
  }

  it('leaves a property that keeps finishing inputs alone, and returns its result', () => {
    let n = 0;
    fuzzAssert(fc.property(fc.nat(), () => void n++), fuzzOptions('busy', 50));
    expect(n).toBe(50);
    expect(() => fuzzAssert(fc.property(fc.nat(), (x) => x < 0), fuzzOptions('fails', 50))).toThrow(/Property failed/);
  });
});
