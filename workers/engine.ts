/**
 * The engine's public API: what the web app calls through comlink (web/lib/engine-client.ts) and what
 * the CLI and server tests call directly. A hand-written object, not a class, so `typeof engine` is the
 * contract and adding an operation is one method here (STYLE.md §7). Every method takes and returns
 * structured-clone-safe data; expected outcomes come back as results, not as thrown errors.
 */
import pkg from '../package.json' with { type: 'json' };
import { PARTITION_TYPES, type PartitionType } from './model/partition-types.ts';

export interface EngineVersion {
  /** The package name, `partwright`. */
  readonly name: string;
  /** The package version, e.g. `0.1.0`. */
  readonly version: string;
}

export const engine = {
  /** Which engine answers: lets a host check that the worker it talks to is the one it was built with. */
  version(): EngineVersion {
    return { name: pkg.name, version: pkg.version };
  },

  /** Every GPT partition type the engine knows by name (systemd-repart's table). */
  partitionTypes(): readonly PartitionType[] {
    return PARTITION_TYPES;
  },
};

export type Engine = typeof engine;
export type { PartitionType };
