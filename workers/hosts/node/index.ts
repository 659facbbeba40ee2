/**
 * The Node host (the CLI, tests, benches): inputs are files and folders on disk, the image's bytes
 * live in a sparse file beside the output (renamed into the output for raw images), WASM tools are
 * read from wasm/, outputs are files written as NAME.partial and renamed, Nix closures are staged in
 * a scratch folder. Everything else is the job's (workers/build/run-build.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuildHost, BuildJobProgress } from '../../build/run-build.ts';
import type { ByteStore } from '../../disk/byte-store.ts';
import { FileSink, FileStore } from './file.ts';
import { nodeSha256 } from './hash.ts';
import type { OutputHost } from '../../build/write-output.ts';
import { nodeInputs, type NodeInputsOptions } from './inputs.ts';
import { nodeBuildWorkers } from './build-workers.ts';
import { freshPath, makeOwnedTempDir, removeOwned, renameOwned } from './scratch.ts';

export interface NodeHostOptions extends NodeInputsOptions {
  /** Where the image's store file goes (next to the output, so a raw image is renamed, not copied). */
  storePath: string;
  onProgress?(p: BuildJobProgress): void;
  /** Make file systems in worker threads at the same time (default: when there is a spare core). */
  parallel?: boolean;
}

export interface NodeHost extends BuildHost {
  /** Closes what the build opened and removes scratch files (call in `finally`). */
  dispose(): void;
}

/** The output writers (and the zstd thread pool), loaded by the first build that writes a format. */
const lazyOutputs: OutputHost = {
  create: async (name) => (await import('./outputs.ts')).nodeOutputs.create(name),
  writeZstdSeekable: async (image, append) => (await import('./outputs.ts')).nodeOutputs.writeZstdSeekable!(image, append),
};

export function createNodeHost(options: NodeHostOptions): NodeHost {
  const inputs = nodeInputs(options);
  let scratchDir: string | undefined;
  let nixScratch: typeof import('./nix-scratch.ts') | undefined;
  let store: FileStore | undefined;
  // The store file is created exclusively: a path already there (a planted symlink) gets a fresh name.
  let storePath = options.storePath;
  return {
    open: inputs.open,
    openTree: inputs.openTree,
    loadTool: inputs.loadTool,
    createStore() {
      storePath = freshPath(options.storePath);
      store = new FileStore(storePath);
      return store;
    },
    async createNixScratch(i) {
      nixScratch ??= await import('./nix-scratch.ts');
      const dir = (scratchDir ??= makeOwnedTempDir('partwright-build-'));
      return nixScratch.nodeNixScratch(dir, i);
    },
    outputs: lazyOutputs,
    openInPlace: (name) => new FileSink(name, 'r+'),
    adoptStoreAsRaw(s: ByteStore, sizeBytes, name) {
      if (s !== store) return false;
      store.setSize(sizeBytes);
      store.close();
      renameOwned(storePath, name);
      store = undefined;
      return true;
    },
    createSha256: nodeSha256,
    ...(options.parallel !== false && os.availableParallelism() > 1 ? { workers: nodeBuildWorkers() } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    dispose() {
      if (store) {
        store.close();
        removeOwned(storePath);
      }
      if (scratchDir) nixScratch!.removeScratch(scratchDir);
      inputs.dispose();
    },
  };
}
