/**
 * The browser worker's host: inputs are the files the app staged (Blobs read in slices, CopyFiles=
 * trees staged in OPFS), the image's bytes live in a compact OPFS store, WASM tools are fetched,
 * outputs are OPFS files the page downloads, Nix closures go to an OPFS pack file. Everything else
 * is the job's (workers/build/run-build.ts).
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { STORE_MTIME_SECONDS, type StoreTreeFile } from '../../nix/index.ts';
import type { BuildHost, BuildJobProgress } from '../../build/run-build.ts';
import type { BuildWorkers } from '../../build/parallel-filesystems.ts';
import { opfsBuildWorkers } from './build-workers.ts';
import type { InputEntry } from '../../build/input-tree.ts';
import type { ReadSource } from '../../disk/sparse-image.ts';
import { fetchWasmTool, toolCache } from '../../tools/wasm-tools.ts';
import { BUILD_FILE_PREFIX, removeOldBuilds, type OpfsBlob } from './files.ts';
import { opfsOutputs } from './image.ts';
import { OpfsNarSink, removeNixScratch } from './nar-sink.ts';
import { OpfsStore } from './store.ts';
import { readBlobSync } from './tree.ts';

/** A staged file read lazily in slices (FileReaderSync), never whole. */
export function blobSource(blob: OpfsBlob): ReadSource {
  return { sizeBytes: blob.size, read: (offsetBytes, target) => readBlobSync(blob, offsetBytes, target) };
}

function textFile(name: string, text: string): StoreTreeFile {
  const bytes = new TextEncoder().encode(text);
  return { kind: 'file', name, mode: 0o444, mtimeSeconds: STORE_MTIME_SECONDS, sizeBytes: bytes.length, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) };
}

/** Tools are fetched and compiled once per worker. */
const loadTool = toolCache(fetchWasmTool);

export interface OpfsHostOptions {
  /** Files the layout names (blob sources, CopyBlocks=, BaseImage=, boot files), by the path as the layout writes it. */
  files: Record<string, OpfsBlob>;
  /** CopyFiles= sources staged by the app (readStagedTrees), by source path. */
  trees: Map<string, InputEntry>;
  onProgress?(p: BuildJobProgress): void;
  /**
   * Nested workers for the build (build-workers.ts; the default where this scope can start workers):
   * squashfs blocks compressed on every core, and file systems made at once where the browser can
   * share the store; or `false`: everything in this worker, one after another.
   */
  workers?: BuildWorkers | false;
}

export interface OpfsHost extends BuildHost {
  /** The compact store this build wrote (after runBuild: its file name and chunk map). */
  readonly store: OpfsStore | undefined;
  /** The base of every OPFS file name this build makes (`build-…`). */
  readonly baseName: string;
  /**
   * Why this build makes its file systems one after another in this worker rather than in build
   * workers at once (after createStore; undefined when it can share them out).
   */
  readonly oneAtATime: string | undefined;
}

let buildCounter = 0;

/** A host for one build (earlier builds' files are removed when its store is created). */
export function createOpfsHost(options: OpfsHostOptions): OpfsHost {
  const baseName = `${BUILD_FILE_PREFIX}${Date.now()}-${++buildCounter}`;
  let store: OpfsStore | undefined;
  let nixCleared = false;
  const workers = options.workers === false ? undefined : (options.workers ?? opfsBuildWorkers());
  return {
    ...(workers ? { workers } : {}),
    baseName,
    get store() {
      return store;
    },
    get oneAtATime() {
      if (options.workers === false) return 'build workers are turned off for this build';
      if (!workers) return 'this browser cannot start workers from the engine\'s worker, or has one core';
      return store?.unshared;
    },
    open(path, what) {
      const blob = options.files[path];
      if (!blob) throw new PartwrightError(ErrorCode.Io, `The file ${path} for ${what} is missing: choose it in the layout's inputs before building.`, { where: path });
      return blobSource(blob);
    },
    openTree(path, what) {
      const tree = options.trees.get(path);
      if (tree) return tree;
      // A single file the app holds as a Blob (a preset's boot file) is a tree of one file.
      const blob = options.files[path];
      if (blob) return { kind: 'file', name: path.slice(path.lastIndexOf('/') + 1), sizeBytes: blob.size, read: blobSource(blob).read, ref: blob };
      throw new PartwrightError(ErrorCode.Io, `The contents ${path} for ${what} are missing: add them to the partition before building.`, { where: path });
    },
    async createStore() {
      await removeOldBuilds();
      store = await OpfsStore.create(`${baseName}.store`);
      return store;
    },
    loadTool,
    async createNixScratch() {
      if (!nixCleared) await removeNixScratch();
      nixCleared = true;
      const sink = await OpfsNarSink.create();
      return {
        sink,
        finish(registration) {
          sink.root.children.push(textFile('nix-path-registration', registration));
          return sink.root;
        },
        close: () => sink.close(),
      };
    },
    outputs: opfsOutputs,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}
