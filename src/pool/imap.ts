/**
 * Lazy `imap`: reads its input a chunk at a time, keeps at most `readAhead`
 * items between the input and the consumer (submitted, running, or finished
 * and waiting to be yielded in order), and yields each item's outcome.
 *
 * Python's imap reads the whole input first; this never holds more than the
 * read-ahead, so a 10-million-item generator runs in flat memory.
 *
 * With `adaptive`, chunks start at one item (the first results come as soon
 * as they would one by one) and grow from each chunk's measured time to about
 * TARGET_CHUNK_MS of work, up to `maxChunk`; the read-ahead grows with them,
 * `readAheadChunks` chunks. The input's length is never needed.
 */
import { AbortError } from '../errors.js';
import type { RunInfo, ChunkOutcome } from '../engine/task.js';
import { Deque } from '../util/deque.js';
import { nextPerItemMs, targetChunksize } from './chunking.js';

/**
 * One settled item, as `imapSettled` yields it. `ms` is the item's own run
 * time in its worker, also inside a chunk. `endedAt` is when it finished
 * (`Date.now()` clock of this process): the items of a chunk ran back to
 * back, the last one just before the chunk's result arrived.
 */
export type SettledItem<R = unknown> =
  | { index: number; ok: true; value: R; ms: number; workerId: number; endedAt?: number }
  | { index: number; ok: false; error: Error; ms: number; workerId: number; endedAt?: number };

/** A submitted chunk: `admitted` settles once the engine has taken it; `withdraw` drops it if it has not started. */
export interface SubmittedChunk {
  admitted: Promise<void> | void;
  withdraw(): void;
}

/** Submits one chunk (argument lists; `start`: the position of its first item in the input) and reports its end. */
export type ChunkRunner = (items: unknown[], done: (result: ChunkOutcome | Error, info: RunInfo) => void, start: number) => SubmittedChunk;

export interface ImapPlan {
  /** The chunk size; with `adaptive`, the first one. */
  chunksize: number;
  /** Most items between the input and the consumer; with `adaptive`, the least. */
  readAhead: number;
  adaptive?: { maxChunk: number; readAheadChunks: number };
  /** Yield values and throw the first failure (imap, imapUnordered) rather than settled items. */
  values?: boolean;
  ordered: boolean;
  /** Called once when no more chunks will be submitted (input read to the end, or the consumer left). */
  onInputDone?: () => void;
  /**
   * The call's signal. Its tasks see it too, but only a task can notice it:
   * with none outstanding (the input has stalled) nothing else would end the
   * loop, and an imapSettled would go on reading input to yield an AbortError
   * per item. On abort the iteration stops reading and its next() throws.
   */
  signal?: AbortSignal;
}

/**
 * The iterator, plus `drain()`: read the rest of the input now, without
 * waiting for the consumer (join()); and `end(error)`: the engine ended
 * (terminate(), a broken pool): read no more input, and after what already
 * finished, the consumer's next() throws `error`.
 */
export type ImapIterator = AsyncIterableIterator<SettledItem> & { drain(): void; end(error: Error): void };

