/**
 * Property-based testing settings shared by every fuzz test (fast-check). In `npm test` a short run
 * (a fixed number of inputs per property, seconds); with FUZZ_SECONDS set (`npm run fuzz`) each
 * property runs for that long. The seed is printed for every run and FUZZ_SEED=… reproduces it;
 * a failure prints fast-check's counterexample, seed and path.
 */
import fc from 'fast-check';

/** The environment, also where `process` has no type (the web tests' tsconfig). */
const env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/** Inputs tried and failures found, per property, for `npm run fuzz`'s summary. */
export const fuzzTally = new Map<string, { inputs: number; failures: number; seed: number; ms: number }>();

export function fuzzSeconds(): number | undefined {
  const v = env.FUZZ_SECONDS;
  return v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
}

/** Vitest timeout for a fuzz test: the long run's length plus slack, or `shortMs`. */
export function fuzzTimeoutMs(shortMs = 60_000): number {
  const s = fuzzSeconds();
  return s !== undefined ? s * 1000 + 120_000 : shortMs;
}

export function fuzzOptions<T>(name: string, shortRuns: number): fc.Parameters<T> {
  const seconds = fuzzSeconds();
  const seed = env.FUZZ_SEED !== undefined ? Number(env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const started = Date.now();
  const report = (d: fc.RunDetails<T>): void => {
    const ms = Date.now() - started;
    fuzzTally.set(name, { inputs: d.numRuns, failures: d.failed ? 1 : 0, seed, ms });
    console.log(`fuzz ${name}: ${d.numRuns} inputs in ${(ms / 1000).toFixed(1)} s, ${d.failed ? 'FAILED' : 'no failure'} (FUZZ_SEED=${seed})`);
    if (d.failed) throw new Error(fc.defaultReportMessage(d) ?? `fuzz ${name} failed (FUZZ_SEED=${seed})`);
  };
  return {
    seed,
    ...(seconds !== undefined ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : { numRuns: shortRuns }),
    reporter: report,
  };
}
