/**
 * A chunk with an item log (`Task.itemLog`, protocol/item-log.ts) whose
 * worker died, or was killed for its timeout or memory, in the middle of it.
 * Instead of failing every item of the chunk with the running one's error:
 *
 * - the items the log holds as finished keep their values and errors;
 * - the item that was running is judged alone, as a task of one item would
 *   be: its crash error, or its timeout or memory error, or a retry on a
 *   fresh worker when the call has `retries` left;
 * - the items after it never started: they go back to the front of the queue
 *   as one new chunk, and run once, elsewhere.
 *
 * The chunk settles once all of that has, with one outcome per item, as if
 * nothing had happened to it but its one failure. So a crash in a chunk of
 * 100 items costs the caller what it would one item at a time: one failed
 * item, nothing run twice, nothing else lost.
 */
import type { LoggedItem } from '../protocol/item-log.js';
import type { Core } from './core.js';
import type { ChunkOutcome, Task, TaskSink } from './task.js';
import type { WorkerSlot } from './worker-slot.js';
import { wireOf } from './wire.js';
import { describeRunning } from './failures.js';
import { emitSafely } from '../util/emit.js';

/** `t` can be split if its worker dies now: its wire form asked for a log, the worker has one, and never said it stopped. */
export function canSplit(w: WorkerSlot, t: Task): boolean {
  return t.wire?.pl === 1 && w.runtime.logsItems && t.midChunk?.unlogged !== true && t.items !== undefined && t.items.length > 1;
}

/**
 * Settles `t`, which `w` was running when it died: split as above, or, when
 * it cannot be, `judgeWhole` decides for the whole task (a crash error, a
 * retry). A chunk whose clock had already run out gets its timeout error.
 * Returns the new chunk of the items that never started, for the caller to
 * queue with the worker's other unstarted tasks (ahead of a retried item).
 */
export function settleDeadChunk(c: Core, w: WorkerSlot, t: Task, judgeWhole: (t: Task) => void): Task | undefined {
  const doomed = t.midChunk?.doomed;
  const state = c.state();
  if (!canSplit(w, t) || state === 'terminated' || state === 'broken') {
    if (doomed) c.fail(t, doomed.error(describeRunning(t)), doomed.kind, w);
    else judgeWhole(t);
    return undefined;
  }
  t.timer?.clear();
  t.timer = undefined;
  const logged = t.midChunk?.logged ?? [];
  const n = t.items!.length;
  const k = Math.min(logged.length, n);
  const whole = assembly(t, n, w.id);
  whole.head(c, t, logged.slice(0, k));
  // Every item finished: only the result was lost with the worker.
  if (k === n) {
    whole.close();
    return undefined;
  }
  // The running item, judged alone; it ran in this attempt, so a retry is the next one.
  const running = partOf(t, k, k + 1, whole.sink(k, 1));
  running.attempts = t.attempts;
  running.crashes = t.crashes;
  running.started = true;
  // It began when the items before it had run: its own run time, not the chunk's, is its `ms`.
  let before = 0;
  for (let i = 0; i < k; i++) before += logged[i]!.ms;
  running.startedAt = t.startedAt > 0 ? t.startedAt + before : 0;
  const parts = [running];
  if (doomed) c.fail(running, doomed.error(describeRunning(running)), doomed.kind, w);
  else judgeWhole(running);
  let rest: Task | undefined;
  if (k + 1 < n) {
    // Never started: their first run is still this attempt's number.
    rest = partOf(t, k + 1, n, whole.sink(k + 1, n - k - 1));
    rest.attempts = t.attempts - 1;
    parts.push(rest);
  }
  (t.midChunk ??= {}).parts = parts;
  whole.close();
  return rest;
}

/**
 * A chunk came back with items that threw, on a call that retries thrown
 * errors (`retryOn: 'error'`) and has retries left: only those items run
 * again, each alone; the others keep their results and do not run twice.
 */
