/**
 * The Nix job server against real Nix offline (busybox derivations, a chroot store): auth and the
 * allowlist, a build published to the signed zstd cache and fetched back by the client and by real
 * Nix, results served without rebuilding, flake outputs, cancel without an orphan builder, bounded
 * concurrency and queue (429), timeouts, and a restart that resumes queued jobs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NixCacheClient } from '../../workers/nix/client.ts';
import { FsTreeSink } from '../../workers/hosts/node/nar-sink.ts';
import { makeNixEnv, type NixEnv } from '../../workers/nix/test-support/nix-env.ts';
import type { NixJobConfig } from './config.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNixJobHandler, startNixJobServer, type RunningNixJobServer } from './http.ts';
import { NixJobService } from './job-service.ts';
import { JobStore, type Job } from './job-store.ts';
import { loadNodeTool } from '../../workers/hosts/node/tools.ts';

const TOKEN = 'test-token-0123456789abcdef';
/** Unique sleep lengths mark this run's builder processes in /proc. */
const MARK = 7000 + Math.floor(Math.random() * 2000);

let env: NixEnv;
let exprFile: string;
let flakeDir: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  env = makeNixEnv('partwright-server-1');
  exprFile = join(env.dir, 'jobs.nix');
  const nonce = Date.now();
  const mk = (name: string, script: string) =>
    `${name} = derivation { name = "${name}"; system = "x86_64-linux"; builder = "/bin/busybox"; args = [ "sh" "-c" ${JSON.stringify(script)} ]; nonce = "${nonce}"; };`;
  writeFileSync(
    exprFile,
    `{
  ${mk('quick', '/bin/busybox mkdir -p $out/bin; echo hi > $out/bin/hi; /bin/busybox chmod +x $out/bin/hi; /bin/busybox ln -s bin/hi $out/link')}
  ${mk('other', 'echo other > $out')}
  ${mk('two-seconds', 'echo building slowly; /bin/busybox sleep 2; echo done > $out')}
  ${mk('restart-a', 'echo building a; /bin/busybox sleep 2; echo a > $out')}
  ${mk('restart-b', 'echo b > $out')}
  ${mk('restart-c', 'echo c > $out')}
  ${[1, 2, 3, 4, 5].map((i) => mk(`slow${i}`, `echo started slow${i}; /bin/busybox sleep ${MARK + i}; echo > $out`)).join('\n  ')}
}
`,
  );
  flakeDir = join(env.dir, 'flake');
  mkdirSync(flakeDir);
  writeFileSync(
    join(flakeDir, 'flake.nix'),
    `{ outputs = { self }: { packages.x86_64-linux.hello = derivation { name = "pw-flake-hello"; system = "x86_64-linux"; builder = "/bin/busybox"; args = [ "sh" "-c" "echo flake > $out" ]; nonce = "${nonce}"; }; }; }\n`,
  );
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => {
  killLeftovers();
  env?.cleanup();
});

