/**
 * The layout being edited: the spec as deep `$state`, the selection, the files staged for it, undo
 * for deletions and replacements, and what the engine says about it (problems, plan), refreshed
 * after every change. Provided to components through a typed context (STYLE.md §9).
 */
import { getContext, setContext } from 'svelte';
import type { ImagePlan, PlanResult, SpecProblem } from '../../workers/engine.ts';
import { unknownTo252, type FieldDef } from '../../workers/model/fields.ts';
import type { BlobSpec, ImageSpec, PartitionSpec } from '../../workers/model/spec.ts';
import { layoutInputs } from '../../workers/model/layout-inputs.ts';
import { presetByName, type Preset, type PresetInput } from '../../workers/model/presets/index.ts';
import { FILE_SYSTEMS, ISO_FORMAT } from '../../workers/model/registry.ts';
import { formatSize } from '../../workers/model/units.ts';
import { labelWarnings } from '../../workers/model/volume-labels.ts';
import { contentsDir, type StagedContent } from './contents-store.ts';
import { engineClient, type EngineClient } from './engine-client.ts';

export type Selection = { kind: 'partition'; index: number } | { kind: 'blob'; index: number } | undefined;

/**
 * What a change did outside the layout (staged bytes moved aside in OPFS), undone and redone with it.
 * Nothing is destroyed while the change can still be undone: `drop` frees what it kept once its
 * history entry is gone (trimmed, or a layout opened).
 */
export interface HistoryEffect {
  /** After Undo restored the layout as it was before the change. */
  undo?(): Promise<void>;
  /** After Redo made the change again. */
  redo?(): Promise<void>;
  /** The change can no longer be undone. */
  drop?(): Promise<void>;
}

/** One step of the edit history: the layout (and its staged files) as it was before the change named by `label`. */
export interface HistoryEntry {
  /** The change, in words: "Removed partition ESP", "Partition 1 › Label". */
  label: string;
  spec: ImageSpec;
  selection: Selection;
  /** The staged input files as they were (the objects themselves: nothing is copied); Undo puts them back. */
  files: Record<string, File>;
  /** The staged contents as they were: their sources keep their bytes while this step can be undone. */
  contents: Record<string, StagedContent>;
  effect?: HistoryEffect;
}

/** The toast for a notable change (a removal, a preset): shown while that change is the latest. */
export interface UndoEntry {
  label: string;
}

/** Text typed into a field that does not parse: kept (the model keeps its last good value) and blocks the build. */
export interface FieldDraft {
  text: string;
  message: string;
  /** "Partition 2 (root) › Minimum size". */
  label: string;
}

/** How many steps undo goes back. */
const HISTORY_LIMIT = 200;

export interface FieldMessage {
  message: string;
  /** `engine` (validate/plan), `input` (text that did not parse) or `warning` (builds, but not as written). */
  source: 'engine' | 'input' | 'warning';
}

/** `partitions[2].label` and `partitions.2.label` both become `partitions.2.label`. */
export function normalizeWhere(where: string): string {
  return where.replace(/\[(\d+)\]/g, '.$1');
}

