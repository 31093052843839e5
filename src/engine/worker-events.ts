/**
 * What each event from a worker means on the main side: results settle their
 * tasks, `started` starts a timeout clock, given-back tasks go back to the
 * queue, `ready` makes a worker eligible, and hub traffic goes to the
 * shared-object hub.
 */
import { DataCloneError, MemoryLimitError, TaskTimeoutError, UnknownTaskError } from '../errors.js';
import { describeChunk, describeRunning } from './failures.js';
import { ITEM_RECORD_SLACK_MS, type WorkerEvent } from '../protocol/messages.js';
import { hubReceive } from '../shared/link.js';
import type { Core } from './core.js';
import { armAbortGrace, armTaskTimeout } from './guards.js';
import { now } from '../util/clock.js';
import { emitSafely } from '../util/emit.js';
import { reportedStartError } from './spawn.js';
import type { ChunkOutcome, MidChunk, Task } from './task.js';
import { canSplit, retryThrownItems } from './split.js';
import { outcomeOf } from './wire.js';
import { refuseUndecodable } from './send.js';
import { decodeError } from '../protocol/values.js';
import { UndecodableMessageError } from '../protocol/undecodable.js';
import type { WorkerSlot } from './worker-slot.js';

/**
 * A worker's event, applied. What a worker sends cannot hurt the main
 * process: a message that decodes but is not what the protocol says (null, a
 * field of the wrong type: user code writing to the worker's event pipe, a
 * native addon scribbling on it, another forkpool version) throws somewhere
 * below, and is a protocol failure of that worker, as a frame that does not
 * decode is. It once crashed the main process or left the pool waiting.
 */
export function onWorkerEvent(core: Core, w: WorkerSlot, ev: WorkerEvent): void {
  try {
    applyEvent(core, w, ev);
  } catch (err) {
    onChannelError(core, w, new Error(`worker ${w.id} sent an event the protocol does not allow (${describeEvent(ev)}): ${(err as Error)?.message}`, { cause: err }));
  }
}

function describeEvent(ev: unknown): string {
  const t = (ev as { t?: unknown } | null)?.t;
  return typeof t === 'string' ? `a ${JSON.stringify(t.slice(0, 32))} event` : `${ev === null ? 'null' : typeof ev}`;
}

function applyEvent(core: Core, w: WorkerSlot, ev: WorkerEvent): void {
  switch (ev.t) {
    case 'done':
      // `nx`: the task the worker starts right after this one (saves a `started` event).
      if (ev.nx !== undefined) markStarted(core, w, ev.nx);
      return onDone(core, w, ev.id, outcomeOf(ev), ev.ms);
    case 'started': return markStarted(core, w, ev.id, ev.at);
    case 'log': return core.logs.chunk(w, ev.s, ev.x, ev.task);
    case 'ready': return onReady(core, w, ev.exports);
    case 'startError': w.startError = reportedStartError(w, ev, core.opts.initializer); return;
    case 'recycle':
      // Past its memory cap after a task: it handed back what it had not started, and exits.
      if (typeof ev.mem !== 'number') throw new TypeError('mem is not a number');
      w.state = 'stopping';
      w.killReason = 'memory';
      w.recycledItself = true;
      w.rss = ev.mem;
      core.stats.recycled++;
      core.requeueFront(w.giveBack(ev.returned));
      return core.updateRefs();
    case 'returned':
      w.reclaiming = false;
      core.requeueFront(w.giveBack(ev.ids));
      return core.afterProgress();
    case 'overLimit':
      // Sent by a thread that measures itself; only a pool with maxMemory asks it to.
      if (core.opts.maxMemory === undefined || typeof ev.mem !== 'number') throw new TypeError('no memory cap was set, or mem is not a number');
      w.rss = ev.mem;
      return overHardLimit(core, w, ev.mem);
    case 'hub': return hubReceive(w.peer, ev.m);
    case 'undecodable': return onUndecodableCommand(core, w, ev.n, decodeError(ev.e));
    case 'unlogged': return noteMidChunk(w, ev.id, { unlogged: true });
    case 'logged': return noteMidChunk(w, ev.id, { logged: ev.items });
    case 'uncaught':
      if (typeof ev.m !== 'string') throw new TypeError('m is not a string');
      w.uncaught = new Error(ev.m);
      return;
  }
}

function onReady(core: Core, w: WorkerSlot, exports: string[]): void {
  if (w.state !== 'starting') return;
  w.state = 'ready';
  w.startTimer?.clear();
  // Its start counts as a success once it has run a task or lived a while (workers.ts, proven).
  w.readyAt = performance.now();
  if (!core.exports) {
    core.exports = exports;
    // Tasks queued before anyone knew the exports: reject the unknown names now.
    for (const t of core.queue.drain()) {
      if (exports.includes(t.name)) core.queue.add(t, false);
      else t.settle(new UnknownTaskError(t.name, exports));
    }
  }
  emitSafely(core.events, 'workerStart', { workerId: w.id, pid: w.pid });
  core.workers.readyChanged();
  core.afterProgress();
}

