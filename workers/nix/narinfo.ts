/**
 * `nix-cache-info` and `<hash>.narinfo`: line-based `Key: value` files
 * (nix/src/libstore/nar-info.cc, binary-cache-store.cc). Unknown keys are ignored, as Nix does.
 */
import { decodeNixBase32, encodeNixBase32 } from './base32.ts';
import { NixError, NixProblem } from './errors.ts';
import { NIX_STORE_DIR, parseStorePath, parseStorePathBase } from './store-path.ts';

export interface NixCacheInfo {
  storeDir: string;
  wantMassQuery: boolean;
  /** Lower is preferred (Nix's default for caches is 50). */
  priority: number | undefined;
}

export type NarCompression = 'none' | 'zstd' | 'xz' | 'bzip2' | 'br' | 'gzip' | 'lz4' | 'lzip';

export interface NarInfo {
  storePath: string;
  /** Relative (to the cache) or absolute URL of the compressed NAR. */
  url: string;
  compression: NarCompression;
  fileHash: string | undefined;
  fileSizeBytes: number | undefined;
  /** SHA-256 of the uncompressed NAR. */
  narHash: Uint8Array;
  narSizeBytes: number;
  /** Full store paths, in the order the narinfo lists them. */
  references: string[];
  /** Full `.drv` path, or undefined. */
  deriver: string | undefined;
  /** `NAME:BASE64` signatures, in order. */
  signatures: string[];
  ca: string | undefined;
}

function parseLines(text: string, what: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const colon = line.indexOf(': ');
    if (colon <= 0) throw new NixError(NixProblem.BadNarInfo, `${what} line ${i + 1} is not "Key: value": ${JSON.stringify(line.slice(0, 80))}`);
    out.push([line.slice(0, colon), line.slice(colon + 2)]);
  }
  return out;
}

function parseCount(value: string, key: string, what: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new NixError(NixProblem.BadNarInfo, `${what}: ${key} "${value}" is not a byte count.`);
  return Number(value);
}

export function parseNixCacheInfo(text: string, cacheUrl = 'cache'): NixCacheInfo {
  const what = `${cacheUrl}/nix-cache-info`;
  let storeDir: string | undefined;
  let wantMassQuery = false;
  let priority: number | undefined;
  for (const [key, value] of parseLines(text, what)) {
    if (key === 'StoreDir') storeDir = value;
    else if (key === 'WantMassQuery') wantMassQuery = value === '1';
    else if (key === 'Priority') priority = parseCount(value, key, what);
  }
  if (storeDir === undefined) throw new NixError(NixProblem.BadNarInfo, `${what} has no StoreDir.`);
  return { storeDir, wantMassQuery, priority };
}

/** Parse `sha256:<base-32>`, `sha256:<hex>` or `sha256-<base64>` (SRI) into 32 bytes. */
export function parseSha256(text: string, what: string): Uint8Array {
  if (text.startsWith('sha256:')) {
    const v = text.slice('sha256:'.length);
    if (v.length === 52) return decodeNixBase32(v, 32);
    if (/^[0-9a-f]{64}$/.test(v)) return Uint8Array.from(v.match(/../g)!, (h) => parseInt(h, 16));
  } else if (text.startsWith('sha256-')) {
    const bytes = decodeBase64(text.slice('sha256-'.length), what);
    if (bytes.length === 32) return bytes;
  }
  throw new NixError(NixProblem.BadNarInfo, `${what}: "${text}" is not a SHA-256 hash (sha256:<base-32>).`);
}

/** `sha256:<base-32>`, the form Nix prints and signs. */
export function formatSha256(hash: Uint8Array): string {
  return `sha256:${encodeNixBase32(hash)}`;
}

export function decodeBase64(text: string, what: string): Uint8Array {
  let bin: string;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error('bad characters');
    bin = atob(text);
  } catch {
    throw new NixError(NixProblem.BadNarInfo, `${what}: "${text}" is not base64.`);
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const COMPRESSIONS: readonly NarCompression[] = ['none', 'zstd', 'xz', 'bzip2', 'br', 'gzip', 'lz4', 'lzip'];

/**
 * Parse a narinfo. `StorePath`, `URL`, `NarHash`, `NarSize` are required (nar-info.cc); a missing
 * `Compression` means bzip2, as in Nix.
 */
export function parseNarInfo(text: string, what = 'narinfo'): NarInfo {
  const fields = new Map<string, string>();
  const signatures: string[] = [];
  for (const [key, value] of parseLines(text, what)) {
    if (key === 'Sig') signatures.push(value);
    else if (fields.has(key)) throw new NixError(NixProblem.BadNarInfo, `${what} has ${key} twice.`);
    else fields.set(key, value);
  }
  const need = (key: string): string => {
    const v = fields.get(key);
    if (v === undefined) throw new NixError(NixProblem.BadNarInfo, `${what} has no ${key}.`);
    return v;
  };
  const storePath = need('StorePath');
  parseStorePath(storePath);
  const url = need('URL');
  const compressionText = fields.get('Compression') ?? 'bzip2';
  if (!(COMPRESSIONS as readonly string[]).includes(compressionText)) {
    throw new NixError(NixProblem.UnsupportedCompression, `${what} (${storePath}): unknown Compression "${compressionText}".`, { storePath });
  }
  const refsText = fields.get('References') ?? '';
  const references = refsText === '' ? [] : refsText.split(' ').map((base) => {
    parseStorePathBase(base);
    return `${NIX_STORE_DIR}/${base}`;
  });
  const deriverText = fields.get('Deriver');
  let deriver: string | undefined;
  if (deriverText !== undefined && deriverText !== '' && deriverText !== 'unknown-deriver') {
    parseStorePathBase(deriverText);
    deriver = `${NIX_STORE_DIR}/${deriverText}`;
  }
  const fileSizeText = fields.get('FileSize');
  return {
    storePath,
    url,
    compression: compressionText as NarCompression,
    fileHash: fields.get('FileHash'),
    fileSizeBytes: fileSizeText === undefined ? undefined : parseCount(fileSizeText, 'FileSize', what),
    narHash: parseSha256(need('NarHash'), `${what} NarHash`),
    narSizeBytes: parseCount(need('NarSize'), 'NarSize', what),
    references,
    deriver,
    signatures,
    ca: fields.get('CA'),
  };
}

/**
 * What a narinfo signature signs (nix/src/libstore/path-info.cc `fingerprint`):
 * `1;<storePath>;sha256:<base-32 NarHash>;<NarSize>;<full reference paths, comma-separated>`, the
 * references sorted (Nix keeps them in a `std::set`).
 */
export function narInfoFingerprint(info: Pick<NarInfo, 'storePath' | 'narHash' | 'narSizeBytes' | 'references'>): string {
  return `1;${info.storePath};${formatSha256(info.narHash)};${info.narSizeBytes};${[...info.references].sort().join(',')}`;
}
