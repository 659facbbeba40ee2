import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, zipStored } from './zip.ts';

describe('zipStored', () => {
  it('computes the ZIP CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes an archive that Python\'s zipfile reads back', () => {
    const enc = new TextEncoder();
    const zip = zipStored([
      { name: 'repart.d/10-esp.conf', data: enc.encode('[Partition]\nType=esp\n') },
      { name: 'repart.d/20-root.conf', data: enc.encode('[Partition]\nType=root\n') },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'pw-zip-'));
    const file = join(dir, 'x.zip');
    writeFileSync(file, zip);
    const script = 'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps({n: z.read(n).decode() for n in z.namelist()}))';
    const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as Record<string, string>;
    expect(out).toEqual({ 'repart.d/10-esp.conf': '[Partition]\nType=esp\n', 'repart.d/20-root.conf': '[Partition]\nType=root\n' });
  });
});
