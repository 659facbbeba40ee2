/**
 * 256 MiB in 3,000 files into erofs: Partwright's build (mkfs.erofs.wasm under its own WASI host,
 * Node, through `partwright build` with Minimize=best) beside native `mkfs.erofs` 1.5 on the same tree
 * in the same run (both single-threaded), uncompressed and lz4hc. Prints time, peak RSS, image sizes
 * and the ratios.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureGnuTime, measure } from './measure.ts';
import { makeRofsTree, ratio, row } from './rofs-tree.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-erofs-'));
ensureGnuTime();
const EPOCH = '1700000000';

function layout(name: string, compression: string | undefined): string {
  const defs = path.join(work, name);
  fs.mkdirSync(defs);
  fs.writeFileSync(path.join(defs, '10-usr.conf'),
    `[Partition]\nType=usr\nFormat=erofs\n${compression ? `Compression=${compression}\n` : ''}Minimize=best\nCopyFiles=/tree:/\n\n[X-Partwright-Disk]\nCopySource=${work}\nSourceDateEpoch=${EPOCH}\n`);
  return defs;
}
const size = (p: string) => fs.statSync(p).size;

makeRofsTree(path.join(work, 'tree'), 256 << 20, 3000);
console.log('erofs, 3,000 files, 256 MiB (half incompressible)');
for (const comp of [undefined, 'lz4hc'] as const) {
  const name = comp ?? 'none';
  const ours = measure(`pw-${name}`, ['node', path.join(root, 'cli/bin/partwright.mjs'), 'build', layout(name, comp), '-o', path.join(work, `pw-${name}.img`)], work);
  const nativeOut = path.join(work, `n-${name}.erofs`);
  const native = measure(`mkfs.erofs-${name}`, ['mkfs.erofs', '--quiet', '-x', '-1', ...(comp ? [`-z${comp}`] : []), nativeOut, path.join(work, 'tree')], work, { ...process.env, SOURCE_DATE_EPOCH: EPOCH });
  console.log(row(`partwright build (${name})`, ours, size(path.join(work, `pw-${name}.img`))));
  console.log(row(`mkfs.erofs ${comp ? `-z${comp}` : '(uncompressed)'}`, native, size(nativeOut)));
  console.log(`ratio partwright/native (${name}): ${ratio(ours, native)}`);
  fs.rmSync(path.join(work, `pw-${name}.img`), { force: true });
  fs.rmSync(nativeOut, { force: true });
}
fs.rmSync(work, { recursive: true, force: true });
