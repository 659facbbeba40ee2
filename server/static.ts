/**
 * Serves the built web app (dist/web) with the headers it needs: a Content-Security-Policy and
 * cross-origin isolation on every response (for SharedArrayBuffer later), long caching for Vite's content-hashed assets, no caching
 * for the rest, `index.html` for app routes, and nothing outside the root directory.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pkg from '../package.json' with { type: 'json' };

/** By file extension; anything else is served as bytes. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.conf': 'text/plain; charset=utf-8',
};

/** Nix binary caches the app may fetch from when no other list is given (workers/nix/client.ts). */
export const DEFAULT_BINARY_CACHES: readonly string[] = ['https://cache.nixos.org'];

/**
 * The Content-Security-Policy for the production build: scripts and workers only from this origin
 * (Vite emits no inline script), `wasm-unsafe-eval` so the worker can compile the WASM tools,
 * `unsafe-inline` styles only (Svelte writes `style` attributes), `blob:` for images and downloads
 * made from blobs, and `connect-src` for this origin, its own data:/blob: URLs and the configured
 * binary caches.
 */
export function contentSecurityPolicy(binaryCaches: readonly string[] = DEFAULT_BINARY_CACHES): string {
  const caches = binaryCaches.map((url) => new URL(url).origin);
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "manifest-src 'self'",
    // data: for the example contents Vite inlines into the bundle (presets fetch them), blob: for
    // files the page reads back through object URLs.
    `connect-src ${["'self'", 'data:', 'blob:', ...new Set(caches)].join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The service worker's script: browsers must see a new deploy at once. */
const SERVICE_WORKER_PATH = '/sw.js';

/** Sent with every response. */
const COMMON_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** Vite writes content-hashed files (`index-DdzVKHNq.js`) under `assets/`: their bytes never change. */
const HASHED_PREFIX = '/assets/';
const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html, the manifest and icons must be revalidated so a deploy is picked up at once. */
const CACHE_REVALIDATE = 'no-cache';

export interface StaticServerOptions {
  /** The directory to serve (dist/web). */
  rootDir: string;
  /** 0 picks any free port. */
  port: number;
  /** Default 127.0.0.1: the app is for this machine unless someone chooses otherwise. */
  host?: string;
  /** Tried first for every request (e.g. the Nix job API under /nix/); true when it answered. */
  before?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Nix binary caches the app fetches from (allowed in CSP connect-src); default DEFAULT_BINARY_CACHES. */
  binaryCaches?: readonly string[];
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startStaticServer(options: StaticServerOptions): Promise<RunningServer> {
  const rootDir = await realpath(resolve(options.rootDir));
  const host = options.host ?? '127.0.0.1';
  const csp = contentSecurityPolicy(options.binaryCaches);
  const server = createServer((req, res) => {
    const answer = async () => {
      if (options.before && (await options.before(req, res))) return;
      res.setHeader('Content-Security-Policy', csp);
      await handle(rootDir, req, res);
    };
    answer().catch((error: unknown) => {
      // The client went away mid-file (a closed tab, a cancelled download): nothing to report.
      if ((error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal server error\n');
      else res.destroy();
      console.error(error);
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

async function handle(rootDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    return;
  }
  const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
  const urlPath = decodePath(rawPath);
  if (urlPath === undefined) {
    send(res, 400, 'text/plain; charset=utf-8', 'Bad request path\n');
    return;
  }

  if (urlPath === '/healthz') {
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, MIME_TYPES['.json']!, `${JSON.stringify({ status: 'ok', name: pkg.name, version: pkg.version })}\n`);
    return;
  }

  const file = await findFile(rootDir, urlPath);
  if (file !== undefined) {
    // sw.js is never cached as immutable, wherever a build puts it: a deploy must reach the browser.
    const cache = urlPath === SERVICE_WORKER_PATH || !urlPath.startsWith(HASHED_PREFIX) ? CACHE_REVALIDATE : CACHE_IMMUTABLE;
    await sendFile(req, res, file.path, file.sizeBytes, cache);
    return;
  }

  // App routes (`/layouts/rpi`) get the app; a missing file (`/x.js`, `/assets/…`) is a real 404.
  const lastSegment = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  if (urlPath.startsWith(HASHED_PREFIX) || lastSegment.includes('.')) {
    send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
    return;
  }
  const index = await findFile(rootDir, '/index.html');
  if (index === undefined) {
    send(res, 404, 'text/plain; charset=utf-8', 'index.html is missing: build the app first (npx vite build)\n');
    return;
  }
  await sendFile(req, res, index.path, index.sizeBytes, CACHE_REVALIDATE);
}

/**
 * The percent-decoded path, or undefined when it is malformed or tries to leave the root: any `..`
 * segment (however encoded), a backslash (a separator on Windows) or a NUL byte.
 */
export function decodePath(rawPath: string): string | undefined {
  if (!rawPath.startsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (decoded.split('/').some((segment) => segment === '..')) return undefined;
  return decoded;
}

async function findFile(rootDir: string, urlPath: string): Promise<{ path: string; sizeBytes: number } | undefined> {
  const relative = urlPath === '/' ? 'index.html' : urlPath.slice(1);
  const candidate = join(rootDir, relative);
  try {
    // Resolve symlinks too: the file that is read must be inside the root, not only its name.
    const real = await realpath(candidate);
    if (!real.startsWith(rootDir + sep)) return undefined;
    const info = await stat(real);
    return info.isFile() ? { path: real, sizeBytes: info.size } : undefined;
  } catch {
    return undefined;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  sizeBytes: number,
  cacheControl: string,
): Promise<void> {
  res.statusCode = 200;
  setCommonHeaders(res);
  res.setHeader('Content-Type', MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Content-Length', sizeBytes);
  res.setHeader('Cache-Control', cacheControl);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(path), res);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  setCommonHeaders(res);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function setCommonHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
}
