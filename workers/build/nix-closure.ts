/**
 * `StorePaths=` in the worker: each definition's Nix closure fetched from binary caches (signatures
 * and NAR hashes checked by workers/nix) into memory, with the `/nix-path-registration` that
 * `nix-store --load-db` reads on first boot, as extra content trees laid at `/` (the CLI's
 * cli/nix-closure.ts stages the same on disk).
 *
 * Memory bound: file bytes go to an OPFS pack file as they arrive (OpfsNarSink) and are read back
 * lazily while the file system is written, so the worker holds only the tree's nodes; the caller
 * closes the staged closures (deleting the pack) after the build.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec } from '../model/spec.ts';
import { NixCacheClient, STORE_MTIME_SECONDS, encodeNixPathRegistration, type ClosureProgress, type StoreTreeFile } from '../nix/index.ts';
import type { TreeCopy } from './input-tree.ts';
import { OpfsNarSink, removeNixScratch } from './opfs-nar-sink.ts';

export interface NixCacheSettings {
  /** Cache base URLs (`substituters`), tried in order. */
  substituters: string[];
  /** `NAME:BASE64` (`trusted-public-keys`). */
  trustedPublicKeys: string[];
}

export interface StageClosureOptions {
  signal?: AbortSignal;
  onProgress?: (p: ClosureProgress & { partitionIndex: number }) => void;
}

export function storePathsOf(spec: ImageSpec): string[] {
  return [...new Set(spec.partitions.flatMap((p) => p.storePaths ?? []))];
}

export function needsCaches(settings: NixCacheSettings | undefined): NixCacheSettings {
  if (!settings || settings.substituters.length === 0 || settings.trustedPublicKeys.length === 0) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'StorePaths= needs a binary cache: set the Nix substituters and trusted public keys (NAME:BASE64) before building.');
  }
  return settings;
}

function textFile(name: string, text: string): StoreTreeFile {
  const bytes = new TextEncoder().encode(text);
  return {
    kind: 'file',
    name,
    mode: 0o444,
    mtimeSeconds: STORE_MTIME_SECONDS,
    sizeBytes: bytes.length,
    read(offsetBytes, target) {
      target.set(bytes.subarray(offsetBytes, offsetBytes + target.length));
    },
  };
}

export interface StagedClosures {
  /** By definition index (BuildOptions.extraTrees). */
  trees: Record<number, TreeCopy[]>;
  /** Delete the OPFS scratch behind the trees (after the build has read them). */
  close(): Promise<void>;
}

/** Fetch every definition's closure into OPFS scratch (earlier builds' scratch removed first). */
export async function stageNixClosures(spec: ImageSpec, settings: NixCacheSettings | undefined, options: StageClosureOptions = {}): Promise<StagedClosures> {
  const wanted = spec.partitions.map((p, i) => ({ i, paths: p.storePaths ?? [] })).filter((x) => x.paths.length > 0);
  if (wanted.length === 0) return { trees: {}, close: async () => {} };
  const client = await NixCacheClient.create(needsCaches(settings));
  await removeNixScratch();
  const sinks: OpfsNarSink[] = [];
  const close = async () => {
    for (const sink of sinks) await sink.close();
  };
  const trees: Record<number, TreeCopy[]> = {};
  try {
    for (const { i, paths } of wanted) {
      const sink = await OpfsNarSink.create();
      sinks.push(sink);
      const result = await client.fetchClosure(paths, sink, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => options.onProgress?.({ ...p, partitionIndex: i }),
      });
      sink.root.children.push(textFile('nix-path-registration', encodeNixPathRegistration(result.paths)));
      trees[i] = [{ target: '/', entry: sink.root }];
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
