/**
 * Errors of the command line. A `UsageError` is the user's mistake (a bad
 * flag, a missing file): the runner prints its message alone, without a
 * stack, and exits with `EXIT.usage`.
 */
import { ForkpoolError } from '../errors.js';

export class UsageError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_USAGE';
}

/** One input line could not be parsed; the item is recorded as failed and the run goes on. */
export class InputLineError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_INPUT_LINE';
  readonly line: number;
  constructor(source: string, line: number, why: string) {
    super(`${source} line ${line}: ${why}`);
    this.line = line;
  }
}

/**
 * Exit codes, in the spirit of GNU parallel: the number of failed items, capped.
 * Documented in docs/cli.md.
 */
export const EXIT = {
  ok: 0,
  /** 1..100: that many items failed. */
  maxCounted: 100,
  /** More than 100 items failed. */
  manyFailed: 101,
  /** Stopped by Ctrl-C (SIGINT): 128 + signal number, as shells report it. */
  interrupted: 130,
  /** Bad command line, missing module or export, unreadable input, refused journal. */
  usage: 255,
} as const;

export function exitCodeFor(failed: number): number {
  if (failed === 0) return EXIT.ok;
  return failed <= EXIT.maxCounted ? failed : EXIT.manyFailed;
}
