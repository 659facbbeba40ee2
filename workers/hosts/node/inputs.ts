/**
 * The Node host's inputs: files and folders on disk that a layout names, and the WASM tools from
 * wasm/ (compiled only when asked for). `partwright plan` needs only these; createNodeHost (index.ts)
 * adds the image store, outputs and Nix scratch for a build.
 */
import type { BuildHost } from '../../build/run-build.ts';
import { FileSource } from './file.ts';
import { readTree } from './tree.ts';

export interface NodeInputsOptions {
  /** The file a layout path names (relative paths, --copy-source …: the caller's rules). */
  resolve(p: string): string;
  /** A file the layout names cannot be read: the caller's error (the CLI's is a usage error). */
  cannotRead?(what: string, file: string): Error;
}

export type NodeInputs = Pick<BuildHost, 'open' | 'openTree' | 'loadTool'> & {
  /** Closes the files opened (call in `finally`). */
  dispose(): void;
};

export function nodeInputs(options: NodeInputsOptions): NodeInputs {
  const opened: { close(): void }[] = [];
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
    // The compilers of the tools load with the first tool a layout needs.
    loadTool: async (name) => (await import('./tools.ts')).loadNodeTool(name),
    dispose() {
      for (const s of opened.splice(0)) s.close();
    },
  };
}
