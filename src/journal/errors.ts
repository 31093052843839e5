/**
 * Typed errors of the journal. They extend forkpool's base error so users
 * match them on `code` like every other forkpool failure.
 */
import { ForkpoolError } from '../errors.js';

/**
 * The journal on disk was written for a different run: another task, another
 * keying, or an input that changed since. Resuming would mix two runs, so the
 * journal refuses; start over with `journalMode: 'overwrite'` (CLI: `--force`).
 */
export class JournalMismatchError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_JOURNAL_MISMATCH';
  readonly path: string;
  constructor(path: string, what: string) {
    super(
      `The journal ${JSON.stringify(path)} belongs to a different run: ${what}. ` +
        `Refusing to mix the two; pass journalMode: 'overwrite' (CLI: --force) to start over, or use another journal file.`,
    );
    this.path = path;
  }
}

/**
 * The journal has a damaged record before its last line. A crash can only
 * tear the last line (that one is dropped silently), so damage elsewhere
 * means the file was edited or the disk lost data: it is reported, never
 * guessed around.
 */
export class JournalCorruptError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_JOURNAL_CORRUPT';
  readonly path: string;
  readonly line: number;
  constructor(path: string, line: number, why: string) {
    super(`The journal ${JSON.stringify(path)} is damaged at line ${line}: ${why}. Move it aside to start over.`);
    this.path = path;
    this.line = line;
  }
}
