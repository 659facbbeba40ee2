/**
 * Reading a LAYOUT argument from disk: a repart.d directory (every `*.conf`) or a layout JSON file,
 * and resolving the paths a layout names (blob sources, CopyBlocks=, the base image).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { parseLayoutJson } from '../../model/layout-json.ts';
import { parseRepartDirectory } from '../../model/repart-conf.ts';
import type { ImageSpec } from '../../model/spec.ts';
import type { Diagnostic } from '../../model/diagnostics.ts';

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
  if (path.isAbsolute(p)) return copySource ? path.join(copySource, p) : p;
  return path.resolve(layoutDir, p);
}
