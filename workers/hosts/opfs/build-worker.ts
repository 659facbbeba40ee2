/**
 * A nested worker of a browser build (build-workers.ts): it compresses squashfs blocks
 * (build/squashfs-workers.ts) with the WASM module it is sent.
 */
import { serveSquashfsBlocks } from '../../build/squashfs-workers.ts';

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
};

serveSquashfsBlocks({ postMessage: (m, transfer) => scope.postMessage(m, transfer ?? []), onMessage: (listener) => scope.addEventListener('message', (e) => listener(e.data)) });
