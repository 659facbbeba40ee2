/**
 * Messages about user input (repart.d files, layout JSON) that point at the place to fix:
 * `10-root.conf:4: Failed to parse size value: 12Q`. Importers collect them instead of throwing so
 * the app can list every problem at once; `severity: 'error'` means the input is refused (as real
 * systemd-repart would refuse it), `'warning'` means something was ignored and the rest still holds.
 */
import { ErrorCode, PartwrightError } from './errors.ts';

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic {
  /** File name (`10-root.conf`, `layout.json`). */
  file: string;
  /** 1-based line, or 0 when the problem is not tied to a line (JSON input, a whole file). */
  line: number;
  severity: DiagnosticSeverity;
  message: string;
  /** For JSON input: where in the document (`partitions[2].sizeMinBytes`). */
  path?: string;
}

/** One line, as systemd prints it: `file:line: message`, or `file: path: message` for JSON. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  const path = d.path !== undefined && d.path !== '' ? ` ${d.path}:` : '';
  return `${where}:${path} ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * A PartwrightError summarising the errors (code `conf-syntax` for repart.d, `invalid-spec` for
 * JSON), or undefined when there are none. `detail.diagnostics` carries the full list.
 */
export function diagnosticsError(
  diagnostics: readonly Diagnostic[],
  code: ErrorCode = ErrorCode.ConfSyntax,
): PartwrightError | undefined {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  if (!first) return undefined;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new PartwrightError(code, `${formatDiagnostic(first)}${more}`, {
    where: first.line > 0 ? `${first.file}:${first.line}` : (first.path ?? first.file),
    diagnostics: errors,
  });
}
