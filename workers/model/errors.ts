/**
 * The engine's errors: a stable code plus a message that says what to fix. Expected outcomes that
 * are not bugs (a layout that does not fit, a corrupt table) are PartwrightErrors so every host (CLI,
 * worker, server) can print them as one line and the web app can place them next to a field.
 */
export const ErrorCode = {
  InvalidSpec: 'invalid-spec',
  ConfSyntax: 'conf-syntax',
  DoesNotFit: 'does-not-fit',
  Overlap: 'overlap',
  CorruptTable: 'corrupt-table',
  Io: 'io',
  BaseImage: 'base-image',
  Unsupported: 'unsupported',
  /** A content archive (tar, cpio, zip) that is damaged, truncated or unsafe to unpack; `detail.problem` says which. */
  CorruptArchive: 'corrupt-archive',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetail {
  /** Which field or file the error is about, for the UI (e.g. `partitions.2.sizeMaxBytes`, `10-root.conf:4`). */
  where?: string;
  /** The minimum disk size when a layout does not fit. */
  minimumSizeBytes?: number;
  [key: string]: unknown;
}

export class PartwrightError extends Error {
  readonly code: ErrorCode;
  readonly detail: ErrorDetail;
  constructor(code: ErrorCode, message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = 'PartwrightError';
    this.code = code;
    this.detail = detail;
  }
}

export function isPartwrightError(e: unknown): e is PartwrightError {
  return e instanceof PartwrightError;
}
