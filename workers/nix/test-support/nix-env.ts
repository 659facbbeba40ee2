/**
 * Real Nix offline, for tests (Debian nix-bin 2.8; FACTS.md "Real Nix offline"): a private
 * NIX_CONF_DIR, a chroot store under a temp dir, a signing key, busybox-built derivations, `nix copy`
 * to file caches, and a 127.0.0.1 HTTP server for a directory. Installs nix-bin/busybox-static
 * when missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';

export function ensureNixInstalled(): void {
  if (existsSync('/usr/bin/nix') && existsSync('/bin/busybox')) return;
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', 'nix-bin', 'busybox-static'], { stdio: 'ignore', env: aptEnv }).status === 0;
  if (install()) return;
  // A fresh machine has no package lists yet.
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env: aptEnv });
  if (!install()) throw new Error('these tests need Debian packages nix-bin and busybox-static (apt-get install nix-bin busybox-static)');
}

export const NIX_CONF = `build-users-group =
sandbox = true
sandbox-paths = /bin/sh=/bin/busybox /bin/busybox
substituters =
experimental-features = nix-command flakes
narinfo-cache-negative-ttl = 0
flake-registry =
`;

export interface NixEnv {
  dir: string;
  confDir: string;
  /** Chroot store root: paths live in `${storeRoot}/nix/store`. */
  storeRoot: string;
  secretKeyFile: string;
  /** `NAME:BASE64` */
  publicKey: string;
  env: NodeJS.ProcessEnv;
  nix(args: string[], input?: string): string;
  /** Build `attr` of the expression file; returns out path(s). */
  build(file: string, attr: string): string;
  /** `nix copy` paths (with their closure) into a new file cache dir. */
  copyToCache(paths: string[], cacheDir: string, compression: 'zstd' | 'xz' | 'none'): void;
  realPath(storePath: string): string;
  cleanup(): void;
}

export function makeNixEnv(keyName = 'partwright-test-1'): NixEnv {
  ensureNixInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'pw-nix-'));
  const confDir = join(dir, 'conf');
  execFileSync('mkdir', ['-p', confDir]);
  writeFileSync(join(confDir, 'nix.conf'), NIX_CONF);
  const env = { ...process.env, NIX_CONF_DIR: confDir, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache-home') };
  const storeRoot = join(dir, 'store');
  const secretKeyFile = join(dir, 'secret-key');
  const publicKeyFile = join(dir, 'public-key');
  execFileSync('nix-store', ['--generate-binary-cache-key', keyName, secretKeyFile, publicKeyFile], { env });
  const nix = (args: string[], input?: string) => {
    const r = spawnSync('nix', args, { env, encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`nix ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    confDir,
    storeRoot,
    secretKeyFile,
    publicKey: readFileSync(publicKeyFile, 'utf8').trim(),
    env,
    nix,
    build(file, attr) {
      const out = JSON.parse(nix(['build', '--store', storeRoot, '-f', file, attr, '--no-link', '--json'])) as Array<{ outputs: { out: string } }>;
      return out[0]!.outputs.out;
    },
    copyToCache(paths, cacheDir, compression) {
      nix(['copy', '--store', storeRoot, '--to', `file://${cacheDir}?compression=${compression}&secret-key=${secretKeyFile}`, ...paths]);
    },
    realPath(storePath) {
      return join(storeRoot, storePath);
    },
    cleanup() {
      // The store is read-only (0555 directories); root can remove it anyway, others need chmod.
      spawnSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Tiny derivations built by busybox, no nixpkgs. */
export function writeTestExpression(dir: string, extra = ''): string {
  const file = join(dir, 'test.nix');
  writeFileSync(
    file,
    `let
  bb = "/bin/busybox";
  mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = bb; args = [ "sh" "-c" script ]; };
in rec {
  lib = mk "pw-lib" ''
    \${bb} mkdir -p $out/share/a/b $out/share/empty
    echo hello > $out/share/a/b/f.txt
    printf 'x%.0s' \$(\${bb} seq 1 3000) > $out/share/a/big.txt
    printf '#!/bin/sh\\necho hi\\n' > $out/run
    \${bb} chmod +x $out/run
    \${bb} ln -s share/a $out/link
    \${bb} ln -s /nonexistent/target $out/dangling
    : > $out/share/zero-length
  '';
  app = mk "pw-app" ''
    \${bb} mkdir -p $out/bin
    echo \${lib} > $out/bin/dep
    \${bb} ln -s \${lib}/run $out/bin/run
    echo $out > $out/self
  '';
  single = mk "pw-single" "echo single > $out";
  ${extra}
}
`,
  );
  return file;
}

export interface ServedDir {
  url: string;
  /** Requests seen, by path. */
  requests: string[];
  close(): Promise<void>;
}

/** Serve `root` read-only over HTTP on 127.0.0.1 (a binary cache as a static server would). */
export async function serveDirectory(root: string): Promise<ServedDir> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

