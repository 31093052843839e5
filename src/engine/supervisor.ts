/**
 * The local engine behind `Pool`: it owns the task queue and the workers.
 *
 *   submit ──► queue ──► dispatch ──► worker.inFlight ──► runtime ──► worker entry
 *     └─ idle lane (send.ts) ───────────────►┘                           │
 *                ▲                        │                              │
 *                │   requeue (innocent,   │ done / started / log / hub   │
 *                │   retry)  ◄── exit ────┘ ◄────────────────────────────┘
 *                └── settle ──► Task sink (AsyncResult, callbacks, map, imap)
 *
 * Invariants that make it never hang:
 * - every task is in exactly one place: the queue, one worker's `inFlight`, or settled;
 * - a worker's exit is handled once, after all it sent has been read; its running tasks
 *   (those it said it started: one, or up to `concurrentTasksPerWorker`) fail or retry,
 *   and the tasks that had not started go back to the queue;
 * - while work is outstanding and the pool is not broken or terminated, dead workers are replaced;
 * - a task never waits inside a busy worker while another worker has room or is starting
 *   (dispatch.ts); a worker with room and the queue empty reclaims unstarted tasks;
 * - a call in progress (a map or imap still reading its input) holds a lease: after close()
 *   its remaining chunks are still accepted, and join() waits for them.
 *
 * Its parts live beside it: worker-events.ts (what each worker event means), exits.ts (what a
 * worker's exit means), workers.ts (the set of slots), task-queue.ts (admission), leases.ts, send.ts
 * (a batch onto the wire), and the pure rules dispatch.ts (who takes what), failures.ts (what a
 * death means for the running task) and guards.ts (clocks and meters).
 */