function markStarted(core: Core, w: WorkerSlot, id: number, attempt?: number): void {
  let t: Task | undefined;
  const list = w.inFlight;
  for (let i = 0; i < list.length; i++) if (list[i]!.id === id) { t = list[i]; break; }
  if (!t || t.started || (attempt !== undefined && t.wire?.at !== attempt)) return;
  t.started = true;
  // With `attempt`, the start comes from the dead worker's record, read at its death: the task
  // started when it reached the worker (task.ts, handedAt), not now.
  t.startedAt = attempt !== undefined && t.handedAt > 0 ? t.handedAt : performance.now();
  if (t.settled || t.timeout === undefined) return;
  const ms = t.timeout;
  const expire = () => {
    if (t.settled || !w.inFlight.includes(t)) return;
    // A chunk whose timeout covers each item: the clock runs out only for an
    // item that has itself run `ms` (its start is in the worker's record).
    if (t.wire?.pi) {
      const itemAt = w.runtime.itemStartedAt(t.id);
      // The slack: a worker process may not have written the start of an item that began just after another.
      const left = itemAt === undefined ? 0 : itemAt + ms + ITEM_RECORD_SLACK_MS - now();
      if (left > 0) {
        t.timer = armTaskTimeout(left, expire);
        return;
      }
    }
    // A logged chunk is settled once its worker is gone (engine/split.ts): only its running item timed out.
    if (canSplit(w, t)) (t.midChunk ??= {}).doomed = { error: (running) => new TaskTimeoutError(ms, running), kind: 'timeout' };
    else {
      // Its output so far came before this moment: a line it left unfinished ends now, before the error (as for a result).
      w.stdout.taskEnded(t.id);
      w.stderr.taskEnded(t.id);
      // Several tasks at once: the others running beside it are innocent. Its
      // signal aborts, and the worker is killed only if the task has not
      // ended within abortGrace (a task that stops, or an async one that
      // finishes late, spares them), as for a caller's abort.
      const grace = core.opts.concurrentTasksPerWorker > 1 ? abortGraceOf(core, t) : undefined;
      const err = new TaskTimeoutError(ms, timedOut(t), grace);
      core.fail(t, err, 'timeout', w);
      if (grace !== undefined) return abortInWorker(core, w, t, new Error(err.message), 'timeout');
    }
    // A synchronous infinite loop cannot be interrupted any other way.
    core.kill(w, 'timeout');
  };
  t.timer = armTaskTimeout(ms, expire);
}

/** What ran past a timeout, for its message: one item of a chunk on an item clock, or the whole chunk on one clock. */
function timedOut(t: Task): string {
  if (t.size === 1) return describeRunning(t);
  if (t.wire?.pi) return `one of the ${describeRunning(t)}`;
  return `${describeChunk(t)}, under one clock (the timeout covered the whole chunk),`;
}

function onDone(core: Core, w: WorkerSlot, id: number, result: ChunkOutcome, ms: number): void {
  // Its output came before its result: a line it left unfinished ends with it, before it settles (engine/logs.ts).
  w.stdout.taskEnded(id);
  w.stderr.taskEnded(id);
  const t = w.take(id);
  if (!t) return;
  w.tasksDone++;
  w.recordRunTime(ms);
  core.stats.runTimes.add(ms);
  if (!t.settled) {
    const failed = result.errors?.length ?? 0;
    if (failed > 0 && t.retryOnError && t.attempts <= t.retries && result.errors!.some(retriable)) {
      // A chunk runs again only its items that threw (split.ts).
      if (t.items && t.items.length > 1) retryThrownItems(core, t, result, w.id, ms, retriable);
      else {
        core.stats.retried++;
        core.requeueFront([t]);
      }
    } else {
      core.stats.completed += result.values.length - failed;
      core.stats.failed.error += failed;
      if (failed) for (const [, error] of result.errors!) emitSafely(core.events, 'taskError', { taskId: t.id, name: t.name, error });
      t.settle(result, { workerId: w.id, ms });
    }
  }
  core.afterProgress();
}

/**
 * A thrown error runs again under `retryOn: 'error'`; a result that could not
 * be cloned does not: the same code returns the same value, so a retry would
 * only run the task again for the same DataCloneError.
 */
function retriable([, e]: [number, Error]): boolean {
  return (e as { code?: unknown }).code !== 'ERR_FORKPOOL_DATA_CLONE';
}

/** What the worker or its runtime said about a logged chunk it holds (engine/split.ts reads it when the worker is gone). */
function noteMidChunk(w: WorkerSlot, id: number, news: MidChunk): void {
  // A log's id is the task id's low 32 bits (protocol/item-log.ts).
  const t = w.inFlight.find((x) => x.id >>> 0 === id);
  if (t) t.midChunk = { ...t.midChunk, ...news };
}

