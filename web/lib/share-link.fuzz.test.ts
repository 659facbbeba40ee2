/**
 * Share links under fuzzing: (1) every layout the repart.d importer accepts survives a link and
 * reopens identically (the layout model's invariant, issue 15); (2) hostile link values — random
 * text, mutated real links, deflated junk — give one-line refusals, never exceptions.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRepartDirectory } from '../../workers/model/repart-conf/import.ts';
import { readLayoutJson, stringifyLayoutJson } from '../../workers/model/layout-json.ts';
import { cloudInitJsonArbitrary, confDirectoryArbitrary } from '../../workers/test-support/fuzz-arbitraries.ts';
import { fuzzAssert, fuzzOptions, fuzzTimeoutMs } from '../../workers/test-support/fuzz.ts';
import { decodeShareValue, encodeShareFragment, shareValue } from './share-link.ts';

async function rawLink(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const out = new Uint8Array(await new Response(stream).arrayBuffer());
  return btoa(String.fromCharCode(...out)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

describe('share links under fuzzing', () => {
  it('an accepted import reopens identically from its share link', async () => {
    await fuzzAssert(
      fc.asyncProperty(confDirectoryArbitrary(), async (files) => {
        const r = parseRepartDirectory(files);
        if (r.diagnostics.some((d) => d.severity === 'error')) return;
        const text = stringifyLayoutJson(r.spec);
        const link = await decodeShareValue(shareValue(await encodeShareFragment(r.spec))!);
        expect(link.ok ? stringifyLayoutJson(link.spec) : link.message).toBe(text);
      }),
      fuzzOptions('import → share link', 200),
    );
  }, fuzzTimeoutMs());

  it('a layout JSON accepts with [X-Partwright-CloudInit] (problems included) reopens identically from its share link', async () => {
    let accepted = 0;
    await fuzzAssert(
      fc.asyncProperty(confDirectoryArbitrary(), cloudInitJsonArbitrary(), async (files, cloudInit) => {
        const r = parseRepartDirectory(files);
        if (r.diagnostics.some((d) => d.severity === 'error')) return;
        const read = readLayoutJson(JSON.stringify({ ...JSON.parse(stringifyLayoutJson(r.spec)), cloudInit }));
        if (!read.spec || read.diagnostics.some((d) => d.severity === 'error')) return;
        accepted++;
        const text = stringifyLayoutJson(read.spec);
        const link = await decodeShareValue(shareValue(await encodeShareFragment(read.spec))!);
        expect(link.ok ? stringifyLayoutJson(link.spec) : link.message).toBe(text);
      }),
      fuzzOptions('layout JSON with cloud-init → share link', 200),
    );
    expect(accepted).toBeGreaterThan(0);
  }, fuzzTimeoutMs());

  it('hostile values give a one-line refusal', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json().chain((j) => fc.constant(j)).map((j) => ({ raw: j })),
      fc.constantFrom('{"table":"gpt","partitions":[],"a\\nb":1}', '{"table":"gpt","partitions":[{"type":"root","label":"x\\ny"}]}', '{"partitions":[', '\u2028{}').map((j) => ({ raw: j })),
    );
    await fuzzAssert(
      fc.asyncProperty(value, async (v) => {
        const link = typeof v === 'string' ? v : await rawLink(new TextEncoder().encode(v.raw));
        const r = await decodeShareValue(link);
        if (!r.ok) expect(r.message).not.toMatch(/[\n\r\u2028\u2029]/);
      }),
      fuzzOptions('share link values', 300),
    );
  }, fuzzTimeoutMs());
});