import type { EventEmitter } from 'node:events';
import { AbortError, PoolBrokenError, PoolClosedError, PoolTerminatedError, QueueFullError, UnknownTaskError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { Core } from './core.js';
import { holdsQueued, mayFill, planDispatch, planReclaim } from './dispatch.js';
import type { CallLease, ChunkHint, Engine, EngineState, SubmitOptions } from './engine.js';
import { onWorkerExit } from './exits.js';
import { MemoryMeter } from './guards.js';
import { LogRouter } from './logs.js';
import { AbortGroups } from './signals.js';
import { StatsBook, type ExitReason, type FailureKind, type PoolStats } from './stats.js';
import type { Task } from './task.js';
import { TaskQueue } from './task-queue.js';
import { CallLeases } from './leases.js';
import { sendRun, sendToIdle, takeFromQueue } from './send.js';
import { abortInWorker, onChannelError, onWorkerEvent, overHardLimit } from './worker-events.js';
import type { WorkerSlot } from './worker-slot.js';
import { WorkerSet } from './workers.js';
import { emitSafely } from '../util/emit.js';

/** Settled once: a dispatch turn is a reaction to it. */
const SETTLED = Promise.resolve();

/** Grace between SIGTERM and SIGKILL in terminate(). */
export const SIGKILL_GRACE_MS = 1000;

export class Supervisor implements Engine {
  readonly #opts: ResolvedOptions;
  readonly #moduleHref: string;
  readonly #events: EventEmitter;
  readonly #queue: TaskQueue;
  readonly #leases: CallLeases;
  readonly #workers: WorkerSet;
  /** The narrow view of this engine its parts get (worker-events.ts, exits.ts). */
  readonly #core: Core;
  readonly #aborts = new AbortGroups((t) => this.#abort(t));
  readonly #logs: LogRouter;
  readonly #stats = new StatsBook();
  readonly #memory: MemoryMeter<WorkerSlot> | undefined;
  #state: EngineState = 'running';
  #dispatchScheduled = false;
  /** Made once: a closure per scheduled dispatch was garbage on every result. */
  readonly #dispatchTurn = () => {
    try {
      this.#dispatch();
    } catch (err) {
      // A bug here must not become a silently rejected promise: report it as queueMicrotask would have.
      process.nextTick(() => { throw err; });
    }
  };
  #draining = false;
  #brokenError: PoolBrokenError | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(moduleHref: string, opts: ResolvedOptions, events: EventEmitter) {
    this.#moduleHref = moduleHref;
    this.#opts = opts;
    this.#events = events;
    this.#logs = new LogRouter(opts.logs, events, (send) => this.#workers.tellLogs(send));
    this.#queue = new TaskQueue(opts.maxQueue);
    this.#leases = new CallLeases(() => this.#afterProgress());
    this.#workers = new WorkerSet(opts, moduleHref, {
      handlers: (w) => ({
        onEvent: (ev) => onWorkerEvent(this.#core, w, ev),
        onOutput: (stream, text) => this.#logs.chunk(w.raw, stream, text, w.inFlight[0]?.id ?? null),
        onChannelError: (err) => onChannelError(this.#core, w, err),
        onExit: (info) => onWorkerExit(this.#core, w, info),
      }),
      sendLogs: () => this.#logs.wanted(),
      line: (line) => this.#logs.line(line),
      wanted: () => this.#state === 'running' || (this.#state === 'closed' && this.#queue.size > 0),
      respawned: () => this.#afterProgress(),
    });
    this.#core = {
      opts, events, workers: this.#workers, queue: this.#queue, stats: this.#stats, logs: this.#logs, exports: undefined,
      state: () => this.#state,
      requeueFront: (tasks) => this.#requeueFront(tasks),
      fail: (t, err, kind, w) => this.#fail(t, err, kind, w),
      kill: (w, reason, signal) => this.#kill(w, reason, signal),
      breakPool: (failures, err, final) => this.#break(failures, err, final),
      afterProgress: () => this.#afterProgress(),
      updateRefs: () => this.#updateRefs(),
    };
    for (let i = 0; i < opts.processes; i++) this.#workers.spawn(0, undefined);
    if (opts.maxMemory !== undefined && opts.runtime === 'process') {
      this.#memory = new MemoryMeter(() => this.#workers.values(), opts.maxMemory * opts.hardMemoryFactor, (w, rss) => overHardLimit(this.#core, w, rss));
    }
  }

  get state(): EngineState { return this.#state; }

  /**
   * The module's exported function names, as the first worker to start reports
   * them (the module is never loaded in this process). Rejects if the pool
   * breaks or is terminated first.
   */
  moduleExports(): Promise<string[]> {
    if (this.#core.exports) return Promise.resolve([...this.#core.exports]);
    return new Promise((resolve, reject) => {
      const onStart = () => { if (this.#core.exports) { done(); resolve([...this.#core.exports]); } };
      const done = () => this.#events.off('workerStart', onStart);
      this.#events.on('workerStart', onStart);
      this.ready().catch((err) => { done(); reject(err); });
    });
  }
  get capacity(): number { return this.#opts.processes; }
  /** Local messages are cheap: small chunks, many per slot (the cut of `forkpool run --chunksize auto`). */
  readonly chunkHint: ChunkHint = { maxItems: 32, chunksPerSlot: 64 };
  /** The running-task record holds one task's item: workers running several tasks at once keep none. */
  get itemTimeouts(): boolean { return this.#opts.concurrentTasksPerWorker === 1; }
  /** The item log, like the item clock, follows one running task per worker. */
  get itemLogs(): boolean { return this.#opts.concurrentTasksPerWorker === 1; }

  // ── admission ─────────────────────────────────────────────────────────────

  /** `waited`: back from waiting for room, so submitted before any close(), which must not refuse it now. */
  submit(task: Task, opts: SubmitOptions = {}, waited = false): void | Promise<void> {
    const refusal = waited && this.#state === 'closed' ? undefined : this.#refusal(opts.lease);
    if (refusal) return task.settle(refusal);
    // Tasks workers still starting will take once ready do not wait for a worker (workers.ts, startingSlots).
    if (this.#queue.full && this.#queue.size >= this.#opts.maxQueue + this.#workers.startingSlots()) {
      if (!opts.wait) return task.settle(new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue}); pass { waitForSpace: true } to wait for room`));
      return new Promise<void>((resolve) => this.#queue.waitForRoom(() => resolve(this.submit(task, opts, true) ?? undefined)));
    }
    const exports = this.#core.exports;
    if (exports && !exports.includes(task.name)) return task.settle(new UnknownTaskError(task.name, exports));
    if (task.signal) {
      if (task.signal.aborted) return task.settle(new AbortError(task.signal.reason));
      this.#aborts.watch(task, task.signal);
    }
    if (this.#queue.size === 0 && this.#state === 'running' && sendToIdle(this.#core, task)) return this.#updateRefs();
    this.#enqueue(task, false);
  }

  /** The error a new task gets right now, if any. A task of an open call is still welcome after close(). */
  #refusal(lease?: CallLease): Error | undefined {
    switch (this.#state) {
      case 'closed': return this.#leases.holds(lease) ? undefined : new PoolClosedError();
      case 'terminated': return new PoolTerminatedError('submit a task');
      case 'broken': return this.#brokenError;
      default: return undefined;
    }
  }

  openCall(): CallLease {
    const refusal = this.#refusal();
    if (refusal) throw refusal;
    return this.#leases.open();
  }

  /** Queued: never runs. Waiting inside a worker: reclaimed. Running: finishes. Its outcome is discarded, counted nowhere. */
  withdraw(task: Task): void {
    if (task.settled) return;
    // Split after a death mid-chunk (split.ts): what is left of it is its parts.
    if (task.midChunk?.parts) return task.midChunk.parts.forEach((p) => this.withdraw(p));
    const holder = this.#holderOf(task);
    if (holder && task.started) return;
    if (!holder) this.#queue.forget();
    task.settle(new AbortError('withdrawn'));
    // A task inside a worker stays in its inFlight until the worker says it took it out.
    if (holder) holder.runtime.send({ t: 'reclaim', ids: [task.id] });
    else this.#afterProgress();
  }

  #holderOf(task: Task): WorkerSlot | undefined {
    for (const w of this.#workers.values()) if (w.inFlight.includes(task)) return w;
    return undefined;
  }

  #enqueue(task: Task, front: boolean): void {
    this.#queue.add(task, front);
    this.#updateRefs();
    // After close(), a crash can leave queued work with no worker: make sure someone runs it.
    if (this.#state !== 'running') this.#workers.fill();
    this.#enqueueDispatch();
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  #dispatch(): void {
    this.#dispatchScheduled = false;
    const limits = { queued: this.#queue.size, maxTasksPerChild: this.#opts.maxTasksPerChild, concurrency: this.#opts.concurrentTasksPerWorker };
    // Most calls come after a result with nothing queued: only the reclaim check has work then.
    // In a burst, most find every worker's pipeline still over half full: nothing to plan.
    if (this.#queue.size > 0 && mayFill(this.#workers.values(), limits)) {
      for (const { slot: w, room } of planDispatch(this.#workers.values(), limits).fills) {
        if (this.#queue.size === 0) break;
        const batch = takeFromQueue(this.#core, w, room);
        if (batch.length > 0) sendRun(this.#core, w, batch);
      }
    }
    if (this.#queue.size === 0) {
      // Workers with room and nothing queued while tasks wait behind running ones:
      // ask the busiest to give back what they have not started. A worker
      // answers between two tasks, so a task is never both returned and run.
      for (const w of planReclaim([...this.#workers.values()], limits)) {
        w.reclaiming = true;
        w.runtime.send({ t: 'reclaim', ids: w.inFlight.slice(limits.concurrency).map((t) => t.id) });
      }
    }
    this.#queue.wakeRoomWaiters();
  }

  #abort(t: Task): void {
    if (t.settled) return;
    if (t.midChunk?.parts) return t.midChunk.parts.forEach((p) => this.#abort(p));
    const holder = this.#holderOf(t);
    if (!holder) this.#queue.forget(); // still queued: dispatch skips settled tasks, so it never runs
    this.#fail(t, new AbortError(t.signal?.reason), 'aborted');
    if (!holder) return this.#afterProgress();
    // Running now: a grace period to notice its signal, then the worker is killed.
    abortInWorker(this.#core, holder, t, t.signal?.reason, 'abort');
  }

  // ── worker lifecycle ──────────────────────────────────────────────────────

  /** Stops a worker that has nothing more to do: its maxTasksPerChild is used up, or the pool is closing. */
  #stopIfDone(w: WorkerSlot): boolean {
    if (w.state !== 'ready' || w.inFlight.length > 0) return false;
    const reason: ExitReason | undefined = w.dispatched >= this.#opts.maxTasksPerChild ? 'recycle'
      : this.#state === 'closed' && this.#queue.size === 0 && this.#leases.size === 0 ? 'shutdown' : undefined;
    if (!reason) return false;
    if (reason === 'recycle') this.#stats.recycled++;
    w.state = 'stopping';
    w.killReason = reason;
    // The worker finishes what it holds (nothing) and exits cleanly.
    w.runtime.send({ t: 'stop' });
    return true;
  }

  #kill(w: WorkerSlot, reason: ExitReason, signal: NodeJS.Signals = 'SIGKILL'): void {
    if (w.state === 'exited') return;
    w.killReason ??= reason;
    if (w.state !== 'starting') w.state = 'stopping';
    w.runtime.kill(signal);
    this.#updateRefs();
  }

  #break(failures: number, lastStartError: Error, final = false): void {
    this.#state = 'broken';
    this.#brokenError = new PoolBrokenError(failures, lastStartError, final);
    this.#failAll(this.#brokenError);
    for (const w of this.#workers.values()) this.#kill(w, 'shutdown');
    this.#workers.rejectReady(this.#brokenError);
  }

  #requeueFront(tasks: Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i]!;
      if (t.settled) continue;
      if (this.#state === 'terminated') t.settle(new PoolTerminatedError());
      else if (this.#state === 'broken') t.settle(this.#brokenError!);
      else this.#enqueue(t, true);
    }
  }

  #fail(t: Task, err: Error, kind: FailureKind, w?: WorkerSlot): void {
    if (t.settled) return;
    this.#stats.failed[kind] += t.size;
    emitSafely(this.#events, 'taskError', { taskId: t.id, name: t.name, error: err });
    t.settle(err, { workerId: w?.id ?? 0, ms: t.ranFor() });
  }

  // ── pool lifecycle ────────────────────────────────────────────────────────

  close(): void {
    if (this.#state !== 'running') return;
    this.#state = 'closed';
    // A closed pool stops each worker once it has nothing to do, so "every
    // worker ready" may never hold again: a caller waiting for it is told now.
    this.#workers.rejectReady(new PoolClosedError('wait for workers to be ready'));
    this.#afterProgress();
  }

  terminate(): Promise<void> {
    if (this.#state !== 'terminated') {
      this.#state = 'terminated';
      this.#workers.cancelRestarts();
      this.#failAll(new PoolTerminatedError());
      for (const w of this.#workers.values()) {
        this.#kill(w, 'shutdown', 'SIGTERM');
        // A worker that ignores SIGTERM or is stuck in native code still goes.
        setTimeout(() => this.#kill(w, 'shutdown', 'SIGKILL'), SIGKILL_GRACE_MS).unref();
      }
      this.#workers.rejectReady(new PoolTerminatedError('wait for workers to be ready'));
    }
    this.#afterProgress();
    return this.whenIdle();
  }

  #failAll(err: Error): void { // the pool ended: every task fails, then every open call (its consumer reads those failures first)
    for (const t of this.#queue.drain()) t.settle(err);
    for (const w of this.#workers.values()) for (const t of w.inFlight) t.settle(err);
    this.#queue.wakeRoomWaiters();
    this.#leases.end(err);
  }

  /**
   * Resolves when every task has settled and every worker has exited. Open
   * calls are told to drain: an imap whose consumer waits for join() reads the
   * rest of its input now, as Python's does, instead of deadlocking.
   */
  whenIdle(): Promise<void> {
    if (this.#state === 'closed' && !this.#draining) {
      this.#draining = true;
      this.#leases.drain();
    }
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  ready(): Promise<void> {
    if (this.#state === 'broken') return Promise.reject(this.#brokenError);
    if (this.#state === 'terminated') return Promise.reject(new PoolTerminatedError('wait for workers to be ready'));
    if (this.#workers.allReady()) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new PoolClosedError('wait for workers to be ready'));
    const waiting = this.#workers.whenAllReady();
    this.#updateRefs();
    return waiting;
  }

  #isIdle(): boolean {
    // After terminate() or a break, open calls can submit nothing more: do not wait for them.
    const leases = this.#state === 'closed' ? this.#leases.size : 0;
    return this.#workers.size === 0 && this.#queue.size === 0 && !this.#workers.respawning && leases === 0;
  }

  /** After anything that may have freed a worker or settled work: stop, dispatch, wake. */
  #afterProgress(): void {
    for (const w of this.#workers.values()) this.#stopIfDone(w);
    // Also with the queue empty when a worker holds tasks behind its running
    // one: an idle worker may reclaim them. Otherwise a turn would find nothing
    // to do, and skipping it keeps dispatch off the path of one call at a time.
    if ((this.#state === 'running' || this.#state === 'closed')
      && (this.#queue.size > 0 || holdsQueued(this.#workers.values(), this.#opts.concurrentTasksPerWorker))) this.#enqueueDispatch();
    this.#updateRefs();
    this.#queue.wakeRoomWaiters();
    if (this.#state !== 'running' && this.#isIdle()) {
      this.#memory?.stop();
      if (this.#workers.size === 0) this.#workers.released();
      for (const r of this.#idleWaiters.splice(0)) r();
    }
  }

  #enqueueDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask, so a loop of applyAsync calls becomes one batch per worker.
    // Through a settled promise rather than queueMicrotask(), which wraps every
    // callback in an AsyncResource run in its own async scope: an object and
    // two hook checks per turn, and the pool takes a turn per call and per result.
    void SETTLED.then(this.#dispatchTurn);
  }

  /**
   * Workers keep this process alive only while there is work or a shutdown in
   * progress, so a script that forgets close() still exits when its work is done.
   */
  #updateRefs(): void {
    const busy = this.#queue.size > 0 || this.#workers.holdTasks() || (this.#state !== 'running' && !this.#isIdle()) || this.#workers.readyAwaited;
    this.#workers.setRefs(busy);
  }

  stats(): PoolStats {
    return this.#stats.snapshot(this.#queue.size, this.#workers.running, this.#workers.statsOf());
  }

  /** Pid of every live worker process (for tests and the parent-death reaper). */
  pids(): number[] {
    return this.#workers.pids();
  }
}
