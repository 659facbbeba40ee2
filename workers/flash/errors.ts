/**
 * What can go wrong while talking to a fastboot device, as coded errors the UI can act on. Every
 * flash failure is a `FlashError` (a `PartwrightError` with code `io`), with `detail.problem` naming
 * the case and `detail.partial` saying whether the device may now be half-written.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

export const FlashProblem = {
  /** The device answered FAIL; `detail.deviceMessage` holds its text. */
  DeviceFailed: 'device-failed',
  /** The device went away (unplugged, rebooted, connection closed). */
  Disconnected: 'disconnected',
  /** The device stopped answering. */
  Timeout: 'timeout',
  /** Another program holds the USB interface (claimInterface failed). */
  DeviceBusy: 'device-busy',
  /** The browser or the OS refused to open the device (permissions, udev rules). */
  AccessDenied: 'access-denied',
  /** No fastboot interface on the chosen device, or no device chosen. */
  NoDevice: 'no-device',
  /** The caller aborted. */
  Aborted: 'aborted',
  /** The device said something the protocol does not allow. */
  Protocol: 'protocol',
  /** The image does not fit the target partition or the device's limits. */
  TooLarge: 'too-large',
} as const;
export type FlashProblem = (typeof FlashProblem)[keyof typeof FlashProblem];

export class FlashError extends PartwrightError {
  readonly problem: FlashProblem;
  constructor(problem: FlashProblem, message: string, detail: Record<string, unknown> = {}) {
    super(ErrorCode.Io, message, { ...detail, problem });
    this.name = 'FlashError';
    this.problem = problem;
  }
}

export function isFlashError(e: unknown): e is FlashError {
  return e instanceof FlashError;
}

/** The AbortSignal's reason as a FlashError. */
export function abortedError(): FlashError {
  return new FlashError(FlashProblem.Aborted, 'Flashing was cancelled.');
}

/** A flash failure as plain data (for crossing comlink, which keeps only name/message/stack of errors). */
export interface FlashFailure {
  problem: FlashProblem;
  message: string;
  /** True when writing had started: the device holds part of the image and no valid table. */
  partial: boolean;
  /** The device's FAIL text, when it sent one. */
  deviceMessage?: string;
}

/** `FlashFailure` for a FlashError; undefined for anything else (a bug: rethrow it). */
export function flashFailure(e: unknown): FlashFailure | undefined {
  if (!isFlashError(e)) return undefined;
  const failure: FlashFailure = { problem: e.problem, message: e.message, partial: e.detail['partial'] === true };
  if (typeof e.detail['deviceMessage'] === 'string') failure.deviceMessage = e.detail['deviceMessage'];
  return failure;
}
