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

/**
 * The path given as the journal holds something else: its first line is not a
 * forkpool journal header (a JSON document, a CSV, any text). The journal never
 * overwrites such a file, in either mode; it is left byte for byte as it was.
 */
export class NotAJournalError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_NOT_A_JOURNAL';
  /** The path refused: the journal's, or its lock file's when that is what is not a file. */
  readonly path: string;
  /** What is there when it is not a regular file (`a FIFO (named pipe)`, `a directory`...); undefined for a file of other content. */
  readonly kind: string | undefined;
  constructor(path: string, kind?: string, role = 'a journal') {
    super(
      kind
        ? `The path ${JSON.stringify(path)} is ${kind}, not a regular file, so it cannot be used as ${role}. ` +
          `Refusing to touch it; pass the path of a regular file (or of one that does not exist yet).`
        : `The file ${JSON.stringify(path)} is not a forkpool journal (its first line is not a journal header). ` +
          `Refusing to overwrite it; pass another journal path, or move the file aside.`,
    );
    this.path = path;
    this.kind = kind;
  }
}

/** Who holds a journal's lock, as written in `<journal>.lock`. */
export interface JournalLockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  since: string;
}

/**
 * Another run holds the journal (its `<journal>.lock` names a live process, or
 * a process on another machine, which cannot be checked from here). Two runs
 * appending to one journal would interleave their records, so the second is
 * refused. A lock left by a crashed run on this machine is taken over
 * automatically; one from another machine must be deleted by hand once that
 * run is known to be gone.
 */
export class JournalLockedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_JOURNAL_LOCKED';
  readonly path: string;
  readonly lockPath: string;
  /** Undefined when the lock file could not be read (being written, or damaged), or when `breakPath` is what blocks. */
  readonly holder: JournalLockHolder | undefined;
  /** Set when the lock is stale but another run is taking it over: `<journal>.lock.break`, the file that blocks. */
  readonly breakPath: string | undefined;
  constructor(path: string, lockPath: string, holder: JournalLockHolder | undefined, breaking?: { path: string; holder: JournalLockHolder | undefined }) {
    const who = holder
      ? `pid ${holder.pid} on host ${JSON.stringify(holder.host)} since ${holder.since}`
      : 'an unknown run (the lock file is unreadable)';
    super(
      breaking
        ? `The journal ${JSON.stringify(path)} has a stale lock ${JSON.stringify(lockPath)} that another run is taking over ` +
          `(${breaking.holder ? `pid ${breaking.holder.pid} on host ${JSON.stringify(breaking.holder.host)}, ` : ''}it holds ${JSON.stringify(breaking.path)}). ` +
          `Run again in a moment; if no other run is starting on this journal, delete ${JSON.stringify(breaking.path)} and run again.`
        : `The journal ${JSON.stringify(path)} is in use by ${who}. Wait for that run to finish; ` +
          `if it is no longer running, delete ${JSON.stringify(lockPath)} and run again.`,
    );
    this.path = path;
    this.lockPath = lockPath;
    this.holder = holder;
    this.breakPath = breaking?.path;
  }
}
