/**
 * Reading a LAYOUT argument from disk: a repart.d directory (every `*.conf`) or a layout JSON file,
 * and resolving the paths a layout names (blob sources, CopyBlocks=, the base image).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { cloudInitSpecProblems } from '../../model/cloud-init.ts';
import { jsonValueLines, parseLayoutJson } from '../../model/layout-json.ts';
import {
  parseOsRelease, parseRepartDirectories, specifierValuesFromOsRelease, type ConfFile, type DefinitionSource,
} from '../../model/repart-conf.ts';
import type { ImageSpec } from '../../model/spec.ts';
import type { ParseEnv } from '../../model/fields.ts';
import type { Diagnostic } from '../../model/diagnostics.ts';

export interface LoadedLayout {
  spec: ImageSpec;
  /** Warnings the import found (unknown keys …); errors are thrown. */
  warnings: Diagnostic[];
  /** Relative paths in the layout (blob sources, base image) resolve against this folder. */
  layoutDir: string;
  /** repart.d layouts: which files each partition came from (one entry per partition). */
  sources: DefinitionSource[] | undefined;
}

/** A definitions directory's files: `*.conf` at the top, drop-ins in `NAME.conf.d/*.conf`. */
function readDefinitionsDir(dir: string): ConfFile[] {
  const files: ConfFile[] = [];
  const regular = (p: string): boolean => {
    try {
      // A definition masked by a symlink to /dev/null (conf_files_list's masking) is left out.
      if (fs.lstatSync(p).isSymbolicLink() && fs.readlinkSync(p) === '/dev/null') return false;
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (name.endsWith('.conf') && regular(full)) files.push({ name, text: fs.readFileSync(full, 'utf8') });
    else if (name.endsWith('.conf.d') && fs.statSync(full).isDirectory()) {
      for (const d of fs.readdirSync(full).sort()) {
        const p = path.join(full, d);
        if (d.endsWith('.conf') && regular(p)) files.push({ name: `${name}/${d}`, text: fs.readFileSync(p, 'utf8') });
      }
    }
  }
  return files;
}

/**
 * Load a layout: one layout .json file, or one or more repart.d directories merged as
 * `systemd-repart --definitions=A --definitions=B` merges them (see parseRepartDirectories). An empty
 * definitions directory is a layout without partitions (repart writes an empty GPT, or leaves an
 * existing table alone).
 */
export function loadLayout(layoutPath: string | readonly string[], env?: ParseEnv): LoadedLayout {
  const paths = typeof layoutPath === 'string' ? [layoutPath] : layoutPath;
  const first = paths[0];
  if (first === undefined) throw new PartwrightError(ErrorCode.Io, 'No layout given: give a repart.d directory or a layout .json file.');
  const stats = paths.map((p) => {
    try {
      return fs.statSync(p);
    } catch {
      throw new PartwrightError(ErrorCode.Io, `Layout ${p} does not exist: give a repart.d directory or a layout .json file.`);
    }
  });
  if (stats.every((st) => st.isDirectory())) {
    const dirs = paths.map((dir) => ({ dir, files: readDefinitionsDir(dir) }));
    const { spec, diagnostics, sources } = parseRepartDirectories(dirs, env);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const e = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
      throw new PartwrightError(ErrorCode.ConfSyntax, `${e.file}:${e.line}: ${e.message}${more}`, {
        where: `${e.file}:${e.line}`,
      });
    }
    return { spec, warnings: diagnostics.filter((d) => d.severity !== 'error'), layoutDir: path.resolve(first), sources };
  }
  if (paths.length > 1) {
    throw new PartwrightError(ErrorCode.InvalidSpec, 'Several layouts can only be repart.d directories (a layout .json file stands alone).');
  }
  const text = fs.readFileSync(first, 'utf8');
  // Problems name the file as given (`layouts/vm.json: preset: must be one of …`).
  const spec = parseLayoutJson(text, first);
  // What the importer warns about in a repart.d directory (first-boot settings that need another, a
  // seed partition that is not there), at the line of its key: the engine's validation, not refused here.
  const lines = jsonValueLines(text);
  const warnings: Diagnostic[] = cloudInitSpecProblems(spec).map((p) => ({
    file: first,
    line: lines.get(`cloudInit.${p.field}`) ?? lines.get('cloudInit') ?? 1,
    severity: 'warning',
    message: `cloudInit.${p.field}: ${p.message} A build refuses this layout until it is fixed.`,
  }));
  return { spec, warnings, layoutDir: path.dirname(path.resolve(first)), sources: undefined };
}

