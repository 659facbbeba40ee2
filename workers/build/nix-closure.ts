/**
 * `StorePaths=` for every host: each definition's Nix closure fetched from binary caches
 * (signatures and NAR hashes checked by workers/nix) into the host's scratch (Node: a folder; the
 * browser: an OPFS pack file, workers/hosts/opfs/nar-sink.ts), with the `/nix-path-registration`
 * that `nix-store --load-db` reads on first boot, as extra content trees laid at `/`. File bytes are
 * read back lazily while the file system is written; the caller closes the staged closures (removing
 * the scratch) after the build.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import { NixCacheClient, encodeNixPathRegistration, type ClosureProgress, type IncrementalHash, type NarSink, type ZstdLoader } from '../nix/index.ts';
import type { InputDir, TreeCopy } from './input-tree.ts';

export interface NixCacheSettings {
  /** Cache base URLs (`substituters`), tried in order. */
  substituters: string[];
  /** `NAME:BASE64` (`trusted-public-keys`). */
  trustedPublicKeys: string[];
}

/** Where a host stages one closure: a NAR sink, then the staged tree with the registration file added. */
export interface NixScratch {
  readonly sink: NarSink;
  /** The closure as a tree laid at `/`, with `nix-path-registration` holding `registration`. */
  finish(registration: string): InputDir;
  /** Remove the scratch (after the build has read the tree). */
  close(): void | Promise<void>;
}

export interface StageClosureOptions {
  signal?: AbortSignal;
  onProgress?: (p: ClosureProgress & { partitionIndex: number }) => void;
  createSha256?: () => IncrementalHash;
  /** The host's compiled zstd.wasm (zstd-compressed NARs). */
  loadZstd?: ZstdLoader;
}

export function needsCaches(settings: NixCacheSettings | undefined): NixCacheSettings {
  if (!settings || settings.substituters.length === 0 || settings.trustedPublicKeys.length === 0) {
    throw new PartwrightError(
      ErrorCode.InvalidSpec,
      'StorePaths= needs a binary cache: give its substituter URLs and trusted public keys (NAME:BASE64, as in nix.conf) — --substituter and --trusted-public-key on the command line, the Nix settings in the app.',
    );
  }
  return settings;
}

export interface StagedClosures {
  /** By definition index (BuildOptions.extraTrees). */
  trees: Record<number, TreeCopy[]>;
  /** Remove the scratch behind the trees (after the build has read them). */
  close(): Promise<void>;
}

/** Fetch every definition's closure into the host's scratch. */
export async function stageNixClosures(
  spec: ImageSpec,
  settings: NixCacheSettings | undefined,
  createScratch: (partitionIndex: number) => Promise<NixScratch>,
  options: StageClosureOptions = {},
): Promise<StagedClosures> {
  const wanted = spec.partitions.map((p, i) => ({ i, paths: p.storePaths ?? [] })).filter((x) => x.paths.length > 0);
  if (wanted.length === 0) return { trees: {}, close: async () => {} };
  const client = await NixCacheClient.create({
    ...needsCaches(settings),
    ...(options.createSha256 ? { createSha256: options.createSha256 } : {}),
    ...(options.loadZstd ? { loadZstd: options.loadZstd } : {}),
  });
  const scratches: NixScratch[] = [];
  const close = async () => {
    for (const s of scratches) await s.close();
  };
  const trees: Record<number, TreeCopy[]> = {};
  try {
    for (const { i, paths } of wanted) {
      const scratch = await createScratch(i);
      scratches.push(scratch);
      const result = await client.fetchClosure(paths, scratch.sink, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => options.onProgress?.({ ...p, partitionIndex: i }),
      });
      trees[i] = [{ target: '/', entry: scratch.finish(encodeNixPathRegistration(result.paths)) }];
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { trees, close };
}

export type StorePathStatus =
  | { storePath: string; state: 'found'; cacheUrl: string; signedBy: string }
  | { storePath: string; state: 'missing' }
  | { storePath: string; state: 'error'; message: string };

/** Where each store path is (the first cache that has it), before building. */
export async function lookUpStorePaths(paths: readonly string[], settings: NixCacheSettings | undefined, signal?: AbortSignal): Promise<StorePathStatus[]> {
  const client = await NixCacheClient.create(needsCaches(settings));
  return Promise.all(
    paths.map(async (storePath): Promise<StorePathStatus> => {
      try {
        const info = await client.findPathInfo(storePath, signal);
        return info ? { storePath, state: 'found', cacheUrl: info.cacheUrl, signedBy: info.signedBy } : { storePath, state: 'missing' };
      } catch (e) {
        return { storePath, state: 'error', message: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}
