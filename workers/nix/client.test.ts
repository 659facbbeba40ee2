/**
 * The client against real Nix offline: busybox-built paths published with `nix copy` to zstd, xz and
 * uncompressed file caches served on 127.0.0.1, fetched, compared with the real store, registered
 * with `nix-store --load-db` and verified by `nix-store --verify --check-contents`; then hostile caches.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNixBase32 } from './base32.ts';
import { NixCacheClient, type ClosureProgress } from './client.ts';
import { NixProblem } from './errors.ts';
import { narInfoFingerprint } from './narinfo.ts';
import { encodeNixPathRegistration } from './registration.ts';
import { FsTreeSink } from '../hosts/node/nar-sink.ts';
import { encodeTestNar, type TestNode } from './test-support/nar-encode.ts';
import { makeNixEnv, serveDirectory, writeTestExpression, type NixEnv, type ServedDir } from './test-support/nix-env.ts';
import { nixSigner } from './test-support/sign.ts';
import { loadNodeTool } from '../hosts/node/tools.ts';

type Compression = 'zstd' | 'xz' | 'none';

let env: NixEnv;
let app: string;
let lib: string;
let single: string;
let closureInfoJson: string;
const caches = {} as Record<Compression, { dir: string; served: ServedDir }>;
const servers: ServedDir[] = [];

async function serve(dir: string): Promise<ServedDir> {
  const s = await serveDirectory(dir);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  env = makeNixEnv();
  // closureInfo's input: structured attrs with exportReferencesGraph (what nixpkgs' closure-info.nix reads).
  const closureInfo = `closureInfo = derivation {
    name = "closure-info"; system = "x86_64-linux"; builder = bb; __structuredAttrs = true;
    exportReferencesGraph.closure = [ app single ];
    args = [ "sh" "-c" "out=$(\${bb} grep -o '/nix/store/[a-z0-9]*-closure-info' .attrs.sh | \${bb} head -n 1); \${bb} cat .attrs.json > $out" ];
  };`;
  const expr = writeTestExpression(env.dir, closureInfo);
  closureInfoJson = env.build(expr, 'closureInfo');
  app = env.build(expr, 'app');
  lib = env.build(expr, 'lib');
  single = env.build(expr, 'single');
  for (const c of ['zstd', 'xz', 'none'] as const) {
    const dir = join(env.dir, `cache-${c}`);
    env.copyToCache([app, single], dir, c);
    caches[c] = { dir, served: await serve(dir) };
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  env?.cleanup();
});

/** type, permission bits and symlink target of every entry under `root`, by relative path. */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const full = join(root, rel);
    const st = lstatSync(full);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `symlink -> ${readlinkSync(full)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of readdirSync(full).sort()) walk(join(rel, name));
    } else out[rel] = `file ${mode} ${st.size} ${createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16)}`;
  };
  walk('');
  return out;
}

async function client(substituters: string[], keys = [env.publicKey]): Promise<NixCacheClient> {
  return NixCacheClient.create({ substituters, trustedPublicKeys: keys, loadZstd: () => loadNodeTool('zstd') });
}

function nixStore(args: string[], input?: string) {
  return spawnSync('nix-store', args, { env: env.env, encoding: 'utf8', input });
}

describe.each(['zstd', 'xz', 'none'] as const)('closure from a %s cache', (compression) => {
  it('unpacks exactly what is in the real store, with progress per path and in bytes', async () => {
    const out = join(env.dir, `out-${compression}`);
    const sink = new FsTreeSink(out);
    const events: ClosureProgress[] = [];
    const result = await (await client([caches[compression].served.url])).fetchClosure([app], sink, { onProgress: (p) => events.push(p) });
    sink.seal();
    expect(result.paths.map((p) => p.storePath)).toEqual([lib, app].sort());
    for (const p of [app, lib]) {
      expect(describeTree(join(out, p)), p).toEqual(describeTree(env.realPath(p)));
      const diff = spawnSync('diff', ['-r', '--no-dereference', join(out, p), env.realPath(p)], { encoding: 'utf8' });
      expect(diff.status, diff.stdout + diff.stderr).toBe(0);
    }
    const total = result.paths.reduce((n, p) => n + p.narSizeBytes, 0);
    const done = events.filter((e) => e.phase === 'done');
    expect(done.map((e) => e.storePath)).toEqual([lib, app].sort());
    expect(done.at(-1)).toMatchObject({ bytesDone: total, bytesTotal: total, pathsDone: 2, pathsTotal: 2 });
    const nar = events.filter((e) => e.phase !== 'narinfo').map((e) => e.bytesDone);
    expect(nar).toEqual([...nar].sort((a, b) => a - b));
    expect(events.filter((e) => e.phase === 'narinfo').map((e) => e.storePath).sort()).toEqual([lib, app].sort());
  });
});

describe('nix-path-registration', () => {
  it('is accepted by nix-store --load-db, and --verify --check-contents passes on the unpacked closure', async () => {
    const storeRoot = join(env.dir, 'fresh-store');
    const sink = new FsTreeSink(storeRoot);
    const result = await (await client([caches.zstd.served.url])).fetchClosure([app, single], sink);
    sink.seal();
    const registration = encodeNixPathRegistration(result.paths);
    writeFileSync(join(storeRoot, 'nix-path-registration'), registration);
    // Byte for byte what nixpkgs' closureInfo writes: its jq program
    //   .closure | map([.path, .narHash, .narSize, "", (.references | length)] + .references) | add | map("\(.)\n") | add
    // (then `head -n -1`), over the graph real Nix exported.
    const graph = JSON.parse(readFileSync(env.realPath(closureInfoJson), 'utf8')) as { closure: Array<{ path: string; narHash: string; narSize: number; references: string[] }> };
    const closureInfoRegistration = graph.closure.flatMap((p) => [p.path, p.narHash, p.narSize, '', p.references.length, ...p.references]).map((v) => `${v}\n`).join('');
    expect(registration).toBe(closureInfoRegistration);
    const lines = registration.split('\n');
    expect(lines.slice(0, 5)).toEqual([lib, expect.stringMatching(/^sha256:[0-9a-z]{52}$/), String(result.paths[0]!.narSizeBytes), '', '0']);

    const load = nixStore(['--store', storeRoot, '--load-db'], registration);
    expect(load.status, load.stderr).toBe(0);
    const verify = nixStore(['--store', storeRoot, '--verify', '--check-contents']);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/modified|error|warning/i);
    const requisites = nixStore(['--store', storeRoot, '--query', '--requisites', app]);
    expect(requisites.stdout.trim().split('\n').sort()).toEqual([lib, app].sort());
    // The hashes are what real Nix has for the same paths.
    const real = nixStore(['--store', env.storeRoot, '--query', '--hash', app, lib, single]).stdout.trim().split('\n');
    const ours = nixStore(['--store', storeRoot, '--query', '--hash', app, lib, single]).stdout.trim().split('\n');
    expect(ours).toEqual(real);

    // The oracle is meaningful: a changed byte in a registered path fails --check-contents.
    const copy = join(env.dir, 'fresh-store-tampered');
    cpSync(storeRoot, copy, { recursive: true, verbatimSymlinks: true });
    const victim = join(copy, lib, 'share/a/b/f.txt');
    chmodSync(join(copy, lib, 'share/a/b'), 0o755);
    chmodSync(victim, 0o644);
    writeFileSync(victim, 'jello\n');
    const bad = nixStore(['--store', copy, '--verify', '--check-contents']);
    expect(bad.stderr).toMatch(/modified/);
  });
});

describe('several caches', () => {
  it('tries caches in order and takes each path from the first that has it', async () => {
    const emptyDir = join(env.dir, 'cache-empty');
    mkdirSync(emptyDir, { recursive: true });
    writeFileSync(join(emptyDir, 'nix-cache-info'), 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n');
    const empty = await serve(emptyDir);
    const c = await client([empty.url, caches.xz.served.url, caches.zstd.served.url]);
    const info = await c.queryPathInfo(single);
    expect(info.cacheUrl).toBe(caches.xz.served.url);
    expect(empty.requests).toContain(`/${single.slice(11, 43)}.narinfo`);
    expect(await c.findPathInfo('/nix/store/00000000000000000000000000000000-missing')).toBeUndefined();
    await expect(c.queryPathInfo('/nix/store/00000000000000000000000000000000-missing')).rejects.toMatchObject({ problem: NixProblem.NotFound });
  });

  it('skips a cache whose narinfo fails its checks when a later one has a good one; otherwise refuses', async () => {
    const tamperedDir = join(env.dir, 'cache-tampered-sig');
    cpSync(caches.zstd.dir, tamperedDir, { recursive: true });
    const narinfo = join(tamperedDir, `${single.slice(11, 43)}.narinfo`);
    writeFileSync(narinfo, readFileSync(narinfo, 'utf8').replace(/^NarSize: (\d+)$/m, (_, n) => `NarSize: ${Number(n) + 8}`));
    const tampered = await serve(tamperedDir);
    expect((await (await client([tampered.url, caches.zstd.served.url])).queryPathInfo(single)).cacheUrl).toBe(caches.zstd.served.url);
    await expect((await client([tampered.url])).queryPathInfo(single)).rejects.toMatchObject({ problem: NixProblem.BadSignature });
  });
});

describe('NAR downloads', () => {
  it('take a NAR that fails its hash from the next cache that has the path, and discard the bad one', async () => {
    const dir = join(env.dir, 'cache-badnar-first');
    cpSync(caches.none.dir, dir, { recursive: true });
    const hp = single.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    const narFile = join(dir, /^URL: (.*)$/m.exec(readFileSync(join(dir, `${hp}.narinfo`), 'utf8'))![1]!);
    const bytes = readFileSync(narFile);
    bytes[bytes.indexOf('single')] = 'S'.charCodeAt(0);
    writeFileSync(narFile, bytes);
    const bad = await serve(dir);
    const out = join(env.dir, 'out-retry');
    const c = await client([bad.url, caches.zstd.served.url]);
    const r = await c.fetchClosure([single], new FsTreeSink(out));
    expect(r.paths.map((p) => p.cacheUrl)).toEqual([caches.zstd.served.url]);
    expect(bad.requests.some((u) => u.startsWith('/nar/'))).toBe(true);
    expect(describeTree(join(out, single))).toEqual(describeTree(env.realPath(single)));
    // With one cache only, the failure stands.
    await expect((await client([bad.url])).fetchClosure([single], new FsTreeSink(join(env.dir, 'out-retry-2')))).rejects.toMatchObject({ problem: NixProblem.NarHashMismatch });
  });

  it('download several NARs at once (narConcurrency) and unpack the closure in order', async () => {
    const out = join(env.dir, 'out-parallel');
    const c = await NixCacheClient.create({ substituters: [caches.zstd.served.url], trustedPublicKeys: [env.publicKey], narConcurrency: 3, loadZstd: () => loadNodeTool('zstd') });
    const done: string[] = [];
    const sink = new FsTreeSink(out);
    const r = await c.fetchClosure([app], sink, { onProgress: (p) => p.phase === 'done' && done.push(p.storePath) });
    sink.seal();
    expect(done).toEqual(r.paths.map((p) => p.storePath));
    for (const p of r.paths) expect(describeTree(join(out, p.storePath))).toEqual(describeTree(env.realPath(p.storePath)));
  });
});

describe('hostile caches', () => {
  const hashPart = (p: string) => p.slice('/nix/store/'.length, '/nix/store/'.length + 32);

  /** A cache holding one signed (or not) narinfo + NAR made up by the test. */
  async function fakeCache(name: string, storePath: string, nar: Uint8Array, opts: { sign?: boolean; narInfoPath?: string } = {}): Promise<ServedDir> {
    const dir = join(env.dir, `cache-${name}`);
    mkdirSync(join(dir, 'nar'), { recursive: true });
    writeFileSync(join(dir, 'nix-cache-info'), 'StoreDir: /nix/store\n');
    const narHash = `sha256:${encodeNixBase32(createHash('sha256').update(nar).digest())}`;
    writeFileSync(join(dir, 'nar', 'x.nar'), nar);
    const info = { storePath, narHash: new Uint8Array(createHash('sha256').update(nar).digest()), narSizeBytes: nar.length, references: [] };
    const sig = opts.sign === false ? '' : `Sig: ${nixSigner(env.secretKeyFile)(narInfoFingerprint(info))}\n`;
    writeFileSync(
      join(dir, `${hashPart(opts.narInfoPath ?? storePath)}.narinfo`),
      `StorePath: ${storePath}\nURL: nar/x.nar\nCompression: none\nNarHash: ${narHash}\nNarSize: ${nar.length}\nReferences: \n${sig}`,
    );
    return serve(dir);
  }

  const evil = '/nix/store/11111111111111111111111111111111-evil';
  const fetchInto = async (cacheUrl: string, path: string, keys?: string[]) => {
    const out = join(env.dir, `out-hostile-${Math.random().toString(36).slice(2)}`);
    return (await client([cacheUrl], keys)).fetchClosure([path], new FsTreeSink(out)).then(() => out);
  };

  it('refuses an unsigned narinfo, naming the path', async () => {
    const c = await fakeCache('unsigned', evil, encodeTestNar({ type: 'regular', contents: 'x' }), { sign: false });
    await expect(fetchInto(c.url, evil)).rejects.toMatchObject({ problem: NixProblem.Unsigned, message: expect.stringContaining(evil) });
  });

  it('refuses a narinfo signed by a key that is not trusted, naming path and key', async () => {
    const other = makeNixEnv('other-key-1');
    try {
      await expect(fetchInto(caches.zstd.served.url, single, [other.publicKey])).rejects.toMatchObject({
        problem: NixProblem.UntrustedKey,
        message: expect.stringMatching(/pw-single.*partwright-test-1.*other-key-1/),
      });
      // The same key name with another key's bytes: the signature does not verify.
      const impostor = `partwright-test-1:${other.publicKey.split(':')[1]}`;
      await expect(fetchInto(caches.zstd.served.url, single, [impostor])).rejects.toMatchObject({ problem: NixProblem.BadSignature, message: expect.stringMatching(/pw-single.*partwright-test-1/) });
    } finally {
      other.cleanup();
    }
  });

  it('refuses a narinfo whose StorePath is not the path asked for (a replayed valid narinfo)', async () => {
    const dir = join(env.dir, 'cache-replay');
    cpSync(caches.zstd.dir, dir, { recursive: true });
    cpSync(join(dir, `${hashPart(app)}.narinfo`), join(dir, `${hashPart(single)}.narinfo`));
    const c = await serve(dir);
    await expect(fetchInto(c.url, single)).rejects.toMatchObject({ problem: NixProblem.StorePathMismatch, message: expect.stringContaining(single) });
  });

  it('refuses a NAR whose bytes do not match NarHash', async () => {
    const dir = join(env.dir, 'cache-badnar');
    cpSync(caches.none.dir, dir, { recursive: true });
    const info = readFileSync(join(dir, `${hashPart(single)}.narinfo`), 'utf8');
    const narFile = join(dir, /^URL: (.*)$/m.exec(info)![1]!);
    const bytes = readFileSync(narFile);
    bytes[bytes.indexOf('single')] = 'S'.charCodeAt(0);
    writeFileSync(narFile, bytes);
    await expect(fetchInto((await serve(dir)).url, single)).rejects.toMatchObject({ problem: NixProblem.NarHashMismatch, message: expect.stringContaining(single) });
  });

  it('refuses truncated downloads: an uncompressed NAR that ends early, a zstd stream cut short', async () => {
    for (const [compression, problem] of [['none', NixProblem.BadNar], ['zstd', NixProblem.Decompress], ['xz', NixProblem.Decompress]] as const) {
      const dir = join(env.dir, `cache-truncated-${compression}`);
      cpSync(caches[compression].dir, dir, { recursive: true });
      const info = readFileSync(join(dir, `${hashPart(lib)}.narinfo`), 'utf8');
      const narFile = join(dir, /^URL: (.*)$/m.exec(info)![1]!);
      const bytes = readFileSync(narFile);
      writeFileSync(narFile, bytes.subarray(0, bytes.length >> 1));
      await expect(fetchInto((await serve(dir)).url, lib), compression).rejects.toMatchObject({ problem, message: expect.stringContaining(lib) });
    }
  });

  it('refuses a signed NAR holding "..", and one that writes through its own symlink', async () => {
    const dotdot: TestNode = { type: 'directory', entries: [['..', { type: 'regular', contents: 'pwned' }]] };
    const c1 = await fakeCache('dotdot', evil, encodeTestNar(dotdot));
    await expect(fetchInto(c1.url, evil)).rejects.toMatchObject({ problem: NixProblem.BadEntryName });
    const through: TestNode = {
      type: 'directory',
      entries: [
        ['etc', { type: 'symlink', target: '/tmp' }],
        ['etc', { type: 'directory', entries: [['pwned', { type: 'regular', contents: 'x' }]] }],
      ],
    };
    const c2 = await fakeCache('through-symlink', evil, encodeTestNar(through));
    await expect(fetchInto(c2.url, evil)).rejects.toMatchObject({ problem: NixProblem.DuplicateEntry });
    expect(() => lstatSync('/tmp/pwned')).toThrow();
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const c = await client([caches.zstd.served.url]);
    await expect(c.fetchClosure([app], new FsTreeSink(join(env.dir, 'aborted')), { signal: ac.signal })).rejects.toMatchObject({ problem: NixProblem.Aborted });
  });
});
