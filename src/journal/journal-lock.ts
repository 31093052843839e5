/**
 * One run per journal: `<journal>.lock`, created exclusively (O_EXCL), holds
 * the owner's pid, host and start time. Two runs appending to one journal
 * would interleave records and break the next resume, so the second run is
 * refused with `JournalLockedError` naming the holder.
 *
 * A lock outlives its run only when the process died without running its
 * exit handlers (SIGKILL, a crash, power loss). Such a lock is stale and is
 * taken over when it was written on this host and its pid is not alive, or
 * was written before this machine booted (the pid may have been reused
 * since). A lock from another host cannot be checked from here: it is
 * refused, and the message says which file to delete once that run is gone.
 *
 * Taking over goes through `<journal>.lock.break` (also O_EXCL), so two runs
 * that find the same stale lock cannot both delete it and then each delete
 * the other's fresh lock. The break file names its run like the lock does;
 * it is held for microseconds, so one that stays was left by a run killed
 * while taking over: it is stale, and removed, when its run is dead (this
 * host), when it is empty or unreadable for over a second (it is written
 * in the same synchronous step that creates it), or after 10 seconds.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JournalLockedError, NotAJournalError, type JournalLockHolder } from './errors.js';
import { nonFileKind, refuseNonFile } from './journal-path.js';

/** A lock file with no readable owner younger than this is being written by its creator right now; older, it was torn by a crash. */
const UNREADABLE_LOCK_GRACE_MS = 5_000;
/** A `.break` file older than this was left by a run that died while taking over a lock (its pid may have been reused). */
const BREAK_GRACE_MS = 10_000;
/** An empty or unreadable `.break` file older than this was torn by a crash: its creator writes it right after creating it. */
const UNREADABLE_BREAK_GRACE_MS = 1_000;
/** How long a run waits for another run's take-over before giving up; a live take-over lasts microseconds. */
const MAX_WAIT_MS = 2_000;
const RETRY_MS = 20;

interface LockContent extends JournalLockHolder { token: string }

/** Locks still held by this process, released by the one exit handler below. */
const held = new Set<JournalLock>();
let exitHandlerInstalled = false;

export class JournalLock {
  readonly path: string;
  readonly #content: string;

  private constructor(path: string, content: string) {
    this.path = path;
    this.#content = content;
  }

  /** Takes the lock of the journal at `journalPath`, or throws JournalLockedError. */
  static async acquire(journalPath: string): Promise<JournalLock> {
    const path = `${journalPath}.lock`;
    // A FIFO or a device there would hang or flood the read of the lock (see journal-path.ts).
    refuseNonFile(path, `the lock file of the journal ${JSON.stringify(journalPath)}`);
    refuseNonFile(`${path}.break`, `the lock file of the journal ${JSON.stringify(journalPath)}`);
    const mine: LockContent = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
    const content = JSON.stringify(mine);
    const deadline = Date.now() + MAX_WAIT_MS;
    let breaker: FoundLock | undefined;
    for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt++) {
      if (tryCreate(path, content)) {
        const lock = new JournalLock(path, content);
        held.add(lock);
        if (!exitHandlerInstalled) {
          exitHandlerInstalled = true;
          // An exiting process (process.exit, end of the event loop, a handled signal) leaves no lock behind.
          process.on('exit', () => { for (const l of held) l.release(); });
        }
        return lock;
      }
      const found = readLock(path);
      if (found === 'gone') continue;
      if (!isStale(path, found)) throw new JournalLockedError(journalPath, path, holderOf(found));
      breaker = takeOver(path, found);
      if (breaker) await sleep(RETRY_MS);
    }
    // Still blocked by a live run's take-over: say so, naming the break file, not the stale lock.
    throw new JournalLockedError(journalPath, path, undefined, breaker && { path: `${path}.break`, holder: breaker.owner && holderOf(breaker) });
  }

  /** Deletes the lock file if it is still this one (a lock taken over as stale by mistake is not ours to delete). Idempotent. */
  release(): void {
    if (!held.delete(this)) return;
    try {
      if (readFileSync(this.path, 'utf8') === this.#content) unlinkSync(this.path);
    } catch { /* already gone */ }
  }
}

/** Creates the lock file with `content` unless it exists. */
function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

interface FoundLock {
  raw: string;
  /** Undefined when unreadable: being written right now, or torn by a crash. */
  owner: LockContent | undefined;
}

/** The lock's content, or `gone` when it was deleted meanwhile. */
function readLock(path: string): FoundLock | 'gone' {
  let fd: number;
  try {
    // O_NONBLOCK and a check of what was opened: a FIFO put there since must not hang this read.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  let raw: string;
  try {
    const kind = nonFileKind(fstatSync(fd));
    if (kind) throw new NotAJournalError(path, kind, 'a lock file');
    raw = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  try {
    const o = JSON.parse(raw) as Partial<LockContent>;
    const valid = typeof o === 'object' && o !== null && Number.isSafeInteger(o.pid) && typeof o.host === 'string' && typeof o.since === 'string';
    return { raw, owner: valid ? o as LockContent : undefined };
  } catch {
    return { raw, owner: undefined };
  }
}

function holderOf(found: FoundLock): JournalLockHolder | undefined {
  return found.owner && { pid: found.owner.pid, host: found.owner.host, since: found.owner.since };
}

function isStale(path: string, found: FoundLock): boolean {
  if (!found.owner) return ageMs(path) > UNREADABLE_LOCK_GRACE_MS;
  const { pid, host, since } = found.owner;
  if (host !== hostname()) return false;
  const bootedAt = Date.now() - uptime() * 1000;
  return Date.parse(since) < bootedAt || !pidAlive(pid);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Deletes the stale lock whose content was `found`, under the break lock.
 * Returns undefined when done, or the break file of another run taking over
 * right now (the caller waits and looks again); a stale break file is removed.
 */
function takeOver(path: string, found: FoundLock): FoundLock | undefined {
  const breakPath = `${path}.break`;
  const mine: LockContent = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
  if (!tryCreate(breakPath, JSON.stringify(mine))) {
    const other = readLock(breakPath);
    if (other === 'gone') return undefined;
    // Re-read just before deleting: a new break file (another run's) has other content and is kept.
    if (breakIsStale(breakPath, other)) {
      const again = readLock(breakPath);
      if (again !== 'gone' && again.raw === other.raw) unlinkQuiet(breakPath);
    }
    return other;
  }
  try {
    // Delete only what was judged stale: another run may have replaced it since.
    const now = readLock(path);
    if (now !== 'gone' && now.raw === found.raw) unlinkQuiet(path);
  } finally {
    unlinkQuiet(breakPath);
  }
  return undefined;
}

/** A break file left by a run that died while taking over (see the top of this file). Older forkpools wrote only a pid. */
function breakIsStale(path: string, found: FoundLock): boolean {
  const age = ageMs(path);
  if (age > BREAK_GRACE_MS) return true;
  const legacyPid = /^\d+$/.test(found.raw) ? Number(found.raw) : undefined;
  if (legacyPid !== undefined) return !pidAlive(legacyPid);
  if (!found.owner) return age > UNREADABLE_BREAK_GRACE_MS;
  return found.owner.host === hostname() && !pidAlive(found.owner.pid);
}

function unlinkQuiet(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}
