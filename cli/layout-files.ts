/**
 * Reading a LAYOUT argument from disk: a repart.d directory (every `*.conf`) or a layout JSON file,
 * and resolving the paths a layout names (blob sources, CopyBlocks=, the base image).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../workers/model/errors.ts';
import { parseLayoutJson } from '../workers/model/layout-json.ts';
import { parseRepartDirectory } from '../workers/model/repart-conf.ts';
import type { ImageSpec } from '../workers/model/spec.ts';
import type { Diagnostic } from '../workers/model/diagnostics.ts';

export interface LoadedLayout {
  spec: ImageSpec;
  /** Warnings the import found (unknown keys …); errors are thrown. */
  warnings: Diagnostic[];
  /** Relative paths in the layout (blob sources, base image) resolve against this folder. */
  layoutDir: string;
}

export function loadLayout(layoutPath: string): LoadedLayout {
  let st: fs.Stats;
  try {
    st = fs.statSync(layoutPath);
  } catch {
    throw new PartwrightError(ErrorCode.Io, `Layout ${layoutPath} does not exist: give a repart.d directory or a layout .json file.`);
  }
  if (st.isDirectory()) {
    const names = fs.readdirSync(layoutPath).filter((n) => n.endsWith('.conf')).sort();
    if (names.length === 0) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `${layoutPath} holds no *.conf partition definitions.`);
    }
    const files = names.map((name) => ({ name, text: fs.readFileSync(path.join(layoutPath, name), 'utf8') }));
    const { spec, diagnostics } = parseRepartDirectory(files);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
      throw new PartwrightError(ErrorCode.ConfSyntax, `${path.join(layoutPath, first.file)}:${first.line}: ${first.message}${more}`, {
        where: `${first.file}:${first.line}`,
      });
    }
    return { spec, warnings: diagnostics.filter((d) => d.severity !== 'error'), layoutDir: path.resolve(layoutPath) };
  }
  const text = fs.readFileSync(layoutPath, 'utf8');
  const spec = parseLayoutJson(text);
  return { spec, warnings: [], layoutDir: path.dirname(path.resolve(layoutPath)) };
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
