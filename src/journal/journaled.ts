/**
 * `journaled`: runs items through a pool's `imapSettled`, skipping those the
 * journal already holds, and appends every new result to the journal.
 *
 *   input ──► feeder ──┬── recorded in journal? ──► read back ─────────┐
 *                      ├── rejected by `invalid`? ──► failed now ───────┤
 *                      └── else ──► pool.imapSettled (unordered) ──► append ──► (reorder) ──► caller
 *
 * Recorded items and pool results are merged here, and put in input order
 * when the caller asks for it (the pool then runs ordered too, so a slow
 * early item holds back reading rather than filling memory). A result is appended to
 * the journal before it is yielded, so a caller that saw a result can rely
 * on the journal holding it once the next sync group is on disk (see
 * journal-writer.ts for the bound).
 *
 * Outcomes that say nothing about the item (the pool was terminated or
 * closed, the run was aborted, the task name is unknown, the pool is broken)
 * are yielded but not recorded, so a resumed run retries those items. So
 * is a result V8 cannot serialize (a function, from a pool stand-in): the
 * journal could not give it back.
 */
import { randomBytes } from 'node:crypto';
import { invalidArg, show } from '../errors.js';
import { JournalMismatchError } from './errors.js';
import { inputDigest, itemHash } from './fingerprint.js';
import { JournalFile, type RecordRef, type StoredRecord } from './journal-file.js';
import { encodeRecord, type RecordedOutcome } from './journal-format.js';
import { Deque } from '../util/deque.js';
import { JOB_NAMING, type JobNaming } from './job-naming.js';

/** One settled item, as `pool.imapSettled` yields it. */
export type SettledItem =
  | { index: number; ok: true; value: unknown; ms: number; workerId: number; endedAt?: number }
  | { index: number; ok: false; error: Error; ms: number; workerId: number; endedAt?: number };

/** A settled item from `journaled`: also its key, its input, and whether it came from the journal. */
export type JournaledItem = SettledItem & { key: string; item: unknown; fromJournal: boolean };

/** The part of a pool `journaled` needs. */
export interface JournalPool {
  imapSettled(
    name: string,
    items: AsyncIterable<unknown>,
    opts: {
      ordered: boolean; chunksize?: number; timeout?: number; signal?: AbortSignal; readAhead?: number;
      /** Each item is an argument list, spread into the task's parameters (a starmap). */
      spread?: boolean;
      /** How each item's job is named (the journal's keys and run id): see call-options.ts. */
      [JOB_NAMING]?: JobNaming;
    },
  ): AsyncIterable<SettledItem>;
}

export interface JournalOptions {
  /** Path of the journal file (JSON Lines). Created when missing, with its folder. */
  journal: string;
  /**
   * Identity of an item across runs. The default is `<index>:<hash of the item>`,
   * which also lets a rerun notice an item that changed. Each item of a run needs a key of
   * its own: a key returned for two items throws a TypeError (`ERR_FORKPOOL_INVALID_ARG`)
   * naming it and both indices, before the second item runs.
   * @default (item, index) => `${index}:${sha1(item)}`
   */
  key?: (item: unknown, index: number) => string;
  /**
   * `resume`: continue from an existing journal (refusing one from a different run).
   * `overwrite`: start over. The old journal is replaced at the first record,
   * or when the run ends, unless it could not run anything (see docs/journal.md).
   * @default 'resume'
   */
  journalMode?: 'resume' | 'overwrite';
  /**
   * Re-run items recorded as failed. With `false`, their recorded error is returned instead.
   * @default true
   */
  resumeFailed?: boolean;
}

export interface JournaledRunOptions extends JournalOptions {
  ordered: boolean;
  chunksize?: number;
  /**
   * Items the pool may hold between input and output. Results finished by
   * workers but not yet taken from the pool are not in the journal yet, so
   * this is part of what a crash of this process can make run again.
   * @default the pool's own
   */
  readAhead?: number;
  timeout?: number;
  signal?: AbortSignal;
  /**
   * What identifies the whole input, stored in the journal header and compared
   * on resume (the CLI passes the input file's size and digest). Defaults to
   * the count and digest of the items when `items` is an array and `key` is
   * the default, else none: with default keys, items are then checked one by
   * one against their recorded hash; with a custom key, the key is the identity.
   */
  inputIdentity?: Record<string, unknown>;
  /**
   * When the recorded input identity differs from `inputIdentity`: whether the
   * recorded input is a prefix of this one (an append-only file that grew).
   * If so the run resumes and only the new items run.
   */
  inputGrew?: (recorded: Record<string, unknown>) => boolean | Promise<boolean>;
  /** Settles an item as failed without running it when this returns an Error (the CLI's malformed lines). */
  invalid?: (item: unknown, index: number) => Error | undefined;
  /**
   * Called once the journal is open, with how many items it already held and
   * a last-resort synchronous flush for a process about to exit.
   */
  onOpen?: (info: { path: string; recorded: number; flushSync: () => void }) => void;
}

