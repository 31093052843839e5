/**
 * Errors of the command line. A `UsageError` is the user's mistake (a bad
 * flag, a missing file): the runner prints its message alone, without a
 * stack, and exits with `EXIT.usage`.
 */
import { ForkpoolError } from '../errors.js';
import { loadFailure } from './load-error.js';
import { describeEnvironmentError, isEnvironmentError } from './errno.js';

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
  /** Redis lost the run's data (`--redis`): the journal is valid, `--resume` runs the rest. */
  backendLost: 102,
  /** Stopped by Ctrl-C (SIGINT): 128 + signal number, as shells report it. */
  interrupted: 130,
  /** stdout's reader went away (`| head -1`): what a shell reports for a process killed by SIGPIPE. */
  brokenPipe: 141,
  /** Bad command line, missing module or export, unreadable input, refused journal. */
  usage: 255,
} as const;

export function exitCodeFor(failed: number): number {
  if (failed === 0) return EXIT.ok;
  return failed <= EXIT.maxCounted ? failed : EXIT.manyFailed;
}

/** What `toUsageError` needs to know about the run. */
export interface ErrorContext { moduleSpec: string; modulePath: string; exportName: string; exportNamed: boolean }

/**
 * Errors the run can end with → the one-line `UsageError` the user sees, by
 * error `code` (never by the wording of a message). Anything else is returned
 * unchanged: a bug, printed with its stack.
 */
export function toUsageError(err: unknown, ctx: ErrorContext): Error {
  if (err instanceof UsageError) return err;
  if (isEnvironmentError(err)) return new UsageError(describeEnvironmentError(err));
  const e = err as Error & { code?: string; exports?: string[]; cause?: unknown };
  switch (e?.code) {
    case 'ERR_FORKPOOL_UNKNOWN_TASK': {
      const what = ctx.exportNamed ? `has no exported function ${JSON.stringify(ctx.exportName)}` : 'has no default export; name the function to run as <module>#<export>';
      return new UsageError(`The module ${ctx.moduleSpec} ${what}${e.exports ? ` (it exports: ${e.exports.join(', ') || 'no functions'})` : `: ${e.message}`}`);
    }
    case 'ERR_FORKPOOL_POOL_BROKEN':
    case 'ERR_FORKPOOL_WORKER_START':
      return new UsageError(`The module ${ctx.moduleSpec} could not be loaded in the workers: ${loadFailure(e, ctx)}`);
    case 'ERR_FORKPOOL_JOURNAL_MISMATCH':
    case 'ERR_FORKPOOL_JOURNAL_CORRUPT':
    case 'ERR_FORKPOOL_JOURNAL_LOCKED':
    case 'ERR_FORKPOOL_NOT_A_JOURNAL':
    case 'ERR_FORKPOOL_USAGE':
      return new UsageError(e.message);
  }
  return e;
}
