/**
 * The layout model's invariant (issue 15): whatever the repart.d importer accepts saves to layout
 * JSON (and a share link, web/lib/share-link.fuzz.test.ts) and reopens as the same spec; anything that would not is refused by the
 * importer with file:line. The four layouts the app used to accept but could not reopen, then the
 * invariant as a property over generated directories (fast-check; seeds printed).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRepartDirectory, type ConfFile } from './repart-conf/import.ts';
import { readLayoutJson, stringifyLayoutJson } from './layout-json.ts';
import { exportRepartDirectory } from './repart-conf/export.ts';
import { isPartwrightError } from './errors.ts';
import { planImage } from '../plan/plan-image.ts';
import { fuzzAssert, fuzzOptions, fuzzTimeoutMs } from '../test-support/fuzz.ts';
import { cloudInitJsonArbitrary, confDirectoryArbitrary } from '../test-support/fuzz-arbitraries.ts';
import { validateSpec } from '../plan/validate.ts';

const errors = (files: ConfFile[]) => parseRepartDirectory(files).diagnostics.filter((d) => d.severity === 'error');

describe('layouts the importer accepted but could not reopen are refused with file:line', () => {
  it('BaseImageInPlace= without BaseImage=', () => {
    const e = errors([{ name: '10-root.conf', text: '[Partition]\nType=root\n\n[X-Partwright-Disk]\nBaseImageInPlace=yes\n' }]);
    expect(e).toEqual([expect.objectContaining({ file: '10-root.conf', line: 5, message: expect.stringContaining('needs BaseImage=') })]);
  });

  it('a control character in BaseImage=', () => {
    const e = errors([{ name: '10-root.conf', text: '[Partition]\nType=root\n[X-Partwright-Disk]\nBaseImage=base\x01.img\n' }]);
    expect(e).toEqual([expect.objectContaining({ file: '10-root.conf', line: 4, message: expect.stringContaining('BaseImage=') })]);
  });

  it('a newline inside a CopyFiles= value (C escape)', () => {
    const e = errors([{ name: '20-data.conf', text: '[Partition]\nType=linux-generic\nCopyFiles=/a\\nb:/c\n' }]);
    expect(e).toEqual([expect.objectContaining({ file: '20-data.conf', line: 3, message: expect.stringContaining('CopyFiles=') })]);
  });

  it('260 definitions (layout JSON holds 256)', () => {
    const files = Array.from({ length: 260 }, (_, i) => ({ name: `${String(i).padStart(3, '0')}.conf`, text: '[Partition]\nType=linux-generic\n' }));
    const e = errors(files);
    expect(e).toEqual([expect.objectContaining({ file: '256.conf', line: 1, message: expect.stringContaining('at most 256') })]);
  });
});

describe('invariant: accepted ⇒ layout JSON reopens it identically (share links: web/lib/share-link.fuzz.test.ts)', () => {
  it('holds for generated repart.d directories (import → layout JSON → plan → export → import)', () => {
    const stats = { accepted: 0, planned: 0, cloudInit: 0, cloudInitProblems: 0 };
    fuzzAssert(
      fc.property(confDirectoryArbitrary(), (files) => {
        const r = parseRepartDirectory(files);
        const errs = r.diagnostics.filter((d) => d.severity === 'error');
        // Every error says where: a file name and, for a line-level problem, its line.
        for (const d of errs) expect(files.some((f) => f.name === d.file || f.name.endsWith(`/${d.file}`))).toBe(true);
        if (errs.length) return;
        const text = stringifyLayoutJson(r.spec);
        const reread = readLayoutJson(text);
        expect(reread.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(stringifyLayoutJson(reread.spec!)).toBe(text);
        stats.accepted++;
        if (reread.spec!.cloudInit) stats.cloudInit++;
        // What the importer lets through with a warning (a hash without User=, Partition= naming no
        // vfat partition) the engine's validation reports at the field.
        if (validateSpec(reread.spec!).some((p) => p.where.startsWith('cloudInit.'))) stats.cloudInitProblems++;
        // plan: a table or a coded refusal, never an exception.
        try {
          planImage(reread.spec!, { sizeBytes: 'auto' });
          stats.planned++;
        } catch (e) {
          if (!isPartwrightError(e)) throw e;
        }
        // export to repart.d and import again: the same layout.
        const again = parseRepartDirectory(exportRepartDirectory(reread.spec!));
        expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(stringifyLayoutJson(again.spec)).toBe(text);
      }),
      fuzzOptions('repart.d import → layout JSON → plan → export → import', 300),
    );
    console.log(`  accepted ${stats.accepted}, of which planned ${stats.planned}, with [X-Partwright-CloudInit] ${stats.cloudInit} (${stats.cloudInitProblems} with problems the build refuses)`);
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.cloudInit).toBeGreaterThan(0);
    expect(stats.cloudInitProblems).toBeGreaterThan(0);
    expect(stats.cloudInitProblems).toBeLessThan(stats.cloudInit);
  }, fuzzTimeoutMs());

  // The reverse ("layouts the app accepts but cannot reopen"): whatever layout JSON (and so the app
  // and a share link) accepts in spec.cloudInit exports to .conf files the importer accepts, and they
  // reopen as the same layout; cross-field problems are warnings there, problems in validate().
  it('holds for generated layout JSON with [X-Partwright-CloudInit] (layout JSON → export → import)', () => {
    const stats = { accepted: 0, refused: 0, problems: 0 };
    fuzzAssert(
      fc.property(confDirectoryArbitrary(), cloudInitJsonArbitrary(), (files, cloudInit) => {
        const r = parseRepartDirectory(files);
        if (r.diagnostics.some((d) => d.severity === 'error')) return;
        const json = JSON.parse(stringifyLayoutJson(r.spec)) as Record<string, unknown>;
        json.cloudInit = cloudInit;
        const read = readLayoutJson(JSON.stringify(json));
        if (read.diagnostics.some((d) => d.severity === 'error')) {
          stats.refused++;
          return;
        }
        stats.accepted++;
        const text = stringifyLayoutJson(read.spec!);
        expect(stringifyLayoutJson(readLayoutJson(text).spec!)).toBe(text);
        const again = parseRepartDirectory(exportRepartDirectory(read.spec!));
        expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(stringifyLayoutJson(again.spec)).toBe(text);
        // The importer warns about each problem validate() reports for the section, at a file.
        const problems = validateSpec(read.spec!).filter((p) => p.where.startsWith('cloudInit.'));
        if (problems.length) stats.problems++;
        const warned = again.diagnostics.filter((d) => d.severity === 'warning' && d.message.includes('A build refuses this layout'));
        expect(warned).toHaveLength(problems.length);
        problems.forEach((p, i) => expect(warned[i]!.message).toContain(p.message));
      }),
      fuzzOptions('layout JSON with [X-Partwright-CloudInit] → export → import', 300),
    );
    console.log(`  layout JSON accepted ${stats.accepted} (${stats.problems} with cloud-init problems), refused ${stats.refused}`);
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.problems).toBeGreaterThan(0);
  }, fuzzTimeoutMs());
});