export function retryThrownItems(c: Core, t: Task, result: ChunkOutcome, workerId: number, ms: number, retriable: (error: [number, Error]) => boolean): void {
  const n = result.values.length;
  const whole = assembly(t, n, workerId);
  const threw = new Set<number>();
  let final = 0;
  for (const entry of result.errors!) {
    if (retriable(entry)) threw.add(entry[0]);
    else {
      // Not worth a retry (a result that cannot be cloned): it fails now, as the chunk would have.
      whole.keep(entry[0], result.times?.[entry[0]] ?? ms / n, false, entry[1]);
      emitSafely(c.events, 'taskError', { taskId: t.id, name: t.name, error: entry[1] });
      final++;
    }
  }
  const failed = new Set(result.errors!.map(([i]) => i));
  const parts: Task[] = [];
  for (let i = 0; i < n; i++) {
    const itemMs = result.times?.[i] ?? ms / n;
    if (!failed.has(i)) {
      whole.keep(i, itemMs, true, result.values[i]);
      continue;
    }
    if (!threw.has(i)) continue;
    const again = partOf(t, i, i + 1, whole.sink(i, 1));
    again.attempts = t.attempts;
    parts.push(again);
  }
  c.stats.completed += n - failed.size;
  c.stats.failed.error += final;
  c.stats.retried += threw.size;
  t.timer?.clear();
  t.timer = undefined;
  (t.midChunk ??= {}).parts = parts;
  c.requeueFront(parts);
  whole.close();
}

/** Items `from`..`to` of `t` as a task of their own, under `t`'s job key if it has one. */
function partOf(t: Task, from: number, to: number, sink: TaskSink): Task {
  const part = t.part(from, to, sink);
  // A distributed job's key (`currentTask().key`) lives on its wire form: its parts run under the same key.
  if (t.wire?.k !== undefined) wireOf(part).k = t.wire.k;
  return part;
}

interface Assembly {
  /** Item `i`'s outcome, known now. */
  keep(i: number, ms: number, ok: boolean, value: unknown): void;
  /** The finished items from the log: kept, and counted as a result would be. */
  head(c: Core, t: Task, items: LoggedItem[]): void;
  /** Where the part for items `from`..`from + count` settles. */
  sink(from: number, count: number): TaskSink;
  /** No more parts: settles `t` once every part has. */
  close(): void;
}

function assembly(t: Task, n: number, workerId: number): Assembly {
  const values = new Array<unknown>(n);
  const times: number[] | undefined = t.itemTimes ? new Array<number>(n).fill(0) : undefined;
  let errors: Array<[number, Error]> | undefined;
  let ms = 0;
  let open = 1; // the parts not settled, plus one until close()
  const done = () => {
    if (--open > 0) return;
    errors?.sort((a, b) => a[0] - b[0]);
    const outcome: ChunkOutcome = { values, errors };
    if (times) outcome.times = times;
    t.settle(outcome, { workerId, ms });
  };
  const keep = (i: number, itemMs: number, ok: boolean, value: unknown) => {
    ms += itemMs;
    if (times) times[i] = itemMs;
    if (ok) values[i] = value;
    else (errors ??= []).push([i, value as Error]);
  };
  return {
    keep,
    head(c, task, items) {
      let failed = 0;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        keep(i, item.ms, item.ok, item.ok ? item.value : item.error);
        if (!item.ok) {
          failed++;
          emitSafely(c.events, 'taskError', { taskId: task.id, name: task.name, error: item.error });
        }
      }
      c.stats.completed += items.length - failed;
      c.stats.failed.error += failed;
    },
    sink(from, count) {
      open++;
      return (result, info) => {
        const share = info.ms / count;
        for (let j = 0; j < count; j++) {
          const itemMs = (result instanceof Error ? undefined : result.times?.[j]) ?? share;
          if (result instanceof Error) keep(from + j, itemMs, false, result);
          else keep(from + j, itemMs, true, result.values[j]);
        }
        // An item of the part that threw: its value slot stays empty.
        if (!(result instanceof Error) && result.errors) for (const [j, e] of result.errors) (errors ??= []).push([from + j, e]);
        done();
      };
    },
    close: done,
  };
}