/** Codes of outcomes that are about the run, not the item: never recorded. */
const NOT_ABOUT_THE_ITEM = new Set([
  'ERR_FORKPOOL_TERMINATED', 'ERR_FORKPOOL_POOL_CLOSED', 'ERR_FORKPOOL_ABORTED',
  'ERR_FORKPOOL_UNKNOWN_TASK', 'ERR_FORKPOOL_POOL_BROKEN', 'ERR_FORKPOOL_WORKER_START',
  // The distributed backend failed, not the item: a resume runs it.
  'ERR_FORKPOOL_REDIS_DATA_LOST', 'ERR_FORKPOOL_REDIS_CONNECTION',
]);

/**
 * Codes that mean the run could not run anything (its task, workers or
 * backend are unusable). A run ended by one before it recorded an item leaves
 * the journal path as it found it: a fresh journal (`overwrite`, or none
 * there) is dropped, not put in place (journal-file.ts). Any other end puts
 * it in place: an interrupted `overwrite` has started over.
 */
const CANNOT_RUN = new Set([
  'ERR_FORKPOOL_UNKNOWN_TASK', 'ERR_FORKPOOL_POOL_BROKEN', 'ERR_FORKPOOL_WORKER_START',
  'ERR_FORKPOOL_REDIS_CONNECTION', 'ERR_FORKPOOL_MISSING_DEPENDENCY',
]);

interface Entry { index: number; key: string; hash: string; item: unknown }

