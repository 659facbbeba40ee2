/**
 * Share links: the layout (never file contents) as compact layout JSON, deflate-raw compressed with
 * the browser's CompressionStream, base64url, in the URL fragment: `#layout=…`. The fragment never
 * reaches a server. Reading treats the link as hostile: length caps before and after inflating (a
 * small link must not expand into megabytes), then the strict layout JSON reader, where any
 * diagnostic, even an "unknown key" warning, refuses the link.
 */
import { formatDiagnostic } from '../../workers/model/diagnostics.ts';
import { readLayoutJson, stringifyLayoutJson } from '../../workers/model/layout-json.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';

export const SHARE_PARAM = 'layout';
/** Longest fragment value read; a real layout needs a few hundred characters. */
export const MAX_SHARE_CHARS = 32_768;
/** Longest layout JSON a link may inflate to. */
export const MAX_SHARE_JSON_BYTES = 256 * 1024;

export type ShareRead = { ok: true; spec: ImageSpec } | { ok: false; message: string };

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates, giving up (undefined) past `limit` bytes or on corrupt data. */
async function inflate(bytes: Uint8Array, limit: number): Promise<Uint8Array | 'too-large' | undefined> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        return 'too-large';
      }
      parts.push(value);
    }
  } catch {
    return undefined;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The compact JSON a link carries (same key order as layout files). */
export function compactLayoutJson(spec: ImageSpec): string {
  return JSON.stringify(JSON.parse(stringifyLayoutJson(spec)));
}

/** `layout=…` (without the `#`). */
export async function encodeShareFragment(spec: ImageSpec): Promise<string> {
  const json = new TextEncoder().encode(compactLayoutJson(spec));
  return `${SHARE_PARAM}=${toBase64Url(await deflate(json))}`;
}

/** The value of `layout=` in a fragment (`#layout=…` or `layout=…`), or undefined when there is none. */
export function shareValue(hash: string): string | undefined {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq) === SHARE_PARAM) return part.slice(eq + 1);
  }
  return undefined;
}

/** Reads a `layout=` value; any problem is a message and no spec. */
export async function decodeShareValue(value: string): Promise<ShareRead> {
  // One line, whatever the link holds (keys and JSON errors quote its text): control characters become spaces.
  const bad = (why: string): ShareRead => ({ ok: false, message: `This share link cannot be opened: ${why.replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ')}. Nothing was changed.` });
  if (value.length > MAX_SHARE_CHARS) return bad(`it is too long (${value.length} characters, at most ${MAX_SHARE_CHARS})`);
  const bytes = fromBase64Url(value);
  if (!bytes || bytes.length === 0) return bad('it is not valid base64url (was it cut off when copied?)');
  const json = await inflate(bytes, MAX_SHARE_JSON_BYTES);
  if (json === 'too-large') return bad(`its layout is larger than ${MAX_SHARE_JSON_BYTES / 1024} KiB`);
  if (json === undefined) return bad('its data is not a compressed layout (was it cut off when copied?)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    return bad('its layout is not UTF-8 text');
  }
  const read = readLayoutJson(text, 'link');
  const first = read.diagnostics[0];
  if (first || !read.spec) {
    const more = read.diagnostics.length > 1 ? ` (and ${read.diagnostics.length - 1} more)` : '';
    return bad(`${first ? formatDiagnostic(first) : 'the layout is empty'}${more}`);
  }
  return { ok: true, spec: read.spec };
}
