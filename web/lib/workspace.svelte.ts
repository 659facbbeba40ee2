/**
 * The named layouts saved in this browser and autosave: which layout is open, the list of names, and
 * the quiet "saved" state. Every change to the open document is written (debounced) as layout JSON;
 * a failed write is shown and never replaces what was saved before.
 */
import { parseLayoutJson, stringifyLayoutJson } from '../../workers/model/layout-json.ts';
import { presetByName } from '../../workers/model/presets/index.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';
import type { LayoutDocument } from './layout-document.svelte.ts';
import { cleanLayoutName, describeSaveError, LayoutStore } from './layout-store.ts';
import { ContentsStore, type FileToStage, type TrashedFile } from './contents-store.ts';

export type SaveStatus = 'loading' | 'saved' | 'saving' | 'error';

/**
 * The latest change, written synchronously (localStorage) the moment it is made: IndexedDB writes are
 * asynchronous and a reload right after an edit would lose it. Opening a layout prefers a newer journal.
 */
const JOURNAL_KEY = 'partwright:journal';

interface Journal {
  name: string;
  json: string;
}

function readJournal(): Journal | undefined {
  try {
    const text = globalThis.localStorage?.getItem(JOURNAL_KEY);
    const j = text ? (JSON.parse(text) as Partial<Journal>) : undefined;
    return typeof j?.name === 'string' && typeof j.json === 'string' ? { name: j.name, json: j.json } : undefined;
  } catch {
    return undefined;
  }
}

function writeJournal(j: Journal | undefined): void {
  try {
    if (j) globalThis.localStorage?.setItem(JOURNAL_KEY, JSON.stringify(j));
    else globalThis.localStorage?.removeItem(JOURNAL_KEY);
  } catch {
    // No localStorage (quota, privacy mode): the debounced IndexedDB save still runs.
  }
}

export class Workspace {
  names = $state.raw<string[]>([]);
  status = $state<SaveStatus>('loading');
  error = $state<string | undefined>(undefined);
  /** Set once the stored layout is loaded: autosave waits for it so it never overwrites unread work. */
  ready = $state(false);

  readonly store: LayoutStore;
  readonly doc: LayoutDocument;
  readonly contents: ContentsStore | undefined;
  #lastSaved = new Map<string, string>();

  constructor(store: LayoutStore, doc: LayoutDocument, contents?: ContentsStore) {
    this.store = store;
    this.doc = doc;
    this.contents = contents;
    // Undo/redo of a file removal or replacement: the stored copies follow the document.
    doc.onFilesRestored = (before, after) => void this.#syncFiles(before, after);
    doc.onHistoryMoved = (done) => void this.#reloadContents(done);
  }

