/**
 * Run in its own process by bomb.test.ts: a correctly signed narinfo (NarSize 4096) whose unsigned
 * URL/Compression point at a decompression bomb; fetches it with the client and prints JSON with the
 * outcome, the time taken and how much the process's peak memory grew.
 *   node --import tsx bomb-run.ts zstd|xz|none BOMB_FILE
 */
import { generateKeyPairSync, sign, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NixCacheClient } from '../client.ts';
import { encodeNixBase32 } from '../base32.ts';
import type { NarSink } from '../nar.ts';
import { loadNodeTool } from '../../hosts/node/tools.ts';

const [compression, bombFile] = process.argv.slice(2) as ['zstd' | 'xz' | 'none', string];
const bomb = compression === 'none' ? undefined : new Uint8Array(readFileSync(bombFile));
const storePath = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-bomb';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const x = publicKey.export({ format: 'jwk' }).x!;
const narHash = `sha256:${encodeNixBase32(createHash('sha256').update('x').digest())}`;
const narSize = 4096;
const fingerprint = `1;${storePath};${narHash};${narSize};`;
const sig = `test-1:${sign(null, Buffer.from(fingerprint), privateKey).toString('base64')}`;
const narinfo = `StorePath: ${storePath}\nURL: nar/bomb.nar\nCompression: ${compression}\nNarHash: ${narHash}\nNarSize: ${narSize}\nReferences: \nSig: ${sig}\n`;

function body(): ReadableStream<Uint8Array> {
  if (bomb) return new Response(bomb).body!;
  // 'none': an endless stream of zeros.
  const zeros = new Uint8Array(1 << 20);
  return new ReadableStream({ pull: (c) => c.enqueue(zeros) });
}

const fetchFn = async (url: string) => {
  if (url.endsWith('/nix-cache-info')) return new Response('StoreDir: /nix/store\n');
  if (url.endsWith('.narinfo')) return new Response(narinfo);
  if (url.endsWith('/nar/bomb.nar')) return new Response(body());
  return new Response('', { status: 404 });
};

const sink: NarSink = {
  directory() {},
  symlink() {},
  file: () => ({ write() {}, close() {} }),
};

const client = await NixCacheClient.create({ substituters: ['http://cache.invalid'], trustedPublicKeys: [`test-1:${Buffer.from(x, 'base64url').toString('base64')}`], fetch: fetchFn, loadZstd: () => loadNodeTool('zstd') });
const info = await client.queryPathInfo(storePath);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
let error = '';
try {
  await client.fetchNar(info, sink);
} catch (e) {
  error = `${(e as { problem?: string }).problem ?? ''}: ${(e as Error).message}`;
}
const ms = performance.now() - t0;
const peakGrowthBytes = process.resourceUsage().maxRSS * 1024 - rssBefore;
console.log(JSON.stringify({ ms, peakGrowthBytes, error }));