/** PIDs of this run's busybox sleeps (`sleep MARK+i`). */
function builderPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('sleep') && cmd.some((a) => /^\d+$/.test(a) && Number(a) > MARK && Number(a) <= MARK + 5)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Only our own marked builders, by pid, if a test failed half-way. */
function killLeftovers(): void {
  for (const pid of builderPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Started {
  service: NixJobService;
  server: RunningNixJobServer;
  config: NixJobConfig;
}

function configFor(name: string, overrides: Partial<NixJobConfig> = {}): NixJobConfig {
  const dir = join(env.dir, `server-${name}`);
  mkdirSync(dir, { recursive: true });
  const attrs = ['quick', 'other', 'two-seconds', 'restart-a', 'restart-b', 'restart-c', 'slow1', 'slow2', 'slow3', 'slow4', 'slow5'];
  return {
    installables: {
      ...Object.fromEntries(attrs.map((a) => [a, { file: exprFile, attr: a }])),
      'flake-hello': { flake: `path:${flakeDir}#hello` },
    },
    databaseFile: join(dir, 'jobs.sqlite'),
    cacheDir: join(dir, 'cache'),
    secretKeyFile: env.secretKeyFile,
    submitToken: TOKEN,
    store: env.storeRoot,
    nixEnv: { NIX_CONF_DIR: env.confDir, HOME: env.dir },
    maxConcurrent: 1,
    maxQueued: 4,
    buildTimeoutSeconds: 60,
    ...overrides,
  };
}

async function start(config: NixJobConfig): Promise<Started> {
  const service = new NixJobService(config);
  service.start();
  const server = await startNixJobServer({ service, port: 0 });
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    await service.close();
  };
  cleanups.push(stop);
  return { service, server, config };
}

async function submit(s: Started, installable: string, token = TOKEN): Promise<{ status: number; body: { job?: Job; error?: string } }> {
  const res = await fetch(`${s.server.url}/nix/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ installable }),
  });
  return { status: res.status, body: (await res.json()) as { job?: Job; error?: string } };
}

async function jobOf(s: Started, id: string): Promise<Job> {
  return ((await (await fetch(`${s.server.url}/nix/jobs/${id}`)).json()) as { job: Job }).job;
}

async function cancel(s: Started, id: string): Promise<Response> {
  return fetch(`${s.server.url}/nix/jobs/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
}

describe('nix job server', () => {
  it('needs the token and builds only allowlisted installables', async () => {
    const s = await start(configFor('auth'));
    expect((await submit(s, 'quick', '')).status).toBe(401);
    expect((await submit(s, 'quick', 'wrong-token-0123456789')).status).toBe(401);
    const unknown = await submit(s, 'builtins.exec');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/not an allowlisted installable/);
    expect((await submit(s, `path:${flakeDir}#hello`)).status).toBe(400);
    const withCode = await fetch(`${s.server.url}/nix/jobs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ installable: 'quick', expr: 'derivation { }' }),
    });
    expect(withCode.status).toBe(400);
    expect((await cancel(s, '00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const installables = (await (await fetch(`${s.server.url}/nix/installables`)).json()) as { installables: string[] };
    expect(installables.installables).toContain('flake-hello');
    expect(s.service.list()).toEqual([]);
  });

  it('builds, streams the log, publishes a signed zstd cache with CORS, and serves it again without rebuilding', async () => {
    const s = await start(configFor('build'));
    const t0 = Date.now();
    const first = await submit(s, 'quick');
    expect(first.status).toBe(202);
    const id = first.body.job!.id;
    const logRes = await fetch(`${s.server.url}/nix/jobs/${id}/log`);
    expect(logRes.headers.get('access-control-allow-origin')).toBe('*');
    const log = await logRes.text(); // ends when the job ends
    expect(log).toContain('$ nix --store');
    expect(log).toMatch(/nix .*build --timeout 60/);
    const job = await jobOf(s, id);
    expect(job).toMatchObject({ state: 'succeeded', cached: false });
    expect(job.outPaths).toHaveLength(1);
    const outPath = job.outPaths[0]!;
    console.log(`build + copy of a tiny path: ${Date.now() - t0} ms`);

    const info = await fetch(`${s.server.url}/nix/cache/nix-cache-info`);
    expect(info.headers.get('access-control-allow-origin')).toBe('*');
    expect(await info.text()).toMatch(/StoreDir: \/nix\/store\nWantMassQuery: 1\nPriority: 41/);
    const narinfo = await (await fetch(`${s.server.url}/nix/cache/${outPath.slice(11, 43)}.narinfo`)).text();
    expect(narinfo).toMatch(/Compression: zstd/);
    expect(narinfo).toMatch(/Sig: partwright-server-1:/);
    const preflight = await fetch(`${s.server.url}/nix/jobs`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);

    // The worker's client takes it from the server's cache.
    const client = await NixCacheClient.create({ substituters: [`${s.server.url}/nix/cache`], trustedPublicKeys: [env.publicKey], loadZstd: () => loadNodeTool('zstd') });
    const out = join(env.dir, 'server-build-out');
    await client.fetchClosure([outPath], new FsTreeSink(out));
    const diff = spawnSync('diff', ['-r', '--no-dereference', join(out, outPath), env.realPath(outPath)], { encoding: 'utf8' });
    expect(diff.status, diff.stdout).toBe(0);

    // Real Nix substitutes from it too.
    const fresh = join(env.dir, 'server-build-fresh');
    // (Asynchronously: the server answering it runs in this process.)
    await promisify(execFile)('nix', ['copy', '--store', fresh, '--from', `${s.server.url}/nix/cache`, '--option', 'trusted-public-keys', env.publicKey, outPath], { env: env.env, timeout: 60_000 });
    expect(readFileSync(join(fresh, outPath, 'bin/hi'), 'utf8')).toBe('hi\n');

    // Submitting it again: answered from the cache, nothing built.
    const again = await submit(s, 'quick');
    const done = await s.service.waitFor(again.body.job!.id);
    expect(done).toMatchObject({ state: 'succeeded', cached: true, outPaths: [outPath] });
    const againLog = s.service.logsAfter(done.id).map((c) => c.text).join('');
    expect(againLog).toContain('already in the cache');
    expect(againLog).not.toMatch(/nix .*build /);
  });

  it('builds a flake output, and streams Server-Sent Events', async () => {
    const s = await start(configFor('flake'));
    const { body } = await submit(s, 'flake-hello');
    const events = await (await fetch(`${s.server.url}/nix/jobs/${body.job!.id}/log`, { headers: { Accept: 'text/event-stream' } })).text();
    expect(events).toMatch(/event: state\ndata: .*"state":"succeeded"/);
    expect(events).toMatch(/event: log\ndata: /);
    const job = await jobOf(s, body.job!.id);
    expect(job.outPaths[0]).toMatch(/-pw-flake-hello$/);
    expect(readFileSync(join(s.config.cacheDir, `${job.outPaths[0]!.slice(11, 43)}.narinfo`), 'utf8')).toContain('Compression: zstd');
  });

  it('cancels a running build with SIGTERM and leaves no builder behind', async () => {
    const s = await start(configFor('cancel'));
    const { body } = await submit(s, 'slow1');
    const id = body.job!.id;
    await until('the builder to start', () => builderPids().length > 0);
    expect((await jobOf(s, id)).state).toBe('running');
    const res = await cancel(s, id);
    expect(res.status).toBe(200);
    const job = await s.service.waitFor(id);
    expect(job.state).toBe('cancelled');
    await until('the builder to be gone', () => builderPids().length === 0, 10_000);
    // A queued job cancels without running.
    const a = await submit(s, 'slow2');
    const b = await submit(s, 'slow3');
    expect((await jobOf(s, b.body.job!.id)).state).toBe('queued');
    await cancel(s, b.body.job!.id);
    expect((await jobOf(s, b.body.job!.id)).state).toBe('cancelled');
    await cancel(s, a.body.job!.id);
    await s.service.waitFor(a.body.job!.id);
    await until('the builder to be gone', () => builderPids().length === 0, 10_000);
  });

  it('runs at most maxConcurrent builds, queues at most maxQueued, and answers 429 past that', async () => {
    const s = await start(configFor('bounds', { maxConcurrent: 2, maxQueued: 1 }));
    const ids: string[] = [];
    for (const name of ['slow1', 'slow2', 'slow3']) {
      const r = await submit(s, name);
      expect(r.status, name).toBe(202);
      ids.push(r.body.job!.id);
    }
    const full = await submit(s, 'slow4');
    expect(full.status).toBe(429);
    expect(full.body.error).toMatch(/queue is full/);
    // The same installable again is the same job, not a new one.
    const dup = await submit(s, 'slow1');
    expect(dup).toMatchObject({ status: 200, body: { job: { id: ids[0] } } });
    await until('two builders', () => builderPids().length === 2);
    expect((await Promise.all(ids.map((id) => jobOf(s, id)))).map((j) => j.state)).toEqual(['running', 'running', 'queued']);
    for (const id of ids) await cancel(s, id);
    for (const id of ids) expect((await s.service.waitFor(id)).state).toBe('cancelled');
    await until('the builders to be gone', () => builderPids().length === 0, 10_000);
  });

  it("mounts into another server (the app's) and leaves paths outside /nix/ to it", async () => {
    const service = new NixJobService(configFor('mounted'));
    service.start();
    const handler = createNixJobHandler({ service });
    const app = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('the app');
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      app.closeAllConnections();
      await new Promise<void>((r) => app.close(() => r()));
      await service.close();
    });
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    expect(await (await fetch(`${base}/index.html`)).text()).toBe('the app');
    expect(await (await fetch(`${base}/nix/cache/nix-cache-info`)).text()).toMatch(/^StoreDir: \/nix\/store\n/);
    expect((await fetch(`${base}/nix/installables`)).status).toBe(200);
  });

  it('fails a build that runs past --timeout', async () => {
    const s = await start(configFor('timeout', { buildTimeoutSeconds: 1 }));
    const { body } = await submit(s, 'slow5');
    const job = await s.service.waitFor(body.job!.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/timed out/);
    await until('the builder to be gone', () => builderPids().length === 0, 10_000);
  });

  it('keeps jobs across a restart and resumes the queued ones', async () => {
    const config = configFor('restart');
    const s1 = await start(config);
    const a = (await submit(s1, 'restart-a')).body.job!;
    const b = (await submit(s1, 'restart-b')).body.job!;
    const c = (await submit(s1, 'restart-c')).body.job!;
    await until('restart-a to build', () => s1.service.logsAfter(a.id).some((l) => l.text.includes('building a')));
    expect([a, b, c].map((j) => s1.service.get(j.id)!.state)).toEqual(['running', 'queued', 'queued']);
    await cleanups.pop()!(); // stop the first server mid-build
    // And as if a process had died mid-job without stopping cleanly: b left 'running' in the database.
    const crashed = new JobStore(config.databaseFile);
    crashed.markRunning(b.id, Date.now());
    crashed.close();

    const s2 = await start(config);
    const jobs = await Promise.all([a, b, c].map((j) => s2.service.waitFor(j.id)));
    expect(jobs.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const aLog = s2.service.logsAfter(a.id).map((l) => l.text).join('');
    expect(aLog).toContain('goes back to the queue');
    expect(s2.service.logsAfter(b.id).map((l) => l.text).join('')).toContain('queued again');
    expect(aLog.match(/building a/g)?.length).toBe(2);
    // Finished jobs and results survive another restart.
    await cleanups.pop()!();
    const s3 = await start(config);
    expect(s3.service.get(b.id)).toMatchObject({ state: 'succeeded', outPaths: jobs[1]!.outPaths });
    expect(s3.service.store.result('restart-c')?.outPaths).toEqual(jobs[2]!.outPaths);
  });
});

/** PIDs of nix processes working on `store` (by their command line). */
function nixPids(store: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)nix$/.test(cmd[0] ?? '') && cmd.includes(store)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

describe('a job server killed with SIGKILL (issue 15)', () => {
  it('reaps the orphaned nix on restart; the job is queued again and runs; its log shows no server paths', async () => {
    const config = configFor('kill9', { buildTimeoutSeconds: 600 });
    const configFile = join(env.dir, 'server-kill9', 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const { spawn } = await import('node:child_process');
    const startServer = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), '--config', configFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
      const url = await until('the server to listen', () => /(http:\/\/127\.0\.0\.1:\d+)\/nix\//.exec(out)?.[1], 60_000);
      return { child, url };
    };
    const api = async (url: string, p: string, method = 'GET') =>
      (await (await fetch(`${url}${p}`, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` }, ...(method === 'POST' && p === '/nix/jobs' ? { body: JSON.stringify({ installable: 'slow3' }) } : {}) })).json()) as { job: Job };

    const first = await startServer();
    const { job } = await api(first.url, '/nix/jobs', 'POST');
    const builder = await until('the builder to start', () => builderPids().filter((p) => alive(p))[0], 60_000);
    const orphans = nixPids(config.store!);
    expect(orphans.length).toBeGreaterThan(0);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Without reaping, this nix and its builder would run on (and hold the store's locks).
    expect(orphans.some(alive) || alive(builder)).toBe(true);

    const second = await startServer();
    try {
      expect(orphans.filter(alive)).toEqual([]);
      expect(alive(builder)).toBe(false);
      const after = (await api(second.url, `/nix/jobs/${job.id}`)).job;
      // Documented: a job the dead server left running is queued again and runs from the start.
      expect(['queued', 'running']).toContain(after.state);
      const chunks = new JobStore(config.databaseFile);
      const text = chunks.logsAfter(job.id, 0).map((c) => c.text).join('');
      chunks.close();
      expect(text).toMatch(/the server restarted during this job; its nix, still running, was stopped; it is queued again/);
      for (const p of [config.store!, config.cacheDir, config.secretKeyFile, exprFile]) expect(text).not.toContain(p);
      // Cancel the re-run: the job ends cancelled and nothing of it is left running.
      await until('the re-run to start', async () => (await api(second.url, `/nix/jobs/${job.id}`)).job.state === 'running');
      await api(second.url, `/nix/jobs/${job.id}/cancel`, 'POST');
      const final = await until('the job to end', async () => {
        const j = (await api(second.url, `/nix/jobs/${job.id}`)).job;
        return j.state === 'cancelled' ? j : undefined;
      }, 60_000);
      expect(final.state).toBe('cancelled');
      await until('no nix left', () => nixPids(config.store!).filter(alive).length === 0 && builderPids().filter(alive).length === 0, 30_000);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 240_000);
});
