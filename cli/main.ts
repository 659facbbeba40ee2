/**
 * `partwright`: build, plan and inspect disk images from repart.d directories or layout JSON.
 * Exit 0 on success; on failure a non-zero exit and one line on stderr saying what to fix.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPartwrightError } from '../workers/model/errors.ts';
import { parseSize } from '../workers/model/units.ts';
import { normalizeGuid } from '../workers/model/partition-types.ts';
import { planImage } from '../workers/plan/plan-image.ts';
import { buildImage, type BuildInputs, type BuildOptions } from '../workers/build/build-image.ts';
import { buildBootableImage } from '../workers/boot/index.ts';
import { PRESETS, presetByName, type Preset } from '../workers/model/presets/index.ts';
import type { ImageSpec } from '../workers/model/spec.ts';
import { buildIsoImage } from '../workers/build/build-iso.ts';
import { inspectImage } from '../workers/build/inspect-image.ts';
import { readExistingDisk } from '../workers/build/existing-disk.ts';
import { SparseImage } from '../workers/disk/sparse-image.ts';
import { fileDataRanges } from './file-extents.ts';
import { MemoryStore } from '../workers/disk/byte-store.ts';
import { DEFAULT_SEED } from '../workers/model/spec.ts';
import { writeChangesInPlace } from '../workers/disk/raw-output.ts';
import { flag, formatFlagHelp, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.ts';
import { loadLayout, resolveLayoutPath } from './layout-files.ts';
import { FileSink, FileSource, FileStore } from './node-file.ts';
import { readTree } from './node-tree.ts';
import { removeScratch, stageClosures } from './nix-closure.ts';
import { loadNodeTool } from './node-tools.ts';
import { formatInspection, formatIsoReport, formatPlan, toJson } from './output.ts';
import { OUTPUT_FORMATS, writeOutput, type OutputFormat } from './write-output.ts';

const COMMON: FlagSpec[] = [
  { name: 'help', short: 'h', takesValue: false, help: 'show this help' },
  { name: 'json', takesValue: false, help: 'print machine-readable JSON instead of a table' },
];
const LAYOUT_FLAGS: FlagSpec[] = [
  { name: 'preset', takesValue: true, valueName: 'NAME', help: 'use a preset instead of LAYOUT (see partwright presets); its files come from --copy-source' },
  { name: 'size', takesValue: true, valueName: 'auto|BYTES', help: 'disk size: auto (the minimum) or bytes with K/M/G/T suffixes' },
  { name: 'seed', takesValue: true, valueName: 'UUID', help: 'seed for disk and partition UUIDs (default: the layout\'s, else nixpkgs\' image.repart seed)' },
  { name: 'base', takesValue: true, valueName: 'IMG', help: 'keep this image\'s partitions and add the layout\'s new ones' },
  { name: 'copy-source', takesValue: true, valueName: 'DIR', help: 'root that absolute CopyFiles=/CopyBlocks= sources resolve against' },
];

const COMMANDS: Record<string, { usage: string; summary: string; flags: FlagSpec[]; run: (a: ParsedArgs) => Promise<void> | void }> = {
  build: {
    usage: 'partwright build LAYOUT -o OUT.img [--size auto|BYTES] [--seed UUID] [--base IMG [--in-place]] [--copy-source DIR] [--output-format FORMAT] [--json]',
    summary: 'plan the layout and write the image',
    flags: [
      { name: 'output', short: 'o', takesValue: true, valueName: 'OUT', help: 'image file to write (written to OUT.partial, then renamed)' },
      ...LAYOUT_FLAGS,
      { name: 'in-place', takesValue: false, help: 'with --base: write into the base image itself instead of a new file' },
      { name: 'output-format', takesValue: true, valueName: 'FORMAT', help: `${OUTPUT_FORMATS.join('|')} (default raw; bmap writes OUT and OUT.bmap; split writes OUT.<type>.raw per partition)` },
      { name: 'substituter', takesValue: true, repeatable: true, valueName: 'URL', help: 'binary cache for StorePaths= closures (as nix.conf substituters; repeatable, tried in order)' },
      { name: 'trusted-public-key', takesValue: true, repeatable: true, valueName: 'NAME:BASE64', help: 'key whose signatures are trusted on narinfos (repeatable)' },
      { name: 'max-piece-bytes', takesValue: true, valueName: 'BYTES', help: 'android-sparse: split into pieces of at most this size (fastboot max-download-size)' },
      ...COMMON,
    ],
    run: runBuild,
  },
  plan: {
    usage: 'partwright plan LAYOUT [--size auto|BYTES] [--seed UUID] [--base IMG] [--json]',
    summary: 'show the partition table the layout gives, without writing anything',
    flags: [...LAYOUT_FLAGS, ...COMMON],
    run: runPlan,
  },
  convert: {
    usage: 'partwright convert IMG -o OUT --output-format FORMAT [--max-piece-bytes BYTES] [--seed UUID] [--json]',
    summary: 'write an existing raw image in another format (Android sparse, bmap, qcow2, VHD, gz), reading only its data',
    flags: [
      { name: 'output', short: 'o', takesValue: true, valueName: 'OUT', help: 'file to write' },
      { name: 'output-format', takesValue: true, valueName: 'FORMAT', help: `${OUTPUT_FORMATS.filter((f) => f !== 'split').join('|')}` },
      { name: 'max-piece-bytes', takesValue: true, valueName: 'BYTES', help: 'android-sparse: split into pieces of at most this size' },
      { name: 'seed', takesValue: true, valueName: 'UUID', help: 'seed for the VHD unique ID' },
      ...COMMON,
    ],
    run: runConvert,
  },
  presets: {
    usage: 'partwright presets [--json]',
    summary: 'list the presets (NixOS image kinds) and the files each needs',
    flags: COMMON,
    run: runPresets,
  },
  inspect: {
    usage: 'partwright inspect IMG [--json]',
    summary: 'decode an image\'s partition tables, partitions and blobs',
    flags: COMMON,
    run: runInspect,
  },
};

function mainHelp(): string {
  const lines = [
    'partwright — compose disk images from systemd-repart style layouts',
    '',
    'Usage: partwright COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
    'LAYOUT is a repart.d directory (*.conf) or a layout .json file.',
    'Run `partwright COMMAND --help` for a command\'s options.',
  ];
  return lines.join('\n');
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\nOptions:\n${formatFlagHelp(c.flags)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write((topic && COMMANDS[topic] ? commandHelp(topic) : mainHelp()) + '\n');
    return 0;
  }
  if (command === '--version') {
    process.stdout.write('partwright 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS[command];
  if (!cmd) {
    process.stderr.write(`partwright: unknown command '${command}'; commands are ${Object.keys(COMMANDS).join(', ')} (see partwright --help)\n`);
    return 2;
  }
  try {
    const args = parseArgs(rest, cmd.flags);
    if (args.flags.has('help')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    await cmd.run(args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`partwright ${command}: ${e.message} (see partwright ${command} --help)\n`);
      return 2;
    }
    if (isPartwrightError(e)) {
      process.stderr.write(`partwright ${command}: ${oneLine(e.message)}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.syscall) {
      process.stderr.write(`partwright ${command}: ${err.syscall} ${err.path ?? ''}: ${err.code === 'ENOSPC' ? 'no space left on the device' : err.message}\n`);
      return 1;
    }
    process.stderr.write(`partwright ${command}: internal error: ${oneLine(String((e as Error)?.stack ?? e))}\n`);
    return 70;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function exactlyOne(args: ParsedArgs, what: string): string {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length ? `expected one ${what}, got ${args.positionals.length}: ${args.positionals.join(' ')}` : `missing ${what}`);
  }
  return args.positionals[0]!;
}

function sizeOption(args: ParsedArgs): number | 'auto' | undefined {
  const v = flag(args, 'size');
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  return parseSize(v);
}

function seedOption(args: ParsedArgs): string | undefined {
  const v = flag(args, 'seed');
  if (v === undefined) return undefined;
  const g = normalizeGuid(v);
  if (!g) throw new UsageError(`--seed ${v} is not a UUID (e.g. 0867da16-f251-457d-a9e8-c31f9a3c220b)`);
  return g;
}

interface Prepared {
  spec: ReturnType<typeof loadLayout>['spec'];
  layoutDir: string;
  copySource: string | undefined;
  basePath: string | undefined;
  preset: Preset | undefined;
}

function prepare(args: ParsedArgs): Prepared {
  const presetName = flag(args, 'preset');
  let spec: Prepared['spec'];
  let layoutDir: string;
  let preset: Preset | undefined;
  if (presetName !== undefined) {
    if (args.positionals.length) throw new UsageError('give either LAYOUT or --preset NAME, not both');
    preset = presetByName(presetName);
    if (!preset) throw new UsageError(`no preset '${presetName}'; presets are ${PRESETS.map((p) => p.name).join(', ')}`);
    if (flag(args, 'copy-source') === undefined && preset.inputs.length) {
      throw new UsageError(`preset '${preset.name}' needs --copy-source DIR holding ${preset.inputs.map((i) => i.path).join(', ')} (see partwright presets)`);
    }
    spec = structuredClone(preset.spec);
    layoutDir = process.cwd();
  } else {
    const layoutPath = exactlyOne(args, 'LAYOUT (a repart.d directory or a layout .json file), or --preset NAME');
    const loaded = loadLayout(layoutPath);
    spec = loaded.spec;
    layoutDir = loaded.layoutDir;
    for (const w of loaded.warnings) process.stderr.write(`partwright: warning: ${path.join(layoutPath, w.file)}:${w.line}: ${w.message}\n`);
  }
  const copySourceFlag = flag(args, 'copy-source');
  const copySource = copySourceFlag !== undefined ? path.resolve(copySourceFlag) : spec.copySource !== undefined ? path.resolve(layoutDir, spec.copySource) : undefined;
  const baseFlag = flag(args, 'base');
  const basePath = baseFlag !== undefined ? path.resolve(baseFlag) : spec.base ? resolveLayoutPath(spec.base.source, layoutDir, undefined) : undefined;
  return { spec, layoutDir, copySource, basePath, preset };
}

function openBase(basePath: string) {
  const source = new FileSource(basePath);
  const existing = readExistingDisk((o, n) => {
    const buf = new Uint8Array(Math.max(0, Math.min(n, source.sizeBytes - o)));
    source.read(o, buf);
    return buf;
  }, source.sizeBytes);
  return { source, existing };
}

function runPlan(args: ParsedArgs): void {
  const { spec, basePath, layoutDir, copySource } = prepare(args);
  if (spec.table === 'iso') {
    // An ISO's layout depends on its contents: lay it out into a scratch file and report it.
    const scratch = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'partwright-plan-')), 'iso.store');
    const store = new FileStore(scratch);
    try {
      const seed = seedOption(args);
      const { report } = buildIsoImage(spec, {
        open: (p: string) => new FileSource(resolveLayoutPath(p, layoutDir, copySource)),
        openTree: (p: string) => readTree(resolveLayoutPath(p, layoutDir, copySource)),
      }, { ...(seed ? { seed } : {}), store });
      process.stdout.write(args.flags.has('json') ? toJson(report) + '\n' : formatIsoReport(report) + '\n');
    } finally {
      store.close();
      fs.rmSync(path.dirname(scratch), { recursive: true, force: true });
    }
    return;
  }
  const base = basePath ? openBase(basePath) : undefined;
  // Blob sizes come from their files, as in a build.
  const blobSizes: Record<string, number> = {};
  for (const b of spec.blobs ?? []) {
    if (b.source === undefined || b.sizeBytes !== undefined) continue;
    const full = resolveLayoutPath(b.source, layoutDir, copySource);
    try {
      blobSizes[b.name] = fs.statSync(full).size;
    } catch {
      throw new UsageError(`blob '${b.name}': cannot read ${full}`);
    }
  }
  const plan = planImage(spec, { sizeBytes: sizeOption(args), seed: seedOption(args), existing: base?.existing, blobSizes });
  base?.source.close();
  process.stdout.write(args.flags.has('json') ? toJson(plan) + '\n' : formatPlan(plan) + '\n');
}

async function runBuild(args: ParsedArgs): Promise<void> {
  const prepared = prepare(args);
  const { spec, layoutDir, copySource, basePath, preset } = prepared;
  const inPlace = args.flags.has('in-place');
  const out = flag(args, 'output');
  const format = (flag(args, 'output-format') ?? 'raw') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--output-format ${format} is not one of ${OUTPUT_FORMATS.join(', ')}`);
  if (spec.table === 'iso' && (basePath || inPlace)) throw new UsageError('an ISO (Table=iso) is made whole: --base and --in-place do not apply');
  if (inPlace && format !== 'raw') throw new UsageError('--in-place writes the base image itself, which is raw; leave out --output-format');
  const maxPiece = flag(args, 'max-piece-bytes');
  const sde = process.env.SOURCE_DATE_EPOCH;
  if (inPlace && !basePath) throw new UsageError('--in-place needs a base image (--base IMG or BaseImage=)');
  if (!inPlace && !out) throw new UsageError('missing -o OUT (the image file to write)');
  if (!inPlace && basePath && path.resolve(out!) === basePath) {
    throw new UsageError(`-o ${out} is the base image; the base is never overwritten unless you pass --in-place`);
  }

  const opened: FileSource[] = [];
  // Files a preset brings itself (loader configs) are laid over the copy source.
  const overlay = preset?.files ? writePresetFiles(preset.files) : undefined;
  const resolveInput = (p: string): string => {
    const inOverlay = overlay && path.isAbsolute(p) ? path.join(overlay, p) : undefined;
    return inOverlay && fs.existsSync(inOverlay) ? inOverlay : resolveLayoutPath(p, layoutDir, copySource);
  };
  const inputs = {
    open(p: string, what: string) {
      const full = resolveInput(p);
      try {
        const s = new FileSource(full);
        opened.push(s);
        return s;
      } catch {
        throw new UsageError(`${what}: cannot read ${full}`);
      }
    },
    openTree(p: string, _what: string) {
      return readTree(resolveInput(p));
    },
  };

  const base = basePath ? openBase(basePath) : undefined;
  if (base) opened.push(base.source);
  // Image bytes go to a file next to the output, never to memory: for a raw image without a base
  // that file is the output itself (renamed when complete), otherwise a scratch file removed after.
  const rawDirect = format === 'raw' && !inPlace && !base;
  // Nix closures named by StorePaths= are fetched, verified and staged before the build.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'partwright-build-'));
  let extraTrees: Awaited<ReturnType<typeof stageClosures>>;
  try {
    extraTrees = await stageClosures(spec, {
      substituters: args.flags.get('substituter') ?? [],
      trustedPublicKeys: args.flags.get('trusted-public-key') ?? [],
      onProgress: (l) => process.stderr.isTTY && process.stderr.write(`\r${l}`),
    }, scratch);
  } catch (e) {
    removeScratch(scratch);
    if (overlay) fs.rmSync(overlay, { recursive: true, force: true });
    for (const s of opened) s.close();
    throw e;
  }
  const storePath = rawDirect ? `${out}.partial` : `${inPlace ? basePath : out}.store.partial`;
  const store = new FileStore(storePath);
  let storeOpen = true;
  try {
    const sourceDateEpoch = sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {};
    const seed = seedOption(args);
    const { plan, image, report } = spec.table === 'iso'
      ? buildIsoImage(spec, inputs, { ...(seed ? { seed } : {}), ...sourceDateEpoch, store, extraTrees })
      : {
          report: undefined,
          ...(preset?.boot ? (s: ImageSpec, i: BuildInputs, o: BuildOptions) => buildBootableImage(s, preset.boot!, i, o) : buildImage)(spec, inputs, {
            sizeBytes: sizeOption(args),
            seed,
            ...sourceDateEpoch,
            store,
            extraTrees,
            loadTool: loadNodeTool,
            base: base && {
              existing: base.existing,
              layer: { source: base.source, dataRanges: fileDataRanges(basePath!, base.source) },
            },
          }),
        };

    let files: string[];
    if (rawDirect) {
      // No fsync, like mkfs and cp: the rename makes the image appear only when it is complete.
      store.setSize(image.sizeBytes);
      store.close();
      storeOpen = false;
      fs.renameSync(storePath, out!);
      files = [out!];
    } else if (inPlace) {
      const sink = new FileSink(basePath!, 'r+');
      try {
        writeChangesInPlace(image, sink, base!.source.sizeBytes);
      } finally {
        sink.close();
      }
      files = [basePath!];
    } else {
      files = await writeOutput(image, plan, format, out!, {
        ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}),
        ...(sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {}),
      });
    }
    const result = { output: path.resolve(files[0]!), files: files.map((f) => path.resolve(f)), format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes, plan, ...(report ? { iso: report } : {}) };
    process.stdout.write(
      args.flags.has('json')
        ? toJson(result) + '\n'
        : `${report ? formatIsoReport(report) : formatPlan(plan)}\n\nWrote ${result.files.join(', ')} (${format}): image of ${image.sizeBytes} bytes, ${image.mappedBytes} bytes of data.\n`,
    );
  } finally {
    if (storeOpen) store.close();
    fs.rmSync(storePath, { force: true });
    removeScratch(scratch);
    if (overlay) fs.rmSync(overlay, { recursive: true, force: true });
    for (const s of opened) s.close();
  }
}

/** A preset's own text files in a scratch folder, by their copy-source paths. */
function writePresetFiles(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partwright-preset-'));
  for (const [p, text] of Object.entries(files)) {
    const full = path.join(dir, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return dir;
}

async function runConvert(args: ParsedArgs): Promise<void> {
  const file = exactlyOne(args, 'IMG (a raw image file)');
  const out = flag(args, 'output');
  if (!out) throw new UsageError('missing -o OUT');
  const format = flag(args, 'output-format') as OutputFormat | undefined;
  if (!format || !OUTPUT_FORMATS.includes(format) || format === 'split') {
    throw new UsageError(`--output-format must be one of ${OUTPUT_FORMATS.filter((f) => f !== 'split').join(', ')}`);
  }
  if (path.resolve(out) === path.resolve(file)) throw new UsageError('-o OUT is the input image; write somewhere else');
  const source = new FileSource(file);
  try {
    const image = new SparseImage(source.sizeBytes, new MemoryStore(), { source, dataRanges: fileDataRanges(file, source) });
    const maxPiece = flag(args, 'max-piece-bytes');
    const sde = process.env.SOURCE_DATE_EPOCH;
    const files = await writeOutput(image, { seed: seedOption(args) ?? DEFAULT_SEED, partitions: [] }, format, out, {
      ...(maxPiece !== undefined ? { maxPieceBytes: parseSize(maxPiece) } : {}),
      ...(sde !== undefined && /^\d+$/.test(sde) ? { sourceDateEpoch: Number(sde) } : {}),
    });
    const result = { files: files.map((f) => path.resolve(f)), format, sizeBytes: image.sizeBytes, mappedBytes: image.mappedBytes };
    process.stdout.write(args.flags.has('json') ? toJson(result) + '\n' : `Wrote ${result.files.join(', ')} (${format}) from ${file}: ${image.mappedBytes} of ${image.sizeBytes} bytes hold data.\n`);
  } finally {
    source.close();
  }
}

function runPresets(args: ParsedArgs): void {
  if (args.positionals.length) throw new UsageError('presets takes no arguments');
  if (args.flags.has('json')) {
    process.stdout.write(toJson(PRESETS.map((p) => ({ name: p.name, title: p.title, description: p.description, like: p.like, bootsWith: p.bootsWith, inputs: p.inputs, spec: p.spec }))) + '\n');
    return;
  }
  const out: string[] = [];
  for (const p of PRESETS) {
    out.push(`${p.name} — ${p.title} (like ${p.like})${p.bootsWith.length ? ` · boots under ${p.bootsWith.join(', ')}` : ''}`, `  ${p.description}`);
    for (const i of p.inputs) out.push(`  needs ${i.path}: ${i.description}`);
    out.push('');
  }
  out.push('Build one with: partwright build --preset NAME -o OUT.img --copy-source DIR (DIR holds the files above)');
  process.stdout.write(out.join('\n') + '\n');
}

function runInspect(args: ParsedArgs): void {
  const file = exactlyOne(args, 'IMG (an image file)');
  const source = new FileSource(file);
  try {
    const report = inspectImage(source);
    process.stdout.write(args.flags.has('json') ? toJson(report) + '\n' : formatInspection(report) + '\n');
  } finally {
    source.close();
  }
}