const clone = <T>(v: T): T => structuredClone(v);

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function groupBytes(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export class LayoutDocument {
  name = $state('untitled');
  spec = $state<ImageSpec>({ table: 'gpt', partitions: [] });
  selection = $state<Selection>(undefined);
  /** Files the layout names (blob sources, CopyBlocks=), by the path written in the spec. */
  files = $state.raw<Record<string, File>>({});
  /** `CopyFiles=` sources staged in OPFS for this layout, by source path. */
  contents = $state.raw<Record<string, StagedContent>>({});
  undoEntry = $state.raw<UndoEntry | undefined>(undefined);
  /** Undo and redo stacks (newest last). */
  past = $state.raw<HistoryEntry[]>([]);
  future = $state.raw<HistoryEntry[]>([]);
  /** Typed text that does not parse, by normalized `where`. */
  drafts = $state.raw<Record<string, FieldDraft>>({});
  /** The field changed last (`partitions.1.sizeMinBytes`): where a "does not fit" belongs. */
  lastEdit = $state<string | undefined>(undefined);
  /** The Format= values the engine makes (its registry): in partitions, and in a Table=iso layout. */
  readonly fileSystems: { partition: readonly string[]; iso: readonly string[] } = {
    partition: FILE_SYSTEMS.map((f) => f.name),
    // squashfs: an image inside the ISO (ISOPath=), as the installer ISO's /nix-store.squashfs.
    iso: [ISO_FORMAT, 'vfat', 'squashfs'],
  };
  /** Consecutive changes of one field (typing) make one history step. */
  #coalesceKey: string | undefined;
  /**
   * Called when Undo or Redo changed the staged input files (`before` → `after`), so the host keeps
   * its stored copies in step (Workspace writes them to IndexedDB).
   */
  onFilesRestored: ((before: Record<string, File>, after: Record<string, File>) => void) | undefined;
  /**
   * Called after every Undo and Redo with the promise of its effect: staged contents live in OPFS,
   * which is their truth, so the host reads them again once the effect has moved any bytes back.
   */
  onHistoryMoved: ((effectDone: Promise<void>) => void) | undefined;

  /** From the engine, for the spec as it was `refreshedFor`. */
  problems = $state.raw<SpecProblem[]>([]);
  planResult = $state.raw<PlanResult | undefined>(undefined);
  /** A refresh is in flight. */
  checking = $state(false);
  engineError = $state<string | undefined>(undefined);

  readonly #client: EngineClient;
  #refreshSeq = 0;

  constructor(client: EngineClient = engineClient) {
    this.#client = client;
  }

  /** The plan when the layout can be laid out. */
  readonly plan: ImagePlan | undefined = $derived(this.planResult?.ok ? this.planResult.plan : undefined);

  /** Blob sizes from staged files, by blob name (what the planner needs for blobs without Size=). */
  readonly blobSizes: Record<string, number> = $derived.by(() => {
    const out: Record<string, number> = {};
    for (const b of this.spec.blobs ?? []) {
      const f = b.source !== undefined ? this.files[b.source] : undefined;
      if (f) out[b.name] = f.size;
    }
    return out;
  });

  /**
   * The layout's preset (`Preset=`, as `partwright build --preset NAME`): the build installs its boot
   * files (systemd-boot, GRUB) and adds the files it brings. Part of the spec, so undo, autosave,
   * share links and exports carry it. Undefined for other layouts.
   */
  readonly preset: string | undefined = $derived(this.spec.preset);

  /** The preset's definition (the engine's: one list of what it needs, with what each file is for). */
  readonly presetDef: Preset | undefined = $derived(this.preset === undefined ? undefined : presetByName(this.preset));

  /** The preset's single files (kernel, initrd, loaders…): slots the user fills, staged like blob sources. */
  readonly presetFileInputs: PresetInput[] = $derived((this.presetDef?.inputs ?? []).filter((i) => i.kind === 'file'));

  /**
   * What supplies a copy source other than a staged folder: a staged single file (a preset's kernel
   * copied into an ISO), or the preset's own text files (an ISO's isolinux.cfg, its EFI loader tree).
   */
  providedSource(source: string): 'file' | 'preset' | undefined {
    if (this.files[source]) return 'file';
    const own = Object.keys(this.presetDef?.files ?? {});
    const dir = `${source.replace(/\/+$/, '')}/`;
    if (own.some((p) => p === source || p.startsWith(dir))) return 'preset';
    return undefined;
  }

  /**
   * Paths the layout names for which no file is staged (blobs, CopyBlocks=, BaseImage=,
   * ISOHybridMBR=), and the preset's boot files.
   */
  readonly missingFiles: string[] = $derived.by(() => {
    const paths = [...layoutInputs(this.spec).map((i) => i.path), ...this.presetFileInputs.map((i) => i.path)];
    return [...new Set(paths)].filter((p) => !this.files[p]);
  });

  /** `CopyFiles=` sources the layout names whose contents are not staged (e.g. after a share link). */
  readonly missingContents: string[] = $derived.by(() => {
    const sources = new Set<string>();
    for (const p of this.spec.partitions) for (const c of p.copyFiles ?? []) sources.add(c.source);
    return [...sources].filter((s) => !this.contents[s] && !this.providedSource(s) && !this.presetFileInputs.some((i) => i.path === s));
  });

  /**
   * Rules the build enforces that the engine's validate() does not see (which formats this engine
   * makes), checked here so the field that breaks them says so before Build.
   */
  readonly fieldProblems: SpecProblem[] = $derived.by(() => {
    const out: SpecProblem[] = [];
    const made = this.fileSystems;
    const allowed = this.spec.table === 'iso' ? made.iso : made.partition;
    this.spec.partitions.forEach((p, i) => {
      if (p.format !== undefined && !allowed.includes(p.format)) {
        out.push({
          where: `partitions.${i}.format`,
          message: `Format=${p.format}: Partwright makes ${allowed.join(', ')}${this.spec.table === 'iso' ? ' in a Table=iso layout' : ''}; leave File system empty for a partition without one, or use CopyBlocks= with a prebuilt image.`,
        });
      }
    });
    // (First boot's cross-field problems come from the engine's validate(): cloudInitSpecProblems.)
    return out;
  });

  /** Every message, keyed by normalized `where`. */
  readonly messages: Map<string, FieldMessage[]> = $derived.by(() => {
    const map = new Map<string, FieldMessage[]>();
    const add = (where: string, message: string, source: FieldMessage['source'] = 'engine') => {
      const key = normalizeWhere(where);
      const list = map.get(key) ?? [];
      if (!list.some((m) => m.message === message)) list.push({ message, source });
      map.set(key, list);
    };
    for (const p of this.problems) add(p.where, p.message);
    for (const p of this.fieldProblems) add(p.where, p.message);
    this.spec.partitions.forEach((p, i) => {
      for (const w of labelWarnings(p)) add(`partitions.${i}.label`, w, 'warning');
    });
    // RepartVersion=252: keys repart 252 does not know are ignored by the build, as 252 ignores them.
    if (this.spec.repartVersion === '252') {
      for (const u of unknownTo252(this.spec)) {
        add(u.specIndex === undefined ? u.fieldId : `partitions.${u.specIndex}.${u.fieldId}`, `${u.confKey}= (systemd-repart ${u.since}) is unknown to systemd-repart 252, which ignores it; not used while the repart version is 252.`, 'warning');
      }
    }
    // CopyFrom=: without the images the map is planned without their partitions; say where they go.
    if (this.spec.repartVersion !== '252' && this.spec.copyFrom?.length && !(this.planResult?.ok && this.planResult.copied)) {
      add('copyFrom', 'The disk map shows only this layout\'s own definitions until the images are chosen: their partitions are placed before them.', 'warning');
    }
    const r = this.planResult;
    if (r && !r.ok) {
      add(r.error.where ?? '', r.error.message);
      // "Does not fit" is about the disk size, but the user just changed a partition: say it there too.
      const last = this.lastEdit;
      if (r.error.code === 'does-not-fit' && last?.startsWith('partitions.') && (r.error.where ?? 'sizeBytes') === 'sizeBytes') {
        const min = r.error.minimumSizeBytes;
        add(last, `${r.error.message}.${min !== undefined ? ` Lower this value, or raise Disk size to at least ${formatSize(min)} (${groupBytes(min)} B).` : ''}`);
      }
    }
    return map;
  });

  /** The first reason a build cannot start, or undefined. */
  readonly blocker: string | undefined = $derived.by(() => {
    const draft = Object.values(this.drafts)[0];
    if (draft) return `${draft.label}: ${draft.message} (the text “${draft.text}” is not used; fix it or press Escape)`;
    if (this.spec.partitions.length === 0 && (this.spec.blobs ?? []).length === 0) return 'The layout is empty: add a partition first.';
    const p = this.problems[0] ?? this.fieldProblems[0];
    if (p) return `${describeWhere(this.spec, p.where)}: ${p.message}`;
    const r = this.planResult;
    if (!r) return 'Checking the layout…';
    if (!r.ok) return r.error.message;
    const missing = this.missingFiles[0];
    if (missing) {
      const input = this.presetFileInputs.find((i) => i.path === missing);
      return input
        ? `Choose the file ${missing} first (${input.description}): the ${this.presetDef?.name} preset needs it.`
        : `Choose the file ${missing} first (it is named by the layout).`;
    }
    const contents = this.missingContents[0];
    if (contents) return `Add the contents of CopyFiles=${contents} first (drop files onto its partition), or remove that entry.`;
    return undefined;
  });

  messagesFor(where: string): FieldMessage[] {
    return this.messages.get(normalizeWhere(where)) ?? [];
  }

  /** Messages for a partition that no field shows (about the whole partition). */
  messagesUnder(prefix: string, shown: readonly string[]): FieldMessage[] {
    const out: FieldMessage[] = [];
    for (const [where, list] of this.messages) {
      if ((where === prefix || where.startsWith(`${prefix}.`)) && !shown.includes(where)) out.push(...list);
    }
    return out;
  }

  // ---- engine

  /** Asks the engine about the spec as it is now; a newer refresh supersedes an older one. */
  async refresh(signal: AbortSignal): Promise<void> {
    const seq = ++this.#refreshSeq;
    const spec = $state.snapshot(this.spec) as ImageSpec;
    const options = { blobSizes: { ...this.blobSizes } };
    this.checking = true;
    try {
      const problems = await this.#client.call('validate', [spec, options], signal);
      let planResult = await this.#client.call('plan', [spec, options], signal);
      // Minimize= sizes come from the contents and CopyFrom= partitions from their images, as in a
      // build: ask for the exact plan when all are here.
      if (planResult.ok && (planResult.decidedAtBuild || planResult.copiedAtBuild) && this.missingFiles.length === 0 && this.missingContents.length === 0) {
        const exact = await this.#client.call('planExact', [spec, { ...this.files }, { contentsDir: contentsDir(this.name) }], signal);
        if (exact.ok) planResult = exact;
      }
      if (seq !== this.#refreshSeq) return;
      this.problems = problems;
      this.planResult = planResult;
      this.engineError = undefined;
    } catch (error) {
      if (signal.aborted || seq !== this.#refreshSeq) return;
      this.engineError = error instanceof Error ? error.message : String(error);
    } finally {
      if (seq === this.#refreshSeq) this.checking = false;
    }
  }

  // ---- whole-layout changes

  /** Replaces the layout (load, preset, import); `undoLabel` keeps the old one for undo. */
  replace(spec: ImageSpec, undoLabel?: string, toast = true): void {
    if (undoLabel) this.#remember(undoLabel, { toast });
    this.spec = clone(spec);
    this.selection = spec.partitions.length > 0 ? { kind: 'partition', index: 0 } : undefined;
    this.problems = [];
    this.planResult = undefined;
    this.drafts = {};
    this.lastEdit = undefined;
  }

  // ---- history

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** What Undo would undo, in words. */
  get undoLabel(): string | undefined {
    return this.past.at(-1)?.label;
  }

  get redoLabel(): string | undefined {
    return this.future.at(-1)?.label;
  }

  /** Undoes the latest change only; it can be redone. */
  undo(): void {
    const entry = this.past.at(-1);
    if (!entry) return;
    this.past = this.past.slice(0, -1);
    this.future = [...this.future, this.#entry(entry.label, entry.effect)];
    this.#restore(entry);
    this.onHistoryMoved?.(entry.effect?.undo?.() ?? Promise.resolve());
  }

  redo(): void {
    const entry = this.future.at(-1);
    if (!entry) return;
    this.future = this.future.slice(0, -1);
    this.past = [...this.past, this.#entry(entry.label, entry.effect)];
    this.#restore(entry);
    this.onHistoryMoved?.(entry.effect?.redo?.() ?? Promise.resolve());
  }

  /** The document as it is now, as a history entry. */
  #entry(label: string, effect?: HistoryEffect): HistoryEntry {
    return { label, spec: this.#snapshot(), selection: this.selection, files: this.files, contents: this.contents, ...(effect ? { effect } : {}) };
  }

  #restore(entry: HistoryEntry): void {
    const filesBefore = this.files;
    this.files = entry.files;
    if (filesBefore !== entry.files) this.onFilesRestored?.(filesBefore, entry.files);
    this.spec = clone(entry.spec);
    const s = entry.selection;
    const n = s?.kind === 'partition' ? this.spec.partitions.length : (this.spec.blobs?.length ?? 0);
    this.selection = s && s.index < n ? s : this.spec.partitions.length > 0 ? { kind: 'partition', index: 0 } : undefined;
    this.undoEntry = undefined;
    this.drafts = {};
    this.lastEdit = undefined;
    this.#coalesceKey = undefined;
  }

  /** Hides the toast; the change stays in the history. */
  dismissUndo(): void {
    this.undoEntry = undefined;
  }

  /** A freshly opened layout has no history (what undone changes kept is freed). */
  resetHistory(): void {
    for (const e of this.past) void e.effect?.drop?.();
    this.past = [];
    this.future = [];
    this.undoEntry = undefined;
    this.#coalesceKey = undefined;
  }

  #snapshot(): ImageSpec {
    return $state.snapshot(this.spec) as ImageSpec;
  }

  /**
   * Records the layout before a change. Changes of one field in a row (`coalesce` key) make one step;
   * `toast` offers Undo in a toast, which goes away with the next change so it only ever undoes its own.
   */
  #remember(label: string, options: { coalesce?: string; toast?: boolean; effect?: HistoryEffect } = {}): void {
    const key = options.coalesce;
    // Redo entries were undone: their effects already put everything back, nothing to free.
    this.future = [];
    if (key !== undefined && key === this.#coalesceKey && this.past.length > 0) return;
    this.#coalesceKey = key;
    const past = [...this.past, this.#entry(label, options.effect)];
    const dropped = past.length > HISTORY_LIMIT ? past.slice(0, past.length - HISTORY_LIMIT) : [];
    this.past = dropped.length ? past.slice(dropped.length) : past;
    for (const e of dropped) void e.effect?.drop?.();
    this.undoEntry = options.toast ? { label } : undefined;
  }

  /**
   * Records a change made outside the layout (staged bytes moved aside), as one undoable step: call
   * before making it, so the entry keeps the files and contents as they were.
   */
  rememberEffect(label: string, effect: HistoryEffect): void {
    this.#remember(label, { toast: true, effect });
  }

  /** Whether the document or a history step still names this staged source (its bytes must stay). */
  referencesSource(source: string): boolean {
    return this.referencedSources().has(source);
  }

  /** Staged-content sources the document or any history step still names (their bytes must stay). */
  referencedSources(): Set<string> {
    const out = new Set(Object.keys(this.contents));
    for (const e of [...this.past, ...this.future]) for (const s of Object.keys(e.contents)) out.add(s);
    for (const p of this.spec.partitions) for (const c of p.copyFiles ?? []) out.add(c.source);
    return out;
  }

  // ---- field drafts (typed text that does not parse)

  setDraft(where: string, draft: FieldDraft | undefined): void {
    const key = normalizeWhere(where);
    if (!draft && !(key in this.drafts)) return;
    const { [key]: _, ...rest } = this.drafts;
    this.drafts = draft ? { ...rest, [key]: draft } : rest;
  }

  draftFor(where: string): FieldDraft | undefined {
    return this.drafts[normalizeWhere(where)];
  }

  // ---- disk settings

  setDiskField<V>(field: FieldDef<ImageSpec, V>, value: V | undefined): void {
    if (sameValue(field.get(this.spec), value)) return;
    this.#remember(`${field.section === 'X-Partwright-CloudInit' ? 'First boot' : 'Disk'} › ${field.title}`, { coalesce: `disk.${field.id}` });
    this.lastEdit = field.id;
    field.set(this.spec, value);
  }

  // ---- partitions

  get selectedPartition(): PartitionSpec | undefined {
    return this.selection?.kind === 'partition' ? this.spec.partitions[this.selection.index] : undefined;
  }

  get selectedBlob(): BlobSpec | undefined {
    return this.selection?.kind === 'blob' ? this.spec.blobs?.[this.selection.index] : undefined;
  }

  selectPartition(index: number): void {
    if (index >= 0 && index < this.spec.partitions.length) this.selection = { kind: 'partition', index };
  }

  selectBlob(index: number): void {
    if (index >= 0 && index < (this.spec.blobs?.length ?? 0)) this.selection = { kind: 'blob', index };
  }

  addPartition(partition: PartitionSpec = { type: 'linux-generic', sizeMinBytes: 64 * 1024 * 1024 }): void {
    const at = this.selection?.kind === 'partition' ? this.selection.index + 1 : this.spec.partitions.length;
    this.#remember('Added a partition');
    this.spec.partitions.splice(at, 0, partition);
    this.selection = { kind: 'partition', index: at };
  }

  removePartition(index: number): void {
    const p = this.spec.partitions[index];
    if (!p) return;
    this.#remember(`Removed partition ${p.label || p.type}`, { toast: true });
    this.spec.partitions.splice(index, 1);
    const n = this.spec.partitions.length;
    this.selection = n === 0 ? undefined : { kind: 'partition', index: Math.min(index, n - 1) };
  }

  /** Moves a partition up (-1) or down (+1); the selection follows it. */
  movePartition(index: number, delta: -1 | 1): void {
    const to = index + delta;
    const list = this.spec.partitions;
    if (to < 0 || to >= list.length) return;
    const moving = list[index];
    if (!moving) return;
    this.#remember(`Moved partition ${moving.label || moving.type} ${delta < 0 ? 'up' : 'down'}`);
    const [p] = list.splice(index, 1);
    if (!p) return;
    list.splice(to, 0, p);
    // A moved partition's file name no longer sorts in place; export renames when needed.
    this.selection = { kind: 'partition', index: to };
  }

  setPartitionField<V>(index: number, field: FieldDef<PartitionSpec, V>, value: V | undefined): void {
    const p = this.spec.partitions[index];
    if (!p || sameValue(field.get(p), value)) return;
    this.#remember(`${describeWhere(this.spec, `partitions.${index}`)} › ${field.title}`, { coalesce: `partitions.${index}.${field.id}` });
    this.lastEdit = `partitions.${index}.${field.id}`;
    field.set(p, value);
  }

  // ---- blobs

  addBlob(): void {
    this.#remember('Added a blob');
    if (!this.spec.blobs) this.spec.blobs = [];
    const blobs = this.spec.blobs;
    const taken = new Set(blobs.map((b) => b.name));
    let name = 'blob';
    for (let n = 2; taken.has(name); n++) name = `blob-${n}`;
    blobs.push({ name, offsetBytes: 32 * 1024, sizeBytes: 4096 });
    this.selection = { kind: 'blob', index: blobs.length - 1 };
  }

  removeBlob(index: number): void {
    const b = this.spec.blobs?.[index];
    if (!b || !this.spec.blobs) return;
    this.#remember(`Removed blob ${b.name}`, { toast: true });
    this.spec.blobs.splice(index, 1);
    if (this.spec.blobs.length === 0) delete this.spec.blobs;
    this.selection = this.spec.partitions.length > 0 ? { kind: 'partition', index: 0 } : undefined;
  }

  setBlobField<V>(index: number, field: FieldDef<BlobSpec, V>, value: V | undefined): void {
    const b = this.spec.blobs?.[index];
    if (!b || sameValue(field.get(b), value)) return;
    this.#remember(`Blob ${b.name} › ${field.title}`, { coalesce: `blobs.${index}.${field.id}` });
    this.lastEdit = `blobs.${index}.${field.id}`;
    field.set(b, value);
  }

  // ---- contents (CopyFiles=)

  /** A source path not used by any CopyFiles= yet: `/name`, `/name-2`, … */
  freeSourcePath(name: string): string {
    const clean = name.replace(/[/\x00-\x1f]+/g, '-').replace(/^\.+$/, '') || 'files';
    // Sources an undoable step still names keep their bytes: a new drop must not land among them.
    const taken = this.referencedSources();
    let path = `/${clean}`;
    for (let n = 2; taken.has(path); n++) path = `/${clean}-${n}`;
    return path;
  }

  addCopyFiles(index: number, source: string, target = '/'): void {
    const p = this.spec.partitions[index];
    if (!p) return;
    this.#remember(`Added CopyFiles=${source}`);
    // Assign, then read back: `(p.copyFiles ??= [])` would be the raw array, not the state proxy.
    if (!p.copyFiles) p.copyFiles = [];
    p.copyFiles.push({ source, target });
  }

  setCopyTarget(index: number, entry: number, target: string): void {
    const c = this.spec.partitions[index]?.copyFiles?.[entry];
    if (!c || c.target === target) return;
    this.#remember(`CopyFiles=${c.source} target`, { coalesce: `partitions.${index}.copyFiles.${entry}` });
    c.target = target;
  }

  /** Removes a CopyFiles= entry; returns its source when no other entry uses it. `effect` goes with the step. */
  removeCopyFiles(index: number, entry: number, effect?: HistoryEffect): string | undefined {
    const p = this.spec.partitions[index];
    const c = p?.copyFiles?.[entry];
    if (!p?.copyFiles || !c) return undefined;
    this.#remember(`Removed CopyFiles=${c.source}`, { toast: true, ...(effect ? { effect } : {}) });
    p.copyFiles.splice(entry, 1);
    if (p.copyFiles.length === 0) delete p.copyFiles;
    const stillUsed = this.spec.partitions.some((q) => q.copyFiles?.some((x) => x.source === c.source));
    return stillUsed ? undefined : c.source;
  }

  setContents(source: string, content: StagedContent | undefined): void {
    const { [source]: _, ...rest } = this.contents;
    this.contents = content ? { ...rest, [source]: content } : rest;
  }

  /** Stages a file for a path the layout names (or will name); replacing another file is a step Undo takes back. */
  stageFile(path: string, file: File): void {
    const old = this.files[path];
    if (old && old !== file) this.#remember(`Replaced file ${path}`, { toast: true });
    this.files = { ...this.files, [path]: file };
  }

  /** Removes a staged input file; Undo brings it back. */
  unstageFile(path: string): void {
    if (!(path in this.files)) return;
    this.#remember(`Removed file ${path}`, { toast: true });
    const { [path]: _, ...rest } = this.files;
    this.files = rest;
  }
}

/** "Partition 2 (root) › Minimum size" style text for a `where`. */
export function describeWhere(spec: ImageSpec, where: string): string {
  const parts = normalizeWhere(where).split('.');
  if (parts[0] === 'partitions' && parts[1] !== undefined) {
    const i = Number(parts[1]);
    const p = spec.partitions[i];
    return `Partition ${i + 1}${p ? ` (${p.label || p.type})` : ''}`;
  }
  if (parts[0] === 'blobs' && parts[1] !== undefined) {
    const b = spec.blobs?.[Number(parts[1])];
    return `Blob ${b?.name ?? Number(parts[1]) + 1}`;
  }
  if (parts[0] === 'cloudInit') return 'First boot';
  return 'Disk';
}

const KEY = Symbol('layout-document');

export function provideLayoutDocument(doc: LayoutDocument): LayoutDocument {
  return setContext(KEY, doc);
}

export function useLayoutDocument(): LayoutDocument {
  const doc = getContext<LayoutDocument | undefined>(KEY);
  if (!doc) throw new Error('useLayoutDocument() outside the editor: provideLayoutDocument() first');
  return doc;
}
