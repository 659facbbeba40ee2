/**
 * decideBaseImage(): Empty= (or --empty=) with a base image, the one decision the CLI and the app's
 * engine make. The images are made by the real sfdisk; the modes follow repart's
 * context_load_partition_table() (checked against systemd-repart 252 in cli/repart-252.test.ts).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../test-support/debian.ts';
import type { ReadSource } from '../disk/sparse-image.ts';
import { decideBaseImage } from './empty-mode.ts';

requireTools('sfdisk');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-empty-mode-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function image(name: string, label: 'gpt' | 'dos' | undefined): { source: ReadSource; name: string } {
  const file = path.join(work, name);
  fs.writeFileSync(file, Buffer.alloc(8 << 20));
  if (label) execFileSync('sfdisk', ['-q', file], { input: `label: ${label}\nstart=2048, size=4096\n` });
  const bytes = new Uint8Array(fs.readFileSync(file));
  return { name, source: { sizeBytes: bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) } };
}

describe('decideBaseImage', () => {
  const gpt = image('gpt.img', 'gpt');
  const mbr = image('mbr.img', 'dos');
  const blank = image('blank.img', undefined);

  it('keeps a GPT by default (refuse) and with allow; force starts over on the image\'s size unless Size= is set', () => {
    expect(decideBaseImage({}, gpt)).toEqual({ keepBase: true });
    expect(decideBaseImage({ empty: 'allow' }, gpt)).toEqual({ keepBase: true });
    expect(decideBaseImage({ empty: 'force' }, gpt)).toEqual({ keepBase: false, sizeBytes: 8 << 20 });
    expect(decideBaseImage({ empty: 'force', sizeBytes: 16 << 20 }, gpt)).toEqual({ keepBase: false });
    expect(decideBaseImage({ empty: 'allow' }, blank)).toEqual({ keepBase: false, sizeBytes: 8 << 20 });
    expect(decideBaseImage({ empty: 'require' }, blank)).toEqual({ keepBase: false, sizeBytes: 8 << 20 });
  });

  it('the given mode (--empty=) overrides the layout\'s Empty=', () => {
    expect(decideBaseImage({ empty: 'refuse' }, gpt, 'force')).toEqual({ keepBase: false, sizeBytes: 8 << 20 });
    expect(() => decideBaseImage({ empty: 'force' }, gpt, 'require')).toThrow(/Disk gpt\.img already has a disk label, refusing/);
  });

  it('refuses as repart does, with a coded error about the base image', () => {
    expect(() => decideBaseImage({}, mbr)).toThrow(/Disk mbr\.img has no GPT disk label, not repartitioning/);
    expect(() => decideBaseImage({ empty: 'allow' }, mbr)).toThrow(/Disk mbr\.img has non-GPT disk label/);
    expect(() => decideBaseImage({ empty: 'create' }, gpt)).toThrow(/--empty=create makes a new image/);
    expect(() => decideBaseImage({ empty: 'refuse' }, undefined)).toThrow(expect.objectContaining({ code: 'base-image', detail: { where: 'base' } }));
    expect(decideBaseImage({ empty: 'create' }, undefined)).toEqual({ keepBase: false });
  });
});
