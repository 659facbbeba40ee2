/**
 * `partwright plan examples/gpt-disk` from a cold process (the prebuilt bundle users run, and the
 * TypeScript sources through tsx as development runs them) beside `systemd-repart --dry-run` on the
 * same definitions, each the median of 9 runs in the same loop. Goal: ≤ 0.15 s.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureGnuTime, measure, type Run } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-plan-'));
ensureGnuTime();
const defs = path.join(root, 'examples/gpt-disk');
const bin = path.join(root, 'cli/bin/partwright.mjs');
// Make sure the bundle is current before timing (a stale one would be rebuilt inside the first run).
spawnSync(process.execPath, [path.join(root, 'scripts/build-cli.mjs'), '--if-stale'], { stdio: 'inherit' });
const target = path.join(work, 'disk.img');
fs.writeFileSync(target, '');
fs.truncateSync(target, 8 * 2 ** 30);

const runs: Record<string, Run[]> = { bundle: [], tsx: [], repart: [], node: [] };
for (let i = 0; i < 9; i++) {
  runs.bundle!.push(measure('bundle', ['node', bin, 'plan', defs], work));
  runs.tsx!.push(measure('tsx', ['node', bin, 'plan', defs], work, { ...process.env, PARTWRIGHT_FROM_SOURCE: '1' }));
  runs.repart!.push(measure('repart', ['systemd-repart', '--dry-run=yes', '--empty=force', '--no-pager', '--json=short', `--definitions=${defs}`, target], work));
  runs.node!.push(measure('node', ['node', '-e', '0'], work));
}
const median = (rs: Run[]): Run => {
  const by = (k: keyof Run) => [...rs].sort((a, b) => a[k] - b[k])[rs.length >> 1]![k];
  return { wallS: by('wallS'), peakRssKiB: by('peakRssKiB'), cpuS: by('cpuS') };
};
const row = (name: string, r: Run) => `${name.padEnd(34)} ${r.wallS.toFixed(2).padStart(6)} s ${(r.peakRssKiB / 1024).toFixed(1).padStart(7)} MiB peak RSS`;
const [b, t, r, n] = [median(runs.bundle!), median(runs.tsx!), median(runs.repart!), median(runs.node!)];
console.log('plan examples/gpt-disk, cold process, median of 9');
console.log(row('partwright (bundle)', b));
console.log(row('partwright (sources through tsx)', t));
console.log(row('systemd-repart --dry-run', r));
console.log(row('node -e 0 (Node start-up alone)', n));
console.log(`ratio partwright/systemd-repart: time ${(b.wallS / Math.max(0.01, r.wallS)).toFixed(1)}×, peak RSS ${(b.peakRssKiB / r.peakRssKiB).toFixed(1)}× · goal ≤ 0.15 s: ${b.wallS <= 0.15 ? 'met' : 'NOT met'}`);
fs.rmSync(work, { recursive: true, force: true });
