/** Shared by the benchmarks: run a command under GNU time and read wall time, CPU time and peak RSS. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Run {
  wallS: number;
  peakRssKiB: number;
  /** User + system CPU seconds of the command and its threads: less skewed than wall time on a loaded machine. */
  cpuS: number;
}

export function ensureGnuTime(): void {
  if (fs.existsSync('/usr/bin/time')) return;
  if (process.getuid?.() === 0) execFileSync('apt-get', ['install', '-y', '-qq', 'time'], { stdio: 'ignore' });
  else throw new Error('the benchmarks need /usr/bin/time (Debian package "time")');
}

export function measure(label: string, cmd: string[], workDir: string, env?: NodeJS.ProcessEnv): Run {
  const timeFile = path.join(workDir, `${label.replace(/\W+/g, '_')}.time`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', timeFile, ...cmd], { encoding: 'utf8', env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  const [wall, rss, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ');
  return { wallS: Number(wall), peakRssKiB: Number(rss), cpuS: Number(user) + Number(sys) };
}