/**
 * The specifier values a CLI run uses (%A, %H, …): from `--os-release FILE` and the options that
 * override single fields, %T=/tmp and %V=/var/tmp; the building machine's host name, machine ID, boot
 * ID, kernel release and architecture only with `--host-specifiers`. Any other specifier used in a
 * layout is an error naming file and line.
 */
export function specifierEnv(o: {
  osReleasePath?: string; imageVersion?: string; imageId?: string; architecture?: string; hostSpecifiers?: boolean;
}): ParseEnv {
  let osRelease: Record<string, string> = {};
  if (o.osReleasePath !== undefined) {
    try {
      osRelease = parseOsRelease(fs.readFileSync(o.osReleasePath, 'utf8'));
    } catch {
      throw new PartwrightError(ErrorCode.Io, `--os-release ${o.osReleasePath}: cannot read the file`);
    }
  }
  const values = specifierValuesFromOsRelease(osRelease);
  if (o.hostSpecifiers) {
    const read = (p: string) => {
      try {
        return fs.readFileSync(p, 'utf8').trim();
      } catch {
        return undefined;
      }
    };
    const hostname = os.hostname();
    values.H = hostname;
    values.l = hostname.split('.')[0] ?? hostname;
    values.q = hostname;
    const machineId = read('/etc/machine-id');
    if (machineId) values.m = machineId;
    const bootId = read('/proc/sys/kernel/random/boot_id');
    if (bootId) values.b = bootId.replace(/-/g, '');
    values.v = os.release();
    const arch: Record<string, string> = { x64: 'x86-64', arm64: 'arm64', ia32: 'x86', arm: 'arm', riscv64: 'riscv64', ppc64: 'ppc64-le', s390x: 's390x', loong64: 'loongarch64' };
    const a = arch[os.arch()];
    if (a) values.a = a;
  }
  if (o.architecture !== undefined) values.a = o.architecture;
  if (o.imageVersion !== undefined) values.A = o.imageVersion;
  if (o.imageId !== undefined) values.M = o.imageId;
  return { specifiers: values };
}

/**
 * Where a path named in a layout points. Absolute paths are taken under `copySource` when one is
 * given (as systemd-repart's --copy-source); relative paths are Partwright's and resolve against the
 * layout's own folder so an example directory is self-contained.
 */
export function resolveLayoutPath(p: string, layoutDir: string, copySource: string | undefined): string {
  if (typeof p !== 'string' || p === '') throw new PartwrightError(ErrorCode.InvalidSpec, 'A path in the layout is empty or missing.');
  if (path.isAbsolute(p)) return copySource ? chaseUnder(copySource, p) : p;
  return path.resolve(layoutDir, p);
}

/** Symlinks followed before giving up, as the kernel's ELOOP limit. */
const MAX_SYMLINKS = 40;

/**
 * systemd's chase() with CHASE_PREFIX_ROOT: resolve `p` inside `root` as if `root` were `/`, every
 * symlink along the way included (an absolute target restarts at `root`, ".." stops at `root`), so a
 * copy source's own symlinks can never lead outside it. A missing component ends the walk (the
 * caller reports the missing file at the returned path).
 */
export function chaseUnder(root: string, p: string): string {
  const rootAbs = path.resolve(root);
  let todo = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const here = path.join(rootAbs, ...done, c);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(here);
    } catch {
      st = undefined;
    }
    if (!st?.isSymbolicLink()) {
      done.push(c);
      if (!st) return path.join(rootAbs, ...done, ...todo);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `${p}: more than ${MAX_SYMLINKS} symlinks while resolving it inside the copy source ${rootAbs} (a loop?).`);
    }
    const target = fs.readlinkSync(here);
    const parts = target.split('/').filter((x) => x !== '' && x !== '.');
    if (target.startsWith('/')) done.length = 0;
    todo = [...parts, ...todo];
  }
  return path.join(rootAbs, ...done);
}
