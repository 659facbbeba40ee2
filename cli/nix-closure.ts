/**
 * `StorePaths=`: fetch each definition's Nix closures from binary caches (signatures and NAR hashes
 * checked by workers/nix), stage them on disk under a scratch folder as `nix/store/…` plus the
 * `nix-path-registration` that `nix-store --load-db` reads on first boot, and hand them to the
 * build as extra content trees laid at `/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../workers/model/errors.ts';
import type { ImageSpec } from '../workers/model/spec.ts';
import type { TreeCopy } from '../workers/build/input-tree.ts';
import { NixCacheClient, encodeNixPathRegistration } from '../workers/nix/index.ts';
import { FsTreeSink } from './node-nar-sink.ts';
import { readTree } from './node-tree.ts';
import { nodeSha256 } from './node-hash.ts';
import { removeOwned } from './node-scratch.ts';

export interface NixOptions {
  substituters: string[];
  trustedPublicKeys: string[];
  onProgress?: (line: string) => void;
}

/** Stage every definition's closure under `scratchDir`; returns the trees by definition index. */
export async function stageClosures(spec: ImageSpec, options: NixOptions, scratchDir: string): Promise<Record<number, TreeCopy[]>> {
  const wanted = spec.partitions.map((p, i) => ({ i, paths: p.storePaths ?? [] })).filter((x) => x.paths.length > 0);
  if (wanted.length === 0) return {};
  if (options.substituters.length === 0 || options.trustedPublicKeys.length === 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'StorePaths= needs a binary cache: pass --substituter URL and --trusted-public-key NAME:BASE64 (as in nix.conf).');
  }
  const client = await NixCacheClient.create({ substituters: options.substituters, trustedPublicKeys: options.trustedPublicKeys, createSha256: nodeSha256 });
  const out: Record<number, TreeCopy[]> = {};
  for (const { i, paths } of wanted) {
    const root = path.join(scratchDir, `closure-${i}`);
    fs.mkdirSync(root, { recursive: true });
    const sink = new FsTreeSink(root);
    let last = 0;
    const result = await client.fetchClosure(paths, sink, {
      onProgress: (p) => {
        if (options.onProgress && (p.phase === 'done' || Date.now() - last > 1000)) {
          last = Date.now();
          options.onProgress(`nix: ${p.pathsDone}/${p.pathsTotal} paths, ${p.bytesDone}/${p.bytesTotal} bytes`);
        }
      },
    });
    sink.seal();
    const registration = path.join(root, 'nix-path-registration');
    fs.writeFileSync(registration, encodeNixPathRegistration(result.paths), { mode: 0o444 });
    fs.utimesSync(registration, 1, 1);
    const tree = readTree(root, '');
    out[i] = [{ target: '/', entry: tree }];
  }
  return out;
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