/** A worker passed `hardMemoryFactor` × `maxMemory` while running a task: fail that task, kill the worker. */
/** How long an aborted task may go on before its worker is killed: its own (a distributed job carries its client's), else the pool's. */
function abortGraceOf(core: Core, t: Task): number {
  return t.abortGrace ?? core.opts.abortGrace;
}

/**
 * Asks `w` to abort task `t` (its `currentTask().signal` aborts with
 * `reason`) and, if `t` is running there, kills `w` for `why` should `t`
 * still run once its abortGrace has passed: a caller's abort, and a timeout
 * beside other tasks. A task only queued in the worker is dropped there.
 */
export function abortInWorker(core: Core, w: WorkerSlot, t: Task, reason: unknown, why: 'abort' | 'timeout'): void {
  // The reason crosses to the worker: one that cannot be cloned goes as its text.
  try { structuredClone(reason); } catch { reason = String(reason); }
  w.runtime.send({ t: 'abort', id: t.id, reason });
  if (w.runs(t)) armAbortGrace(abortGraceOf(core, t), () => w.runs(t), () => core.kill(w, why));
}

export function overHardLimit(core: Core, w: WorkerSlot, mem: number): void {
  if (w.inFlight.length === 0 || w.killReason !== undefined) return;
  const limit = core.opts.maxMemory!;
  const hard = limit * core.opts.hardMemoryFactor;
  const t = w.inFlight[0]!, detail = ` (hard cap ${Math.round(hard)} bytes)`;
  // A logged chunk is settled once its worker is gone (engine/split.ts): only its running item is blamed.
  if (canSplit(w, t)) (t.midChunk ??= {}).doomed = { error: (running) => new MemoryLimitError(limit, mem, detail, running), kind: 'memory' };
  else core.fail(t, new MemoryLimitError(limit, mem, detail, describeRunning(t)), 'memory', w);
  core.kill(w, 'memory');
}

/**
 * The worker could not decode a command. A `run`'s tasks fail alone
 * (send.ts); any other command (a shared object's answer it now waits for in
 * vain) leaves it unable to go on: replaced, as for a message it sent that
 * did not decode here.
 */
function onUndecodableCommand(core: Core, w: WorkerSlot, n: unknown, err: Error): void {
  if (typeof n !== 'number') throw new TypeError('n is not a number');
  if (refuseUndecodable(core, w, n, err)) return core.afterProgress();
  onChannelError(core, w, new UndecodableMessageError(`worker ${w.id} could not decode a message from the pool: ${err.message}`, { cause: err }));
}

/** Its channel cannot be trusted (a message that did not decode, a closed pipe): a crash of that worker. */
export function onChannelError(core: Core, w: WorkerSlot, err: Error): void {
  if (w.state === 'exited') return;
  const lost = err instanceof UndecodableMessageError ? err.result : undefined;
  // A result that did not decode, known by its frame's head (protocol/done-head.ts).
  // One naming no task of this worker is garbage that happens to look like a head: below.
  const t = lost && w.inFlight.find((x) => x.id === lost.id);
  if (lost && t) {
    // The task the worker started right after it is known too, whatever becomes of the worker:
    // taken for unstarted, it would run a second time elsewhere.
    if (lost.nx !== undefined) markStarted(core, w, lost.nx);
    // The stream is in step and the worker sound: only that task fails. But a
    // logged chunk's finished items keep their outcomes only through its
    // worker's item log, read at its death (engine/split.ts): that worker goes.
    if (!canSplit(w, t)) return failLostResult(core, w, t, err);
  }
  if (w.channelError === undefined && err instanceof UndecodableMessageError) {
    // One at a time, in the order sent: the first task still held is the one
    // that was running when the worker wrote that message (its start may be
    // known only from the worker's record, read after its death).
    if (t) w.undecodableFrom = t.id;
    else if (core.opts.concurrentTasksPerWorker === 1) w.undecodableFrom = w.inFlight[0]?.id;
  }
  w.channelError ??= err;
  core.kill(w, 'protocol');
}

/**
 * The result of `t` could not be read here: it fails with DataCloneError, not
 * retried (the same value would fail again), as a result that failed to
 * serialize in the worker does. Gone from the worker's tasks as any result.
 */
function failLostResult(core: Core, w: WorkerSlot, t: Task, err: Error): void {
  // Its output came before its result, as for any result.
  w.stdout.taskEnded(t.id);
  w.stderr.taskEnded(t.id);
  w.take(t.id);
  w.tasksDone++;
  const between = core.opts.runtime === 'thread' ? 'threads' : 'processes';
  core.fail(t, new DataCloneError(`the result of task ${JSON.stringify(t.name)}`, err, between), 'error', w);
  core.afterProgress();
}
