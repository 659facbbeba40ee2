/**
 * `npm start` (scripts/start.sh) as a user sees it: every step says what it does and how long it
 * took, and nothing is printed that a user cannot act on (Rolldown's [PLUGIN_TIMINGS] note).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm start', () => {
  it('says what it does and how long it took, with no warnings, then serves', async () => {
    const child = spawn('bash', ['scripts/start.sh', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/Partwright is running at http:\/\/127\.0\.0\.1:\d+\//.test(out)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`start.sh exited (${code}) before serving:\n${out}\n${err}`)));
      });
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }
    expect(out).toMatch(/partwright: building the web app[^\n]*\npartwright: {3}done in \d+s\n/);
    expect(out).toContain('partwright: starting the server');
    expect(out + err).not.toContain('PLUGIN_TIMINGS');
    expect(err.trim(), 'stderr').toBe('');
  }, 300_000);
});
