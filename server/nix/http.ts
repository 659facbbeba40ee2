/**
 * The job server's HTTP API on 127.0.0.1, and the binary cache it fills, with CORS for the app:
 *
 *   GET  /nix/installables            → { installables: string[], publicKey?: 'NAME:BASE64' }
 *   POST /nix/jobs  {installable}     → 202 { job } (200 when the same job is already queued/running)
 *                                       401 without the token, 400 not allowlisted, 429 queue full
 *   GET  /nix/jobs/:id                → { job }
 *   GET  /nix/jobs/:id/log            → the log as it grows: text/plain (chunked), or Server-Sent
 *                                       Events (`log`, `state`) with `Accept: text/event-stream`;
 *                                       ends when the job is finished
 *   POST /nix/jobs/:id/cancel         → { job } (token)
 *   GET  /nix/cache/…                 → the signed zstd file cache (nix-cache-info, *.narinfo, nar/*)
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NixJobService, QueueFullError, UnknownInstallableError, type JobEvent } from './job-service.ts';
import { TERMINAL_STATES, type Job } from './job-store.ts';

export interface NixJobServerOptions {
  service: NixJobService;
  /** 0 picks a free port. Always bound to 127.0.0.1. */
  port: number;
  /** `Access-Control-Allow-Origin` (default `*`: the cache is public, submitting needs the token). */
  corsOrigin?: string;
}

export interface RunningNixJobServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4096;
const CACHE_PREFIX = '/nix/cache/';
const JOB_ROUTE = /^\/nix\/jobs\/([0-9a-f-]{36})(\/log|\/cancel)?$/;

