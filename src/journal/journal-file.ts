/**
 * The journal file: JSON Lines, append-only, one header line then one record
 * per finished item (formats in journal-format.ts).
 *
 * This module opens a journal and puts its parts together:
 *
 *   open ──► refuse a path that is not a regular file (journal-path.ts: a device, FIFO, socket, directory)
 *        ──► lock (journal-lock.ts) ──► sniff: no file, a journal, or someone's data (refused, untouched)
 *        ──► resume: index the records (journal-index.ts), cut a torn last line
 *        ──► else:   stage a fresh header in a temporary file, renamed into place
 *                    at the first record, or at close unless the run could not start
 *        ──► appends go through the writer (journal-writer.ts); recorded items are
 *            looked up in the index and read back one by one; close releases the lock.
 *
 * Why staged: a run that could not start (a Redis it cannot use, a module
 * its workers cannot load) must not have replaced the journal it found,
 * whose records a resume still needs (`overwrite`, `--force`), nor leave a
 * header-only journal that refuses the plain rerun. The writer's file handle
 * stays valid across the rename (a rename moves the name, not the file).
 */
import { open, mkdir, readdir, realpath, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { JournalCorruptError, JournalMismatchError } from './errors.js';
import { JOURNAL_VERSION, decodeRecord, type JournalHeader, type RecordedOutcome, type StoredRecord } from './journal-format.js';
import { indexJournal, sniff, RecordReader, type RecordRef } from './journal-index.js';
import { JournalLock } from './journal-lock.js';
import { refuseNonFile, resolveJournalPath } from './journal-path.js';
import { JournalWriter } from './journal-writer.js';
import { asV8, CodecError } from './value-codec.js';

export { SYNC_GROUP, SYNC_AFTER_MS } from './journal-writer.js';
export { JOURNAL_VERSION, type JournalHeader, type StoredRecord } from './journal-format.js';
export type { RecordRef } from './journal-index.js';

export type JournalMode = 'resume' | 'overwrite';

export class JournalFile {
  readonly path: string;
  readonly header: JournalHeader;
  /**
   * Records found on open, by lookup key (index for default keying, key otherwise). With
   * custom keys it also holds the keys this run has claimed (see `claim`): a number is the
   * input index that claimed it. One map, so a resumed key costs no second entry.
   */
  readonly #refs: Map<string, RecordRef | number>;
  /** Number of distinct items recorded when the journal was opened. */
  readonly recordedOnOpen: number;
  readonly #reader: RecordReader;
  readonly #writer: JournalWriter;
  readonly #lock: JournalLock;
  /** A fresh journal not yet in place: its temporary file and where it goes (see the top of this file). */
  #staged: Staged | undefined;

  private constructor(path: string, header: JournalHeader, writer: JournalWriter, refs: Map<string, RecordRef>, lock: JournalLock, staged?: Staged) {
    this.path = path;
    this.#staged = staged;
    this.header = header;
    this.#writer = writer;
    this.#refs = refs;
    this.recordedOnOpen = refs.size;
    this.#reader = new RecordReader(path);
    this.#lock = lock;
  }

  /**
   * Opens (or creates) a journal, holding its lock until `close`. An existing
   * file that is not a journal, or a path that is not a regular file (a
   * device, FIFO, socket or directory), is refused (`NotAJournalError`) in
   * either mode and left untouched. In `resume` mode an existing journal must have been
   * written for the same task, keying and input, else `JournalMismatchError`.
   */
  static async open(
    path: string, header: Omit<JournalHeader, 'forkpool' | 'version' | 'created'>, mode: JournalMode,
    inputGrew?: (recorded: Record<string, unknown>) => boolean | Promise<boolean>,
    chunksize = 1,
  ): Promise<JournalFile> {
    const full: JournalHeader = { forkpool: 'journal', version: JOURNAL_VERSION, ...header, created: new Date().toISOString() };
    // Before the lock: a device path must not even get a `<device>.lock` beside it (named as given).
    refuseNonFile(path);
    // One file, one lock, whatever name the caller gave it (journal-path.ts).
    path = resolveJournalPath(path);
    await mkdir(dirname(path), { recursive: true }).catch(() => { /* reported by open() below, with the path */ });
    const lock = await JournalLock.acquire(path);
    try {
      // Whatever this run does with the journal, a staged one left by a killed run is nobody's now.
      await removeStale(path);
      if ((await sniff(path)) === 'journal' && mode === 'resume') {
        const existing = await indexJournal(path, full.keying);
        if (existing) {
          // An input that only grew (the recorded one is its prefix) resumes: the old items keep
          // their positions and keys, the new ones run. The header keeps the identity it was
          // written with, so the next growth is checked against the same prefix.
          const old = existing.header.input;
          const grew = old && full.input && JSON.stringify(old) !== JSON.stringify(full.input) && inputGrew ? await inputGrew(old) : false;
          checkSameRun(path, existing.header, grew ? { ...full, input: old } : full);
          const fh = await open(path, 'r+');
          // Cut a torn tail so the next record starts on a line of its own.
          if (existing.goodBytes < existing.fileBytes) {
            await fh.truncate(existing.goodBytes);
            await fh.datasync();
          }
          await fh.close();
          return new JournalFile(path, existing.header, new JournalWriter(path, await open(path, 'a'), chunksize), existing.refs, lock);
        }
      }
      const staged = await stageFresh(path, full);
      try {
        return new JournalFile(path, full, new JournalWriter(staged.tmp, await open(staged.tmp, 'a'), chunksize), new Map(), lock, staged);
      } catch (err) {
        await unlink(staged.tmp).catch(() => { /* the open failed before creating anything */ });
        throw err;
      }
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  lookup(lookupKey: string): RecordRef | undefined {
    const ref = this.#refs.get(lookupKey);
    return typeof ref === 'number' ? undefined : ref;
  }

  /**
   * Claims a custom key for the item at `index` of this run, and returns its
   * record if the journal holds one; a number instead is the index of an
   * earlier item of this run that claimed the same key. Two items under one
   * key would share one record, so a resume would hand one item's result to
   * the other: the caller refuses that. The record's entry is replaced by the
   * index, so on resume the claim costs nothing beyond the index already kept
   * (the record is read back at once, or run again, and not looked up later).
   */
  claim(key: string, index: number): RecordRef | number | undefined {
    const found = this.#refs.get(key);
    this.#refs.set(key, typeof found === 'number' ? found : index);
    return found;
  }

  /** Reads a record found on open back from disk, with its value or error rebuilt. */
  readOutcome(ref: RecordRef): RecordedOutcome {
    const rec = this.#reader.read(ref);
    try {
      return decodeRecord(rec, this.header.version === 1);
    } catch (err) {
      if (err instanceof CodecError) throw new JournalCorruptError(this.path, ref.line, err.message);
      throw err;
    }
  }

  /** Appends a record; see JournalWriter.append for when it is durable. The first one puts a fresh journal in place. */
  append(record: StoredRecord): Promise<void> {
    let line: string | undefined = lineOf(record);
    // Nested too deep for JSON.stringify here (a few thousand levels): as V8 bytes if this process
    // can write them, else not recorded (it runs again on resume) rather than failing the whole run.
    if (line === undefined && record.ok && Object.hasOwn(record, 'v')) {
      const bytes = asV8((record as { v?: unknown }).v);
      if (bytes) line = lineOf({ ...record, v: undefined, ...bytes } as StoredRecord);
    }
    if (line === undefined) return Promise.resolve();
    if (this.#staged) this.#putInPlace();
    return this.#writer.append(line);
  }

  /**
   * Renames a staged journal over the path, replacing any journal there.
   * Synchronous, before the first record is handed to the writer: the
   * writer's path (for its exit flush) and the file are then the journal's.
   */
  #putInPlace(): void {
    const staged = this.#staged!;
    this.#staged = undefined;
    // Checked on open; again here, as a rename would replace a device node put there since.
    refuseNonFile(staged.target);
    renameSync(staged.tmp, staged.target);
    this.#writer.movedTo(staged.target);
    syncDirectory(dirname(staged.target));
  }

  /** Last-resort synchronous flush for a process about to exit; see JournalWriter.flushSyncOnExit. */
  flushSyncOnExit(): void {
    this.#writer.flushSyncOnExit();
  }

  /**
   * Closes the journal and releases its lock. A fresh journal that recorded
   * nothing is put in place with `keepFresh` (the run started: it ended,
   * or was stopped); without it (the run could not start) it is dropped and
   * whatever was at the path stays as it was.
   */
  async close(keepFresh = true): Promise<void> {
    try {
      await this.#writer.close();
      if (this.#staged && keepFresh) this.#putInPlace();
    } finally {
      if (this.#staged) {
        try { unlinkSync(this.#staged.tmp); } catch { /* removed already */ }
        this.#staged = undefined;
      }
      this.#reader.close();
      this.#lock.release();
    }
  }
}

interface Staged { tmp: string; target: string }

/** Temporary files of this module: `<journal>.<8 hex>.tmp`. */
const STAGED_NAME = /^\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes a new journal holding only its header to a temporary file beside
 * the path, to be renamed into place (`putInPlace`): a header is never torn,
 * and a crash leaves the old journal or the new one, never half of either.
 */
async function stageFresh(path: string, header: JournalHeader): Promise<Staged> {
  // Through a symlink, replace its target, as opening the path for writing would.
  const target = await realpath(path).catch(() => path);
  // A random name and 'wx': never someone else's file, even one named like ours.
  const tmp = `${target}.${randomUUID().slice(0, 8)}.tmp`;
  const fh = await open(tmp, 'wx');
  try {
    try {
      await fh.write(`${JSON.stringify(header)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => { /* never created */ });
    throw err;
  }
  return { tmp, target };
}

/**
 * Removes staged journals left by runs killed before their first record.
 * Safe under the lock: only a run holding it stages a journal for this path.
 */
async function removeStale(target: string): Promise<void> {
  const dir = dirname(target);
  const prefix = basename(target);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && STAGED_NAME.test(name.slice(prefix.length))) {
      await unlink(join(dir, name)).catch(() => { /* gone, or not ours to remove */ });
    }
  }
}

function lineOf(record: StoredRecord): string | undefined {
  try {
    return JSON.stringify(record);
  } catch {
    return undefined;
  }
}

function checkSameRun(path: string, old: JournalHeader, now: JournalHeader): void {
  if (old.task !== now.task) {
    throw new JournalMismatchError(path, `it was written for task ${JSON.stringify(old.task)}, this run is task ${JSON.stringify(now.task)}`);
  }
  if (old.keying !== now.keying) {
    throw new JournalMismatchError(path, `it was keyed with ${old.keying} keys, this run uses ${now.keying} keys`);
  }
  if (old.input && now.input && JSON.stringify(old.input) !== JSON.stringify(now.input)) {
    throw new JournalMismatchError(path, `the input changed since it was written (then ${describe(old.input)}, now ${describe(now.input)})`);
  }
}

function describe(input: Record<string, unknown>): string {
  return Object.entries(input).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** Makes a newly created file's directory entry durable too; best effort (not every platform allows it). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported here: the file's own fsync still holds its data */ }
}