export async function* journaled(
  pool: JournalPool,
  name: string,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  opts: JournaledRunOptions,
): AsyncIterableIterator<JournaledItem> {
  checkJournalOptions(opts);
  const customKey = opts.key;
  const resumeFailed = opts.resumeFailed ?? true;
  // With a custom key the caller owns item identity (a growing URL list is fine), so only the
  // default keying pins the whole input.
  // The digest hashes every item of an array input: the feeder reuses those hashes rather than hashing twice.
  const hashes: string[] | undefined = opts.inputIdentity == null && !customKey && Array.isArray(items) ? [] : undefined;
  const identity = opts.inputIdentity ?? (hashes ? inputDigest(items as unknown[], hashes) : null);
  // `run` identifies this run across resumes (the header is kept on resume; older journals have none).
  const header = { task: name, keying: customKey ? 'custom' as const : 'default' as const, input: identity, run: randomBytes(6).toString('hex') };
  const journal = opts.journal === NO_JOURNAL ? new NoJournal() : await JournalFile.open(opts.journal, header, opts.journalMode ?? 'resume', opts.inputGrew, opts.chunksize);
  const run = (journal.header as { run?: unknown } | undefined)?.run;
  opts.onOpen?.({ path: journal.path, recorded: journal.recordedOnOpen, flushSync: () => journal.flushSyncOnExit() });

  // Items settled without the pool (recorded, or rejected), waiting to be yielded.
  // A Deque: on resume most of a long input may wait here, and Array#shift is O(n).
  const direct = new Deque<JournaledItem>();
  // Items handed to the pool, by their position in the pool's input.
  const inPool = new Map<number, Entry>();
  let feederDone = false;
  let feederError: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => { wake?.(); wake = undefined; };
  // Set by an outcome saying the run cannot run anything (CANNOT_RUN), or by an input that threw.
  const failedToRun = { seen: false };

  async function* feeder(): AsyncGenerator<unknown> {
    let index = 0;
    let poolIndex = 0;
    try {
      for await (const item of items as AsyncIterable<unknown>) {
        const i = index++;
        const hash = hashes?.[i] ?? itemHash(item);
        const key = customKey ? String(customKey(item, i)) : `${i}:${hash}`;
        const ref = customKey ? claimKey(journal, key, i) : journal.lookup(String(i));
        if (ref && !customKey && ref.hash !== hash) {
          throw new JournalMismatchError(journal.path, `item ${i} differs from the one recorded at that index (hash ${hash}, recorded ${ref.hash})`);
        }
        if (ref && (ref.ok || !resumeFailed)) {
          direct.push(fromRecord(journal, ref, { index: i, key, hash, item }));
          notify();
          continue;
        }
        const bad = opts.invalid?.(item, i);
        if (bad) {
          const rejected: JournaledItem = { index: i, ok: false, error: bad, ms: 0, workerId: 0, key, item, fromJournal: false };
          direct.push(rejected);
          await record(journal, { index: i, key, hash, item }, rejected);
          notify();
          continue;
        }
        inPool.set(poolIndex++, { index: i, key, hash, item });
        yield item;
      }
    } catch (err) {
      feederError = err;
      failedToRun.seen = true;
    } finally {
      feederDone = true;
      notify();
    }
  }

  let results: AsyncIterator<SettledItem>;
  try {
    results = pool.imapSettled(name, feeder(), {
      // In input order, the pool's own ordered mode stops reading ahead while an early item is
      // slow, which bounds what waits here; the merge below then only interleaves recorded items.
      ordered: opts.ordered, chunksize: opts.chunksize, timeout: opts.timeout, signal: opts.signal,
      [JOB_NAMING]: { keyOf: (position) => inPool.get(position)?.key, indexOf: (position) => inPool.get(position)?.index, ...(typeof run === 'string' ? { run } : {}) },
      ...(opts.readAhead === undefined ? {} : { readAhead: opts.readAhead }),
    })[Symbol.asyncIterator]();
  } catch (err) {
    // Refused at the call (a pool already broken, closed or terminated): the journal and its
    // lock are let go here, as at any other end. Kept, they refused a rerun and a cleanup.
    await journal.close(false);
    throw err;
  }
  let poolDone = false;
  let nextResult: Promise<IteratorResult<SettledItem>> | undefined;
  const reorder = new Map<number, JournaledItem>();
  let nextOut = 0;

  try {
    for (;;) {
      if (feederError) throw feederError;
      // 1. Something ready without waiting?
      let ready: JournaledItem | undefined = direct.shift();
      // The pool ends after it drained the feeder, or early when the run was aborted: either way, done.
      if (!ready && poolDone) break;
      // 2. Else wait for the pool, or for the feeder to settle something directly.
      if (!ready) {
        nextResult ??= results.next();
        const woken = new Promise<'direct'>((resolve) => { wake = () => resolve('direct'); });
        const got = await Promise.race([nextResult, woken]);
        wake = undefined;
        if (got === 'direct') continue;
        nextResult = undefined;
        if (got.done) { poolDone = true; continue; }
        const settled = settleFromPool(journal, inPool, got.value, failedToRun);
        // Without a journal nothing is appended: no promise, no extra turn per item.
        ready = settled instanceof Promise ? await settled : settled;
      }
      // 3. Out it goes, in input order when asked.
      if (!opts.ordered) { yield ready; continue; }
      reorder.set(ready.index, ready);
      for (let r = reorder.get(nextOut); r; r = reorder.get(nextOut)) {
        reorder.delete(nextOut++);
        yield r;
      }
    }
  } catch (err) {
    // The pool's loop itself ends with the reason when the pool breaks or is
    // terminated while it waits for input (pool/imap.ts `end`): a reason that
    // nothing can run counts as an outcome saying so would.
    if (CANNOT_RUN.has(String((err as { code?: unknown } | null)?.code))) failedToRun.seen = true;
    throw err;
  } finally {
    // An early stop (break, throw, abort) closes the pool's iterator, which stops feeding it.
    if (!poolDone) await results.return?.().catch(() => undefined);
    await journal.close(!failedToRun.seen);
  }
}

/**
 * Pass as `journal` to run the same pipeline (keys, `invalid`, ordering)
 * without recording anything: the CLI does when it has no journal file.
 */
export const NO_JOURNAL = '\0no-journal';

