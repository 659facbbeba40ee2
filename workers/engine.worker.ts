/**
 * The Web Worker entry point: it only exposes the engine. All logic lives in engine.ts, so the same
 * engine runs in the CLI and in tests without a worker; web/lib/engine-client.ts is the other end.
 */
import { expose } from 'comlink';
import { engine } from './engine.ts';

expose(engine);