  /** After Undo/Redo: what is staged, read again from OPFS once the step's effect has run. */
  async #reloadContents(done: Promise<void>): Promise<void> {
    const layout = this.doc.name;
    try {
      await done;
      const contents = await this.contents?.load(layout);
      if (contents && this.doc.name === layout) this.doc.contents = contents;
    } catch (e) {
      this.status = 'error';
      this.error = `${describeSaveError(e)} (staged contents could not be restored)`;
    }
  }

  async #syncFiles(before: Record<string, File>, after: Record<string, File>): Promise<void> {
    const layout = this.doc.name;
    try {
      for (const [path, file] of Object.entries(after)) if (before[path] !== file) await this.store.saveFile(layout, path, file);
      for (const path of Object.keys(before)) if (!(path in after)) await this.store.removeFile(layout, path);
    } catch (e) {
      this.status = 'error';
      this.error = describeSaveError(e);
    }
  }

  /** Opens the layout that was open last time, or `fallback` as a new one. */
  async open(fallback: () => { name: string; spec: ImageSpec; files?: Record<string, File> }): Promise<void> {
    try {
      this.names = await this.store.names();
      const current = await this.store.current();
      const name = current !== undefined && this.names.includes(current) ? current : this.names[0];
      if (name !== undefined && (await this.#load(name))) return;
      const first = fallback();
      await this.create(first.name, first.spec, first.files);
    } catch (e) {
      this.status = 'error';
      this.error = describeSaveError(e);
      const first = fallback();
      this.doc.name = first.name;
      this.doc.replace(first.spec);
    } finally {
      this.ready = true;
    }
  }

  async #load(name: string): Promise<boolean> {
    const stored = await this.store.load(name);
    if (!stored) return false;
    // A change made just before the page went away is in the journal, not yet in IndexedDB.
    const journal = readJournal();
    const newer = journal?.name === name && journal.json !== stored.json ? journal.json : undefined;
    const saved = newer !== undefined ? { ...stored, json: newer } : stored;
    let spec: ImageSpec;
    try {
      spec = parseLayoutJson(saved.json, name);
    } catch (e) {
      this.status = 'error';
      this.error = `The saved layout "${name}" cannot be read (${e instanceof Error ? e.message : String(e)}); it is left as it is.`;
      return false;
    }
    // The layout is open (and what a reload opens) at once; its files follow ("loading" until then).
    this.#lastSaved.set(name, stored.json);
    this.status = 'loading';
    // A preset kept beside the layout (before Preset= was part of it) moves into the layout.
    const sidePreset = await this.store.preset(name).catch(() => undefined);
    if (sidePreset !== undefined && spec.preset === undefined && presetByName(sidePreset)) spec.preset = sidePreset;
    this.doc.name = name;
    this.doc.replace(spec);
    this.doc.files = {};
    this.doc.contents = {};
    await this.store.setCurrent(name);
    this.doc.files = await this.store.files(name);
    this.doc.resetHistory();
    this.doc.contents = await this.#loadContents(name, spec);
    this.status = 'saved';
    this.error = undefined;
    if (newer !== undefined || sidePreset !== undefined) await this.save();
    if (sidePreset !== undefined && this.status === 'saved') await this.store.savePreset(name, undefined).catch(() => undefined);
    return true;
  }

  /** Saves the open layout if it changed since the last save. */
  async save(): Promise<void> {
    if (!this.ready) return;
    const name = this.doc.name;
    const json = stringifyLayoutJson($state.snapshot(this.doc.spec) as ImageSpec);
    if (this.#lastSaved.get(name) === json && this.status !== 'error') {
      this.#clearStaleJournal(name, json);
      this.status = 'saved';
      return;
    }
    this.status = 'saving';
    try {
      await this.store.save(name, json);
      this.#lastSaved.set(name, json);
      const j = readJournal();
      if (j?.name === name && j.json === json) writeJournal(undefined);
      if (!this.names.includes(name)) this.names = [...this.names, name].sort((a, b) => a.localeCompare(b));
      this.status = 'saved';
      this.error = undefined;
    } catch (e) {
      this.status = 'error';
      this.error = describeSaveError(e);
    }
  }

  /** Called on every change: shows "saving…" at once, so "saved" always means written. */
  noteChange(): void {
    if (!this.ready) return;
    const json = stringifyLayoutJson($state.snapshot(this.doc.spec) as ImageSpec);
    if (this.#lastSaved.get(this.doc.name) !== json) {
      writeJournal({ name: this.doc.name, json });
      if (this.status !== 'error') this.status = 'saving';
    } else {
      // Back to what is saved (an Undo before the save ran): a journal of the undone change would win on reload.
      this.#clearStaleJournal(this.doc.name, json);
    }
  }

  #clearStaleJournal(name: string, json: string): void {
    const j = readJournal();
    if (j?.name === name && j.json !== json) writeJournal(undefined);
  }

  async switchTo(name: string): Promise<void> {
    if (name === this.doc.name) return;
    await this.save();
    await this.#load(name);
  }

  /** A new saved layout (name made unique), opened (a preset's layout names its preset: Preset=). */
  async create(baseName: string, spec: ImageSpec, files: Record<string, File> = {}): Promise<void> {
    await this.save();
    const name = await this.store.freeName(cleanLayoutName(baseName) ?? 'layout');
    this.doc.name = name;
    this.doc.replace(spec);
    this.doc.files = {};
    this.doc.contents = {};
    await this.contents?.removeLayout(name).catch(() => undefined);
    this.doc.resetHistory();
    for (const [path, file] of Object.entries(files)) await this.stageFile(path, file);
    await this.store.setCurrent(name);
    await this.save();
  }

  async rename(newName: string): Promise<void> {
    const cleaned = cleanLayoutName(newName);
    const old = this.doc.name;
    if (!cleaned || cleaned === old) return;
    const name = await this.store.freeName(cleaned);
    const files = this.doc.files;
    // Staged contents are copied first, under the old name still open ("saving…" until done): a
    // reload in between finds the old layout whole.
    if (this.contents) {
      this.status = 'saving';
      await this.contents.removeLayout(name);
      await this.contents.copyLayout(old, name);
    }
    this.doc.name = name;
    await this.save();
    if (this.status !== 'saved') return;
    // "saved" again only once the new name is the one a reload opens.
    this.status = 'saving';
    for (const [path, file] of Object.entries(files)) await this.store.saveFile(name, path, file);
    await this.store.setCurrent(name);
    await this.store.remove(old);
    this.#lastSaved.delete(old);
    this.names = this.names.filter((n) => n !== old);
    if (this.status === 'saving') this.status = 'saved';
    await this.contents?.removeLayout(old);
  }

  /** Deletes the open layout and opens another (or a blank one). */
  async deleteCurrent(blank: () => ImageSpec): Promise<void> {
    const old = this.doc.name;
    await this.store.remove(old);
    await this.contents?.removeLayout(old).catch(() => undefined);
    this.#lastSaved.delete(old);
    this.names = this.names.filter((n) => n !== old);
    const next = this.names[0];
    if (next === undefined || !(await this.#load(next))) await this.create('layout', blank());
  }

  async stageFile(path: string, file: File): Promise<void> {
    this.doc.stageFile(path, file);
    try {
      await this.store.saveFile(this.doc.name, path, file);
    } catch (e) {
      this.status = 'error';
      this.error = `${describeSaveError(e)} (file ${path} is kept for this session only)`;
    }
  }

  /** Removes a staged file (and its saved copy). */
  async unstageFile(path: string): Promise<void> {
    this.doc.unstageFile(path);
    try {
      await this.store.removeFile(this.doc.name, path);
    } catch (e) {
      this.status = 'error';
      this.error = describeSaveError(e);
    }
  }

  /**
   * What is staged for a layout just opened. Bytes kept only so that a removal could be undone (the
   * trash, sources no CopyFiles= names) are freed first: the history starts empty.
   */
  async #loadContents(name: string, spec: ImageSpec): Promise<LayoutDocument['contents']> {
    try {
      const named = new Set(spec.partitions.flatMap((p) => (p.copyFiles ?? []).map((c) => c.source)));
      await this.contents?.prune(name, named);
      return (await this.contents?.load(name)) ?? {};
    } catch {
      return {};
    }
  }

  /**
   * Stages files into OPFS for a partition's new `CopyFiles=` entry (one per dropped folder; loose
   * files together) with target `/`, or adds them to an existing source.
   */
  async stageContents(index: number, name: string, files: readonly FileToStage[], existingSource?: string): Promise<void> {
    if (!this.contents) throw new Error('This browser has no Origin Private File System to keep contents in.');
    const layout = this.doc.name;
    const source = existingSource ?? this.doc.freeSourcePath(name);
    try {
      const staged = await this.contents.stage(layout, source, files);
      if (this.doc.name !== layout) return;
      this.doc.setContents(source, staged);
      if (!existingSource) this.doc.addCopyFiles(index, source, '/');
    } catch (e) {
      this.status = 'error';
      this.error = `${describeSaveError(e)} (contents for ${source} were not kept)`;
      if (this.doc.name === layout) this.doc.setContents(source, await this.contents.load(layout).then((c) => c[source]).catch(() => undefined));
    }
  }

  /** Stages a source's files afresh (what a preset brings), replacing anything staged under it. */
  async replaceContents(source: string, files: readonly FileToStage[]): Promise<void> {
    if (!this.contents) return;
    await this.contents.remove(this.doc.name, source);
    this.doc.setContents(source, undefined);
    await this.stageContents(-1, source, files, source);
  }

  /**
   * Removes one staged file (and directories it leaves empty) from a source, as a step Undo takes
   * back: the file is moved aside, and deleted only once that step leaves the history.
   */
  async removeContentFile(source: string, path: string): Promise<void> {
    const store = this.contents;
    if (!store) return;
    const layout = this.doc.name;
    let trashed: TrashedFile | undefined;
    const doc = this.doc;
    const stillOpen = () => doc.name === layout;
    this.doc.rememberEffect(`Removed ${path} from ${source}`, {
      undo: async () => {
        if (trashed && stillOpen()) await store.restoreFile(trashed);
      },
      redo: async () => {
        if (stillOpen()) trashed = (await store.trashFile(layout, source, path)).trashed;
      },
      drop: async () => {
        if (trashed) await store.purgeFile(trashed);
      },
    });
    try {
      const r = await store.trashFile(layout, source, path);
      trashed = r.trashed;
      if (stillOpen()) doc.setContents(source, r.staged);
    } catch (e) {
      this.status = 'error';
      this.error = `${describeSaveError(e)} (${path} was not removed)`;
    }
  }

  /**
   * Removes a CopyFiles= entry. Its staged files stay in OPFS while Undo can bring the entry back;
   * they are deleted when that step leaves the history (or the next time the layout is opened).
   */
  async removeContents(index: number, entry: number): Promise<void> {
    const store = this.contents;
    const layout = this.doc.name;
    const doc = this.doc;
    const source = doc.removeCopyFiles(index, entry, {
      drop: async () => {
        if (source !== undefined && doc.name === layout && !doc.referencesSource(source)) await store?.remove(layout, source);
      },
    });
    if (source === undefined) return;
    doc.setContents(source, undefined);
  }
}
