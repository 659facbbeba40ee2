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
import { FileSink, FileSource, FileStore } from './file.ts';
import { nodeSha256 } from './hash.ts';
import { nodeNixScratch, removeScratch } from './nix-scratch.ts';
import { nodeOutputs } from './outputs.ts';
import { loadNodeTool } from './tools.ts';
import { readTree } from './tree.ts';
import { freshPath, makeOwnedTempDir, removeOwned, renameOwned } from './scratch.ts';

export interface NodeHostOptions {
  /** The file a layout path names (relative paths, --copy-source …: the caller's rules). */
  resolve(p: string): string;
  /** Where the image's store file goes (next to the output, so a raw image is renamed, not copied). */
  storePath: string;
  /** A file the layout names cannot be read: the caller's error (the CLI's is a usage error). */
  cannotRead?(what: string, file: string): Error;
  onProgress?(p: BuildJobProgress): void;
}

export interface NodeHost extends BuildHost {
  /** Closes what the build opened and removes scratch files (call in `finally`). */
  dispose(): void;
}

export function createNodeHost(options: NodeHostOptions): NodeHost {
  const opened: { close(): void }[] = [];
  let scratchDir: string | undefined;
  let store: FileStore | undefined;
  // The store file is created exclusively: a path already there (a planted symlink) gets a fresh name.
  let storePath = options.storePath;
  return {
    open(p, what) {
      const full = options.resolve(p);
      try {
        const s = new FileSource(full);
        opened.push(s);
        return s;
      } catch {
        throw options.cannotRead?.(what, full) ?? new Error(`${what}: cannot read ${full}`);
      }
    },
    openTree: (p) => readTree(options.resolve(p)),
    createStore() {
      storePath = freshPath(options.storePath);
      store = new FileStore(storePath);
      return store;
    },
    loadTool: async (name) => loadNodeTool(name),
    async createNixScratch(i) {
      const dir = (scratchDir ??= makeOwnedTempDir('partwright-build-'));
      return nodeNixScratch(dir, i);
    },
    outputs: nodeOutputs,
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
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    dispose() {
      if (store) {
        store.close();
        removeOwned(storePath);
      }
      if (scratchDir) removeScratch(scratchDir);
      for (const s of opened.splice(0)) s.close();
    },
  };
}
