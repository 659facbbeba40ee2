/**
 * A live check that the engine worker runs: asks it who it is and which partition types it knows.
 * Runes state in a class (STYLE.md §9); the component only renders it.
 */
import type { EngineVersion, PartitionType } from '../../workers/engine.ts';
import { engineClient, type EngineClient } from './engine-client.ts';

export type ProbeStatus = 'loading' | 'ready' | 'failed';

export class EngineProbe {
  status = $state<ProbeStatus>('loading');
  version = $state.raw<EngineVersion | undefined>(undefined);
  partitionTypes = $state.raw<readonly PartitionType[]>([]);
  /** How long the worker took to answer both calls, including starting it. */
  elapsedMs = $state<number | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  readonly #client: EngineClient;

  constructor(client: EngineClient = engineClient) {
    this.#client = client;
  }

  async load(signal: AbortSignal): Promise<void> {
    this.status = 'loading';
    this.error = undefined;
    const started = performance.now();
    try {
      const version = await this.#client.call('version', [], signal);
      const partitionTypes = await this.#client.call('partitionTypes', [], signal);
      this.version = version;
      this.partitionTypes = partitionTypes;
      this.elapsedMs = performance.now() - started;
      this.status = 'ready';
    } catch (error) {
      if (signal.aborted) return;
      this.error = error instanceof Error ? error.message : String(error);
      this.status = 'failed';
    }
  }
}
