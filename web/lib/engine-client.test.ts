/**
 * The client's queue, abort and idle rules, against a stand-in worker: a MessageChannel whose far
 * port exposes a fake engine through comlink, exactly as engine.worker.ts does.
 */
import { expose } from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../workers/engine.ts';
import { EngineClient, EngineWorkerError, type EngineWorker } from './engine-client.ts';

const never = new Promise<never>(() => {});

interface FakeWorkers {
  createWorker: () => EngineWorker;
  created: number;
  terminated: number;
  /** The ports of the workers created so far, to fire events on. */
  ports: MessagePort[];
  /** Calls each worker received, in order. */
  calls: string[];
}

/** `partitionTypes` hangs while `hang` is true: a stand-in for a long build. */
function fakeWorkers(options: { hang?: boolean } = {}): FakeWorkers {
  const fake: FakeWorkers = {
    created: 0,
    terminated: 0,
    ports: [],
    calls: [],
    createWorker: () => {
      fake.created++;
      const { port1, port2 } = new MessageChannel();
      const engine = {
        version: () => {
          fake.calls.push('version');
          return { name: 'partwright', version: '0.0.0-test' };
        },
        partitionTypes: () => {
          fake.calls.push('partitionTypes');
          return options.hang ? (never as unknown as []) : [];
        },
      } as Partial<Engine> as Engine;
      expose(engine, port2);
      fake.ports.push(port1);
      return Object.assign(port1, {
        terminate: () => {
          fake.terminated++;
          port1.close();
          port2.close();
        },
      });
    },
  };
  return fake;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EngineClient', () => {
  it('calls the engine in one worker and terminates it when idle', async () => {
    const fake = fakeWorkers();
    const client = new EngineClient({ createWorker: fake.createWorker, idleMs: 30 });
    const signal = new AbortController().signal;

    await expect(client.call('version', [], signal)).resolves.toEqual({ name: 'partwright', version: '0.0.0-test' });
    await expect(client.call('partitionTypes', [], signal)).resolves.toEqual([]);
    expect(fake.created).toBe(1);
    expect(client.hasWorker).toBe(true);

    await sleep(80);
    expect(client.hasWorker).toBe(false);
    expect(fake.terminated).toBe(1);
  });

  it('terminates the worker when a running call is aborted and starts a fresh one next time', async () => {
    const fake = fakeWorkers({ hang: true });
    const client = new EngineClient({ createWorker: fake.createWorker });
    const controller = new AbortController();

    const running = client.call('partitionTypes', [], controller.signal);
    await sleep(20);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.terminated).toBe(1);
    expect(client.hasWorker).toBe(false);

    await expect(client.call('version', [], new AbortController().signal)).resolves.toMatchObject({ name: 'partwright' });
    expect(fake.created).toBe(2);
    client.terminate();
  });

  it('runs calls one at a time and drops a queued call that is aborted', async () => {
    const fake = fakeWorkers({ hang: true });
    const client = new EngineClient({ createWorker: fake.createWorker });
    const first = new AbortController();
    const second = new AbortController();

    const running = client.call('partitionTypes', [], first.signal);
    const queued = client.call('version', [], second.signal);
    await sleep(20);
    expect(fake.calls).toEqual(['partitionTypes']);

    second.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    first.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    await sleep(20);
    expect(fake.calls).toEqual(['partitionTypes']);

    await expect(client.call('version', [], new AbortController().signal)).resolves.toBeDefined();
    expect(fake.calls).toEqual(['partitionTypes', 'version']);
    client.terminate();
  });

  it('rejects an already-aborted call without starting a worker', async () => {
    const fake = fakeWorkers();
    const client = new EngineClient({ createWorker: fake.createWorker });
    await expect(client.call('version', [], AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.created).toBe(0);
  });

  it('fails the call in flight when the worker dies, then recovers', async () => {
    const fake = fakeWorkers({ hang: true });
    const client = new EngineClient({ createWorker: fake.createWorker });
    const signal = new AbortController().signal;

    const running = client.call('partitionTypes', [], signal);
    await sleep(20);
    fake.ports[0]!.dispatchEvent(new Event('error'));
    await expect(running).rejects.toBeInstanceOf(EngineWorkerError);
    expect(fake.terminated).toBe(1);

    await expect(client.call('version', [], signal)).resolves.toBeDefined();
    expect(fake.created).toBe(2);
    client.terminate();
  });
});