function cors(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
    // The app is cross-origin isolated (COEP require-corp): let it embed these responses.
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

function tokenMatches(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export type NixJobHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * The API and cache as a request handler for another server (the app's, so `npm start` serves both
 * on one port): answers paths under `/nix/` and resolves true, leaves the rest alone (false).
 */
/**
 * The cache's `NAME:BASE64` public key from its secret key file (`NAME:BASE64` of the 64-byte
 * Ed25519 secret key, whose second half is the public key), so the app served beside it can offer it.
 */
export function cachePublicKey(secretKeyFile: string): string | undefined {
  try {
    const text = readFileSync(secretKeyFile, 'utf8').trim();
    const colon = text.indexOf(':');
    const secret = Buffer.from(text.slice(colon + 1), 'base64');
    if (colon <= 0 || secret.length !== 64) return undefined;
    return `${text.slice(0, colon)}:${secret.subarray(32).toString('base64')}`;
  } catch {
    return undefined;
  }
}

export function createNixJobHandler(options: Omit<NixJobServerOptions, 'port'>): NixJobHandler {
  const { service } = options;
  const origin = options.corsOrigin ?? '*';
  const cacheRoot = resolve(service.config.cacheDir);
  const common = cors(origin);
  const publicKey = cachePublicKey(service.config.secretKeyFile);

  const streamLog = (req: IncomingMessage, res: ServerResponse, job: Job) => {
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, { ...common, 'Content-Type': sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    let lastSeq = 0;
    const send = (e: JobEvent) => {
      if (e.kind === 'log') {
        if (e.chunk.seq <= lastSeq) return;
        lastSeq = e.chunk.seq;
        res.write(sse ? `id: ${e.chunk.seq}\nevent: log\ndata: ${JSON.stringify(e.chunk.text)}\n\n` : e.chunk.text);
      } else if (sse) {
        res.write(`event: state\ndata: ${JSON.stringify(e.job)}\n\n`);
      }
    };
    // Subscribe first, then replay what is stored, so nothing falls between the two.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      off();
      res.end();
    };
    const off = service.subscribe(job.id, (e) => {
      send(e);
      if (e.kind === 'state' && TERMINAL_STATES.includes(e.job.state)) {
        for (const chunk of service.logsAfter(job.id, lastSeq)) send({ kind: 'log', chunk });
        finish();
      }
    });
    res.on('close', finish);
    const afterSeq = Number(req.headers['last-event-id'] ?? 0) || 0;
    lastSeq = afterSeq;
    for (const chunk of service.logsAfter(job.id, afterSeq)) send({ kind: 'log', chunk });
    const now = service.get(job.id)!;
    if (sse) send({ kind: 'state', job: now });
    if (TERMINAL_STATES.includes(now.state)) finish();
  };

  const serveCache = async (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    const rel = pathname.slice(CACHE_PREFIX.length);
    const file = resolve(join(cacheRoot, rel));
    if (rel.split('/').some((p) => p === '' || p === '..' || p.startsWith('.')) || !file.startsWith(cacheRoot + sep)) {
      return sendJson(res, 404, { error: 'not found' }, common);
    }
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return sendJson(res, 404, { error: 'not found' }, common);
    const type = rel.endsWith('.narinfo') ? 'text/x-nix-narinfo' : rel === 'nix-cache-info' ? 'text/x-nix-cache-info' : 'application/octet-stream';
    // NARs and narinfos are named by hash: they never change once written.
    const cacheControl = rel === 'nix-cache-info' ? 'no-cache' : 'public, max-age=3600';
    res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': cacheControl });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(file), res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, common);
      return res.end();
    }
    if (path.startsWith(CACHE_PREFIX) && (method === 'GET' || method === 'HEAD')) return serveCache(req, res, path);
    if (path === '/nix/installables' && method === 'GET') return sendJson(res, 200, { installables: service.installables(), ...(publicKey ? { publicKey } : {}) }, common);
    if (path === '/nix/jobs' && method === 'GET') return sendJson(res, 200, { jobs: service.list() }, common);
    if (path === '/nix/jobs' && method === 'POST') {
      if (!tokenMatches(req, service.config.submitToken)) return sendJson(res, 401, { error: 'a valid Bearer token is needed to submit jobs' }, { ...common, 'WWW-Authenticate': 'Bearer' });
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (e) {
        return sendJson(res, 400, { error: `the body must be JSON {"installable": ID}: ${(e as Error).message}` }, common);
      }
      const installable = (body as { installable?: unknown } | null)?.installable;
      if (typeof installable !== 'string' || Object.keys(body as object).length !== 1) {
        return sendJson(res, 400, { error: 'the body must be exactly {"installable": ID}; Nix expressions are not accepted' }, common);
      }
      try {
        const { job, created } = service.submit(installable);
        return sendJson(res, created ? 202 : 200, { job }, { ...common, Location: `/nix/jobs/${job.id}` });
      } catch (e) {
        if (e instanceof UnknownInstallableError) return sendJson(res, 400, { error: e.message }, common);
        if (e instanceof QueueFullError) return sendJson(res, 429, { error: e.message }, { ...common, 'Retry-After': '30' });
        throw e;
      }
    }
    const m = JOB_ROUTE.exec(path);
    if (m) {
      const job = service.get(m[1]!);
      if (!job) return sendJson(res, 404, { error: 'no such job' }, common);
      if (!m[2] && method === 'GET') return sendJson(res, 200, { job }, common);
      if (m[2] === '/log' && method === 'GET') return streamLog(req, res, job);
      if (m[2] === '/cancel' && method === 'POST') {
        if (!tokenMatches(req, service.config.submitToken)) return sendJson(res, 401, { error: 'a valid Bearer token is needed to cancel jobs' }, { ...common, 'WWW-Authenticate': 'Bearer' });
        return sendJson(res, 200, { job: service.cancel(job.id) }, common);
      }
      return sendJson(res, 405, { error: 'method not allowed' }, common);
    }
    return sendJson(res, 404, { error: 'not found' }, common);
  };

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path !== '/nix' && !path.startsWith('/nix/')) return false;
    try {
      await handle(req, res);
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { error: (e as Error).message }, common);
      else res.destroy();
    }
    return true;
  };
}

/** The API and cache on their own 127.0.0.1 port. */
export async function startNixJobServer(options: NixJobServerOptions): Promise<RunningNixJobServer> {
  const handler = createNixJobHandler(options);
  const server: Server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) sendJson(res, 404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
