/**
 * Chromium and Node build the same bytes for squashfs (zstd, xz), erofs, ext4, swap and dm-verity (hash
 * and signature partitions): examples/verity-usr as it is, and a squashfs + erofs + verity + swap layout
 * over its content, each built in a real Web Worker in Debian's Chromium (tools fetched as the app
 * fetches them) and under Node, through buildImageSigned with the same ECDSA P-256 key (RFC 6979
 * signatures; the @cross-host specs sign with RSA); the image digests, partition sizes and root
 * hashes must be equal.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeTool } from '../hosts/node/tools.ts';
import { requireTools } from '../test-support/debian.ts';
import { MKE2FS_WASM_URL } from './mke2fs-module.ts';
import { MKFS_EROFS_WASM_URL } from './mkfs-erofs-module.ts';
import { SHA256_LANES_WASM_URL } from './sha256-lanes.ts';
import { XZ_WASM_URL, ZLIB_WASM_URL } from './squashfs-compressors.ts';
import { ZSTD_WASM_URL } from './zstd.ts';
import { serveWorkerPage, type WorkerPage } from './test-support/worker-page.ts';
import { buildVeritySample, ROFS_VERITY_CONFS, type VeritySampleLayout, type VeritySampleResult } from './test-support/verity-sample.ts';
import { readPlain } from './test-support/plain-tree.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/verity-usr/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pw-verity-browser-'));
let served: WorkerPage | undefined;

beforeAll(async () => {
  requireTools('/usr/bin/chromium', 'openssl');
  served = await serveWorkerPage(new URL('./test-support/verity-browser-worker.ts', import.meta.url), 'verity', {
    'mke2fs.wasm': MKE2FS_WASM_URL, 'mkfs.erofs.wasm': MKFS_EROFS_WASM_URL, 'zstd.wasm': ZSTD_WASM_URL, 'zlib.wasm': ZLIB_WASM_URL, 'xz.wasm': XZ_WASM_URL, 'sha256-lanes.wasm': SHA256_LANES_WASM_URL,
  });
});

afterAll(async () => {
  await served?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('squashfs, erofs, swap and verity in a Chromium Web Worker', () => {
  it('build the same images as under Node: examples/verity-usr and squashfs + erofs + verity + swap', async () => {
    const keyFile = join(work, 'key.pem'), certFile = join(work, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=partwright-cross-host', '-days', '30'], { stdio: 'ignore' });
    const key = { privateKeyPem: readFileSync(keyFile, 'utf8'), certificatePem: readFileSync(certFile, 'utf8') };
    const copySource = readPlain(EXAMPLE, '');
    const layouts: VeritySampleLayout[] = [
      { name: 'examples/verity-usr', confs: readdirSync(EXAMPLE).filter((n) => n.endsWith('.conf')).sort().map((n) => ({ name: n, text: readFileSync(join(EXAMPLE, n), 'utf8') })), copySource },
      { name: 'squashfs + erofs + verity + swap', confs: ROFS_VERITY_CONFS, copySource },
    ];
    const node: VeritySampleResult[] = [];
    for (const l of layouts) node.push(await buildVeritySample(l, loadNodeTool, key));
    // Every layout has its sets, and the signature partitions are there (the digests cover them).
    expect(node.map((r) => r.verity.map((v) => v.matchKey))).toEqual([['usr'], ['root', 'usr']]);
    expect(node[1]!.types).toEqual(['root', 'root-verity', 'root-verity-sig', 'usr', 'usr-verity', 'srv', 'swap']);

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${served!.base}/`);
      const result = await page.evaluate(async (message) => {
        type Reply = { results?: VeritySampleResult[]; error?: string };
        const { Worker } = globalThis as unknown as { Worker: new (url: string, options: { type: 'module' }) => {
          onmessage: (e: { data: Reply }) => void; onerror: (e: { message: string }) => void; postMessage(m: unknown): void;
        } };
        const worker = new Worker('/worker.js', { type: 'module' });
        return new Promise<Reply>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message });
          worker.postMessage(message);
        });
      }, { layouts, key });
      expect(result.error).toBeUndefined();
      expect(result.results).toEqual(node);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