export function imapSettled(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  toItem: (item: unknown) => unknown,
  run: ChunkRunner,
  plan: ImapPlan,
): ImapIterator {
  const it: Iterator<unknown> | AsyncIterator<unknown> = Symbol.asyncIterator in Object(source)
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]();
  // Ordered mode: chunks of results waiting for an earlier one, by their first index (chunks
  // are contiguous, so the one to read next starts at nextYield), and the one being read.
  const finished = new Map<number, SettledItem[]>();
  let reading: SettledItem[] | undefined;
  let readAt = 0;
  // Unordered mode. A Deque: Array#shift is O(n) once thousands of items wait (a 1,000-item chunk
  // arriving at once), which made a journaled map through Redis spend most of its time here.
  const fifo = new Deque<SettledItem>(); // unordered mode
  let nextRead = 0; // index of the next input item
  let nextYield = 0; // ordered mode: index the consumer waits for
  let outstanding = 0; // items read but not yet yielded
  let exhausted = false;
  let pumping = false;
  let stopped = false;
  let inputError: { error: unknown } | undefined;
  let aborted: AbortError | undefined;
  /** The engine's end (see ImapIterator.end), thrown once what already finished has been read. */
  let ended: Error | undefined;
  let wake: (() => void) | undefined;
  let readAhead = plan.readAhead;
  let chunksize = plan.chunksize;
  /** Adaptive: estimated run time of one item (nextPerItemMs), from the chunks that succeeded. */
  let perItemMs: number | undefined;
  const adapt = (result: ChunkOutcome, count: number, info: RunInfo) => {
    const a = plan.adaptive!;
    let ms = info.ms;
    if (result.times) { ms = 0; for (let i = 0; i < count; i++) ms += result.times[i] ?? 0; }
    perItemMs = nextPerItemMs(perItemMs, ms / count);
    chunksize = targetChunksize(perItemMs, a.maxChunk);
    // drain() lifted the bound for good; otherwise it follows the chunk size.
    if (readAhead !== Infinity) readAhead = Math.max(plan.readAhead, a.readAheadChunks * chunksize);
  };
  /** Chunks submitted and not yet settled, to withdraw if the consumer leaves early. */
  const pending = new Set<SubmittedChunk>();
  let inputDone = false;
  const markInputDone = () => {
    if (inputDone) return;
    inputDone = true;
    plan.onInputDone?.();
  };

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const accept = (start: number, count: number, ref: { chunk?: SubmittedChunk }) => (result: ChunkOutcome | Error, info: RunInfo) => {
    if (ref.chunk) pending.delete(ref.chunk);
    ref.chunk = undefined;
    if (stopped) return;
    if (plan.adaptive && !(result instanceof Error) && count > 0) adapt(result, count, info);
    const failures = result instanceof Error ? undefined : result.errors && new Map(result.errors);
    // Per-item times when the worker sent them; else (a chunk of one, a whole-chunk failure) the chunk's share.
    const times = result instanceof Error ? undefined : result.times;
    const share = count > 0 ? info.ms / count : 0;
    const arrived = Date.now();
    let left = 0; // run time of the chunk's items after item i: they ran between its end and the result
    if (times) for (let i = 0; i < count; i++) left += times[i] ?? 0;
    else left = share * count;
    const settled: SettledItem[] = plan.ordered ? new Array(count) : [];
    for (let i = 0; i < count; i++) {
      const ms = times?.[i] ?? share;
      left -= ms;
      const endedAt = arrived - Math.max(0, left);
      const error = result instanceof Error ? result : failures?.get(i);
      const item: SettledItem = error
        ? { index: start + i, ok: false, error, ms, workerId: info.workerId, endedAt }
        : { index: start + i, ok: true, value: (result as ChunkOutcome).values[i], ms, workerId: info.workerId, endedAt };
      if (plan.ordered) settled[i] = item;
      else fifo.push(item);
    }
    if (plan.ordered && count > 0) finished.set(start, settled);
    notify();
  };

  const pump = async () => {
    if (pumping || exhausted || stopped) return;
    pumping = true;
    try {
      while (!exhausted && !stopped && outstanding + chunksize <= Math.max(readAhead, chunksize)) {
        const chunk: unknown[] = [];
        const size = chunksize;
        while (chunk.length < size) {
          // A sync input is read without an await: each await let the
          // engine's dispatch run in between, so a refill of 32 chunks went
          // to the worker as 32 messages instead of one.
          const next = it.next();
          const r = isPromise(next) ? await next : next;
          // The consumer left, the call was aborted or the engine ended while
          // the input was producing this item: it is dropped, and nothing more is submitted.
          if (stopped || ended) return;
          if (r.done) { exhausted = true; break; }
          chunk.push(toItem(r.value));
        }
        if (chunk.length === 0) break;
        const start = nextRead;
        nextRead += chunk.length;
        outstanding += chunk.length;
        const ref: { chunk?: SubmittedChunk } = {};
        const submitted = run(chunk, accept(start, chunk.length, ref), start);
        // A chunk that settled during submission (refused) is not pending.
        ref.chunk = submitted;
        pending.add(submitted);
        if (submitted.admitted) await submitted.admitted;
      }
    } catch (error) {
      inputError = { error };
      exhausted = true;
    } finally {
      pumping = false;
      // Only the end of input (or an input error) is news for a waiting consumer.
      if (exhausted) {
        markInputDone();
        notify();
      }
    }
  };

  const take = (): SettledItem | undefined => {
    if (plan.ordered) {
      if (!reading) {
        reading = finished.get(nextYield);
        if (!reading) return undefined;
        finished.delete(nextYield);
        readAt = 0;
      }
      const item = reading[readAt++]!;
      nextYield++;
      if (readAt === reading.length) reading = undefined;
      return item;
    }
    return fifo.shift();
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    plan.signal?.removeEventListener('abort', onAbort);
    // Items read ahead but not started are dropped: nobody will look at them.
    for (const c of pending) c.withdraw();
    pending.clear();
    markInputDone();
    closeInput();
  };

  /** Lets the input clean up (close files, sockets) when it will not be read to its end. */
  const closeInput = () => {
    if (exhausted) return;
    exhausted = true;
    // Its return() is user code: one that throws (at once, or later) must not end this process,
    // nor stop an abort from waking the consumer (stop() runs inside the abort listener).
    try {
      void Promise.resolve((it as AsyncIterator<unknown>).return?.()).catch(() => {});
    } catch { /* the input could not clean up: nothing more to do for it */ }
  };

  function onAbort(): void {
    aborted = new AbortError(plan.signal!.reason);
    stop();
    notify();
  }
  if (plan.signal?.aborted) onAbort();
  else plan.signal?.addEventListener('abort', onAbort, { once: true });

  const iterator: ImapIterator = {
    drain() {
      readAhead = Infinity;
      void pump();
    },
    end(error) {
      if (stopped || ended) return;
      ended = error;
      // The chunks in flight were failed first (their items are yielded before
      // the error); the input may be waiting for something that never comes.
      closeInput();
      markInputDone();
      notify();
    },
    async next(): Promise<IteratorResult<SettledItem>> {
      for (;;) {
        if (aborted) {
          // Thrown once, as for-await expects; then the iteration is over.
          const error = aborted;
          aborted = undefined;
          stop();
          throw error;
        }
        if (stopped) return { done: true, value: undefined };
        const item = take();
        if (item) {
          outstanding--;
          // Refill once half the read-ahead is free, not after every item:
          // the refill then reaches the workers in a few large messages.
          if (outstanding <= readAhead / 2) void pump();
          if (!plan.values) return { done: false, value: item };
          if (!item.ok) {
            stop();
            throw item.error;
          }
          return { done: false, value: item.value as SettledItem };
        }
        if (ended) {
          // Nothing finished is left to yield: the input was not read to its end, so this is no `done`.
          const error = ended;
          stop();
          throw error;
        }
        if (inputError && outstanding === 0) {
          const { error } = inputError;
          stop();
          throw error;
        }
        if (exhausted && outstanding === 0 && !pumping) {
          stop();
          return { done: true, value: undefined };
        }
        const woke = new Promise<void>((r) => { wake = r; });
        void pump();
        await woke;
      }
    },
    async return(): Promise<IteratorResult<SettledItem>> {
      stop();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as Promise<T>)?.then === 'function';
}
