import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, decodePath, startStaticServer, type RunningServer } from './static.ts';

const SECRET = 'outside-the-root';
const INDEX = '<!doctype html><title>Partwright</title>';

let tempDir: string;
let server: RunningServer;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalise `/../` away). */
function get(path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'partwright-static-'));
  const root = join(tempDir, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(tempDir, 'package.json'), SECRET);
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-DdzVKHNq.js'), 'export {};');
  await writeFile(join(root, 'assets', 'engine.worker-CkNUgZtl.mjs'), 'export {};');
  await writeFile(join(root, 'assets', 'mke2fs-0a1b2c3d.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await writeFile(join(root, 'assets', 'index-DZHDJ18U.css'), 'body{}');
  await writeFile(join(root, 'manifest.webmanifest'), '{}');
  await writeFile(join(root, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  await writeFile(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(root, 'blob.bin'), 'x');
  await symlink(join(tempDir, 'package.json'), join(root, 'escape.txt'));
  server = await startStaticServer({ rootDir: root, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(tempDir, { recursive: true, force: true });
});

describe('static server', () => {
  it('listens on 127.0.0.1 on a free port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it.each([
    ['/', 'text/html; charset=utf-8'],
    ['/assets/index-DdzVKHNq.js', 'text/javascript; charset=utf-8'],
    ['/assets/engine.worker-CkNUgZtl.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/mke2fs-0a1b2c3d.wasm', 'application/wasm'],
    ['/assets/index-DZHDJ18U.css', 'text/css; charset=utf-8'],
    ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
    ['/favicon.svg', 'image/svg+xml'],
    ['/blob.bin', 'application/octet-stream'],
  ])('serves %s as %s', async (path, type) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends cross-origin isolation headers on every response', async () => {
    for (const path of ['/', '/assets/index-DdzVKHNq.js', '/missing.js', '/healthz', '/../package.json']) {
      const res = await get(path);
      expect(res.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
    }
  });

  it('caches hashed assets for good and revalidates everything else', async () => {
    expect((await get('/assets/index-DdzVKHNq.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/')).headers['cache-control']).toBe('no-cache');
    expect((await get('/manifest.webmanifest')).headers['cache-control']).toBe('no-cache');
    expect((await get('/some/route')).headers['cache-control']).toBe('no-cache');
  });

  it('never lets the service worker script be cached as immutable', async () => {
    const res = await get('/sw.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('sends a Content-Security-Policy for the production build on every response', async () => {
    for (const path of ['/', '/assets/index-DdzVKHNq.js', '/assets/engine.worker-CkNUgZtl.mjs', '/sw.js', '/missing.js', '/../package.json']) {
      expect((await get(path)).headers['content-security-policy'], path).toBe(contentSecurityPolicy());
    }
    const directives = new Map(
      contentSecurityPolicy().split('; ').map((d) => {
        const [name, ...values] = d.split(' ');
        return [name!, values] as const;
      }),
    );
    // Scripts and workers from this origin only; WASM compiles, eval does not.
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('worker-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('img-src')).toContain('blob:');
    expect(directives.get('connect-src')).toEqual(["'self'", 'data:', 'blob:', 'https://cache.nixos.org']);
    expect(contentSecurityPolicy().includes("'unsafe-eval'")).toBe(false);
  });

  it('allows the configured binary caches in connect-src, by origin', () => {
    const csp = contentSecurityPolicy(['https://cache.example.org/nix/', 'http://127.0.0.1:8080/nix/cache', 'https://cache.example.org']);
    expect(csp).toContain("connect-src 'self' data: blob: https://cache.example.org http://127.0.0.1:8080;");
    expect(contentSecurityPolicy([])).toContain("connect-src 'self' data: blob:;");
  });

  it('answers app routes with index.html', async () => {
    for (const path of ['/layouts/rpi-nixos', '/editor', '/index.html?x=1', '/assets']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(INDEX);
    }
  });

  it('gives 404 for missing files instead of the app', async () => {
    for (const path of ['/missing.js', '/assets/index-old.js', '/assets/gone', '/logo.png']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
    }
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/..%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/..%5cpackage.json',
    '/%00index.html',
    '/%E0%A4%A',
  ])('refuses %s', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain(SECRET);
  });

  it('does not follow a symlink out of the root', async () => {
    const res = await get('/escape.txt');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(SECRET);
  });

  it('reports health as JSON', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', name: 'partwright' });
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(INDEX.length));
    expect(head.body).toBe('');
    const post = await get('/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('mounted handlers', () => {
  it('lets a handler (the Nix job API) answer first and falls back to the app', async () => {
    const mounted = await startStaticServer({
      rootDir: join(tempDir, 'dist'),
      port: 0,
      before: async (req, res) => {
        if (!req.url?.startsWith('/nix/')) return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"mounted":true}');
        return true;
      },
    });
    try {
      expect(await (await fetch(`${mounted.url}nix/installables`)).json()).toEqual({ mounted: true });
      const app = await fetch(`${mounted.url}some/app/route`);
      expect(app.headers.get('content-type')).toContain('text/html');
      // Read the body: closing the server mid-stream would log a premature close.
      expect(await app.text()).toBe(INDEX);
    } finally {
      await mounted.close();
    }
  });
});

describe('decodePath', () => {
  it('decodes ordinary paths and rejects escapes', () => {
    expect(decodePath('/a%20b/c.js')).toBe('/a b/c.js');
    expect(decodePath('/a/..')).toBeUndefined();
    expect(decodePath('/a/%2e%2e/b')).toBeUndefined();
    expect(decodePath('relative')).toBeUndefined();
    expect(decodePath('/%')).toBeUndefined();
  });
});