/** The journal's interface with nothing behind it. */
class NoJournal {
  readonly path = '';
  readonly header = undefined;
  readonly recordedOnOpen = 0;
  lookup(): RecordRef | undefined { return undefined; }
  // Nothing is recorded, so no two items can share a record: keys are not kept.
  claim(): RecordRef | undefined { return undefined; }
  readOutcome(): RecordedOutcome { throw new Error('forkpool internal error: read from no journal'); }
  async append(_record: StoredRecord): Promise<void> { /* nothing is recorded */ }
  flushSyncOnExit(): void { /* nothing to flush */ }
  async close(_keepFresh?: boolean): Promise<void> { /* nothing to close */ }
}

type AnyJournal = JournalFile | NoJournal;

function settleFromPool(journal: AnyJournal, inPool: Map<number, Entry>, s: SettledItem, failedToRun: { seen: boolean }): JournaledItem | Promise<JournaledItem> {
  const entry = inPool.get(s.index);
  if (!entry) throw new Error(`forkpool internal error: the pool settled item ${s.index}, which it was never given`);
  inPool.delete(s.index);
  const out = journaledItem(s, entry, false, s.endedAt);
  if (journal instanceof NoJournal) return out;
  if (out.ok || !NOT_ABOUT_THE_ITEM.has(String((out.error as { code?: unknown }).code))) {
    return record(journal, entry, out).then(() => out);
  }
  if (CANNOT_RUN.has(String((out.error as { code?: unknown }).code))) failedToRun.seen = true;
  return out;
}

/** Appends an item's outcome, unless it cannot be stored (see encodeRecord): then it runs again on resume. */
async function record(journal: AnyJournal, entry: Entry, s: SettledItem): Promise<void> {
  // Nothing is recorded without a journal: not even encoded.
  if (journal instanceof NoJournal) return;
  const rec = encodeRecord(entry, s);
  if (rec) await journal.append(rec);
}

/**
 * The record of an item's custom key, after making sure no earlier item of
 * this run returned the same key: two items would share one record, and a
 * resume would return one item's result for both (journal.md promises the
 * output of an uninterrupted run). Thrown before the item runs or is recorded.
 */
function claimKey(journal: AnyJournal, key: string, index: number): RecordRef | undefined {
  const claimed = journal.claim(key, index);
  if (typeof claimed !== 'number') return claimed;
  throw invalidArg(TypeError, `The \`key\` function returned the same key ${show(key)} for items ${claimed} and ${index}: each item needs a key of its own, or a resume would give one item's recorded result to the other`);
}

function fromRecord(journal: AnyJournal, ref: RecordRef, entry: Entry): JournaledItem {
  return journaledItem(journal.readOutcome(ref), entry, true, undefined);
}

/**
 * An outcome with its item's identity. Built field by field: in Node 20's V8,
 * `{ ...outcome, key, item }` (a spread followed by more properties) took
 * about 6 µs per item, more than the rest of the CLI's bookkeeping for it.
 */
function journaledItem(o: RecordedOutcome, entry: Entry, fromJournal: boolean, endedAt: number | undefined): JournaledItem {
  const out: JournaledItem = o.ok
    ? { index: entry.index, ok: true, value: o.value, ms: o.ms, workerId: o.workerId, key: entry.key, item: entry.item, fromJournal }
    : { index: entry.index, ok: false, error: o.error, ms: o.ms, workerId: o.workerId, key: entry.key, item: entry.item, fromJournal };
  if (endedAt !== undefined) out.endedAt = endedAt;
  return out;
}

/** Checks journal options; exported so that `Pool.map` & co can reject bad ones at the call. */
export function checkJournalOptions(opts: JournalOptions): void {
  if (typeof opts.journal !== 'string' || opts.journal === '' || opts.journal.includes('\0') && opts.journal !== NO_JOURNAL) {
    throw invalidArg(TypeError, `Expected \`journal\` to be a file path, got ${show(opts.journal)}`);
  }
  if (opts.key !== undefined && typeof opts.key !== 'function') {
    throw invalidArg(TypeError, `Expected \`key\` to be a function (item, index) => string, got ${show(opts.key)}`);
  }
  if (opts.journalMode !== undefined && opts.journalMode !== 'resume' && opts.journalMode !== 'overwrite') {
    throw invalidArg(TypeError, `Expected \`journalMode\` to be 'resume' or 'overwrite', got ${show(opts.journalMode)}`);
  }
  if (opts.resumeFailed !== undefined && typeof opts.resumeFailed !== 'boolean') {
    throw invalidArg(TypeError, `Expected \`resumeFailed\` to be a boolean, got ${show(opts.resumeFailed)}`);
  }
}
