/**
 * Saved layouts in IndexedDB (idb-keyval): several named layouts as layout JSON text, which one is
 * open, and the files staged for each (blob sources), as Blobs. A write that fails (quota, private
 * mode) rejects and leaves what was saved before untouched: IndexedDB writes are transactions.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

/** The part of idb-keyval the store uses; tests pass a Map-backed stand-in. */
export interface KeyValueBackend {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export function idbBackend(store: UseStore = createStore('partwright', 'layouts')): KeyValueBackend {
  return {
    get: <T>(key: string) => get<T>(key, store),
    set: (key, value) => set(key, value, store),
    del: (key) => del(key, store),
    keys: async () => (await keys(store)).map(String),
  };
}

export interface SavedLayout {
  name: string;
  /** Layout JSON text (stringifyLayoutJson). */
  json: string;
  savedAt: number;
}

const LAYOUT = 'layout:';
const FILE = 'file:';
const CURRENT = 'current';
/** The engine preset (workers/model/presets) a layout was started from: its boot installation and files. */
const PRESET = 'preset:';

export const MAX_LAYOUT_NAME = 64;

/** A trimmed, single-line name, or undefined when nothing usable is left. */
export function cleanLayoutName(name: string): string | undefined {
  const cleaned = name.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, MAX_LAYOUT_NAME);
  return cleaned === '' ? undefined : cleaned;
}

export class LayoutStore {
  readonly #kv: KeyValueBackend;

  constructor(kv: KeyValueBackend) {
    this.#kv = kv;
  }

  async names(): Promise<string[]> {
    return (await this.#kv.keys())
      .filter((k) => k.startsWith(LAYOUT))
      .map((k) => k.slice(LAYOUT.length))
      .sort((a, b) => a.localeCompare(b));
  }

  async load(name: string): Promise<SavedLayout | undefined> {
    return this.#kv.get<SavedLayout>(LAYOUT + name);
  }

  async save(name: string, json: string): Promise<void> {
    await this.#kv.set(LAYOUT + name, { name, json, savedAt: Date.now() } satisfies SavedLayout);
  }

  async remove(name: string): Promise<void> {
    await this.#kv.del(LAYOUT + name);
    await this.#kv.del(PRESET + name);
    for (const k of await this.#kv.keys()) if (k.startsWith(`${FILE}${name}\u0000`)) await this.#kv.del(k);
  }

  async current(): Promise<string | undefined> {
    return this.#kv.get<string>(CURRENT);
  }

  async setCurrent(name: string): Promise<void> {
    await this.#kv.set(CURRENT, name);
  }

  /** A name not used yet: `base`, `base-2`, `base-3`… */
  async freeName(base: string): Promise<string> {
    const taken = new Set(await this.names());
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  /** The preset a layout builds with (its name), or undefined for a plain layout. */
  async preset(layout: string): Promise<string | undefined> {
    return this.#kv.get<string>(PRESET + layout);
  }

  async savePreset(layout: string, preset: string | undefined): Promise<void> {
    if (preset === undefined) await this.#kv.del(PRESET + layout);
    else await this.#kv.set(PRESET + layout, preset);
  }

  async saveFile(layout: string, path: string, file: Blob): Promise<void> {
    await this.#kv.set(`${FILE}${layout}\u0000${path}`, file);
  }

  async removeFile(layout: string, path: string): Promise<void> {
    await this.#kv.del(`${FILE}${layout}\u0000${path}`);
  }

  /** Files staged for a layout, by path. */
  async files(layout: string): Promise<Record<string, File>> {
    const out: Record<string, File> = {};
    const prefix = `${FILE}${layout}\u0000`;
    for (const k of await this.#kv.keys()) {
      if (!k.startsWith(prefix)) continue;
      const blob = await this.#kv.get<Blob>(k);
      const path = k.slice(prefix.length);
      if (blob) out[path] = blob instanceof File ? blob : new File([blob], path.split('/').pop() ?? path);
    }
    return out;
  }
}

/** A storage error in words: what happened and that the last saved copy is intact. */
export function describeSaveError(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  if (name === 'QuotaExceededError') return 'Not saved: the browser storage for this site is full. The last saved copy is kept; free space (delete old layouts or builds) and edit again.';
  const message = error instanceof Error ? error.message : String(error);
  return `Not saved: ${message}. The last saved copy is kept.`;
}
