/**
 * The Node host's scratch for `StorePaths=` closures: each staged on disk under a scratch folder as
 * `nix/store/…` plus `nix-path-registration` (workers/build/nix-closure.ts fetches and verifies),
 * read back as a content tree laid at `/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NixScratch } from '../../build/nix-closure.ts';
import { FsTreeSink } from './nar-sink.ts';
import { readTree } from './tree.ts';
import { removeOwned } from './scratch.ts';

/** A closure's scratch folder `scratchDir/closure-N`, removed on close. */
export function nodeNixScratch(scratchDir: string, partitionIndex: number): NixScratch {
  const root = path.join(scratchDir, `closure-${partitionIndex}`);
  fs.mkdirSync(root, { recursive: true });
  const sink = new FsTreeSink(root);
  return {
    sink,
    finish(registration) {
      const file = path.join(root, 'nix-path-registration');
      fs.writeFileSync(file, registration, { mode: 0o444 });
      fs.utimesSync(file, 1, 1);
      sink.seal();
      const tree = readTree(root, '');
      if (tree.kind !== 'dir') throw new Error(`${root} is not a directory`);
      return tree;
    },
    close: () => removeScratch(root),
  };
}

/** Remove a scratch folder that holds read-only store directories. */
export function removeScratch(dir: string): void {
  const unseal = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) return;
    fs.chmodSync(p, 0o755);
    for (const n of fs.readdirSync(p)) unseal(path.join(p, n));
  };
  removeOwned(dir, unseal);
}
