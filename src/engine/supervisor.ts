/**
 * The local engine behind `Pool`: it owns the task queue and the workers.
 *
 *   submit ──► queue ──► dispatch ──► worker.inFlight ──► runtime ──► worker entry
 *                ▲                        │                              │
 *                │   requeue (innocent,   │ done / started / log / hub   │
 *                │   retry)  ◄── exit ────┘ ◄────────────────────────────┘
 *                └── settle ──► Task sink (AsyncResult, callbacks, map, imap)
 *
 * Invariants that make it never hang:
 * - every task is in exactly one place: the queue, one worker's `inFlight`, or settled;
 * - a worker's exit is handled once, after all it sent has been read; its running task
 *   (the head of `inFlight`) fails or retries, and the tasks behind it go back to the queue;
 * - while work is outstanding and the pool is not broken or terminated, dead workers are replaced;
 * - a task never waits inside a busy worker while another worker is idle or starting
 *   (dispatch.ts); a worker that goes idle with the queue empty reclaims unstarted tasks;
 * - a call in progress (a map or imap still reading its input) holds a lease: after close()
 *   its remaining chunks are still accepted, and join() waits for them.
 *
 * Pure rules live beside it: dispatch.ts (who takes what), failures.ts (what a
 * death means for the running task), guards.ts (clocks and meters).
 */
import type { EventEmitter } from 'node:events';
import {
  AbortError, DataCloneError, MemoryLimitError, PoolBrokenError, PoolClosedError, PoolTerminatedError,
  QueueFullError, TaskTimeoutError, UnknownTaskError, WorkerStartError,
} from '../errors.js';
import type { WorkerEvent } from '../protocol/messages.js';
import { decodeError } from '../protocol/values.js';
import { spawnerFor } from '../runtime/index.js';
import type { ExitInfo, SpawnWorker } from '../runtime/types.js';
import { hubPeerGone, hubReceive } from '../shared/link.js';
import type { ResolvedOptions } from '../options.js';
import { Deque } from '../util/deque.js';
import { planDispatch, planReclaim } from './dispatch.js';
import type { CallLease, Engine, EngineState, SubmitOptions } from './engine.js';
import { judgeRunningTask, startBackoffMs, startFailureMessage } from './failures.js';
import { MemoryMeter, armAbortGrace, armTaskTimeout } from './guards.js';
import { LogRouter } from './logs.js';
import { AbortGroups } from './signals.js';
import { heapLimitBytes, startWorker } from './spawn.js';
import { StatsBook, type ExitReason, type FailureKind, type PoolStats } from './stats.js';
import type { ChunkOutcome, Task } from './task.js';
import { outcomeOf, wireOf } from './wire.js';
import { WorkerSlot } from './worker-slot.js';

/** Grace between SIGTERM and SIGKILL in terminate(). */
export const SIGKILL_GRACE_MS = 1000;

export class Supervisor implements Engine {
  readonly #opts: ResolvedOptions;
  readonly #moduleHref: string;
  readonly #events: EventEmitter;
  readonly #spawn: SpawnWorker;
  readonly #queue = new Deque<Task>();
  readonly #workers = new Map<number, WorkerSlot>();
  readonly #leases = new Set<CallLease>();
  readonly #aborts = new AbortGroups((t) => this.#abort(t));
  readonly #logs: LogRouter;
  readonly #stats = new StatsBook();
  readonly #memory: MemoryMeter<WorkerSlot> | undefined;
  #state: EngineState = 'running';
  #exports: string[] | undefined;
  #nextWorkerId = 1;
  #queued = 0;
  #inFlight = 0;
  #dispatchScheduled = false;
  #draining = false;
  #startFailures = 0;
  #brokenError: PoolBrokenError | undefined;
  #respawnTimer: NodeJS.Timeout | undefined;
  #pendingRestarts: number[] = [];
  #idleWaiters: Array<() => void> = [];
  #readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #spaceWaiters: Array<() => void> = [];

  constructor(moduleHref: string, opts: ResolvedOptions, events: EventEmitter) {
    this.#moduleHref = moduleHref;
    this.#opts = opts;
    this.#events = events;
    this.#spawn = spawnerFor(opts.runtime);
    this.#logs = new LogRouter(opts.logs, events);
    for (let i = 0; i < opts.processes; i++) this.#spawnWorker(0, undefined);
    if (opts.maxMemory !== undefined && opts.runtime === 'process') {
      this.#memory = new MemoryMeter(() => this.#workers.values(), opts.maxMemory * opts.hardMemoryFactor, (w, rss) => this.#overHardLimit(w, rss));
    }
  }

  get state(): EngineState { return this.#state; }
  get capacity(): number { return this.#opts.processes; }

  // ── admission ─────────────────────────────────────────────────────────────

  submit(task: Task, opts: SubmitOptions = {}): void | Promise<void> {
    const refusal = this.#refusal(opts.lease);
    if (refusal) return task.settle(refusal);
    if (this.#queued >= this.#opts.maxQueue) {
      if (!opts.wait) return task.settle(new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue}); pass { waitForSpace: true } to wait for room`));
      return new Promise<void>((resolve) => this.#spaceWaiters.push(() => resolve(this.submit(task, opts) ?? undefined)));
    }
    if (this.#exports && !this.#exports.includes(task.name)) return task.settle(new UnknownTaskError(task.name, this.#exports));
    if (task.signal) {
      if (task.signal.aborted) return task.settle(new AbortError(task.signal.reason));
      this.#aborts.watch(task, task.signal);
    }
    this.#enqueue(task, false);
  }

  /** The error a new task gets right now, if any. A task of an open call is still welcome after close(). */
  #refusal(lease?: CallLease): Error | undefined {
    switch (this.#state) {
      case 'closed': return lease && this.#leases.has(lease) ? undefined : new PoolClosedError();
      case 'terminated': return new PoolTerminatedError();
      case 'broken': return this.#brokenError;
      default: return undefined;
    }
  }

  openCall(): CallLease {
    const refusal = this.#refusal();
    if (refusal) throw refusal;
    const lease: CallLease = {
      onDrain: undefined,
      release: () => {
        if (this.#leases.delete(lease)) this.#afterProgress();
      },
    };
    this.#leases.add(lease);
    return lease;
  }

  /** Queued: never runs. Waiting inside a worker: reclaimed. Running: finishes. Its outcome is discarded, counted nowhere. */
  withdraw(task: Task): void {
    if (task.settled) return;
    const holder = this.#holderOf(task);
    if (holder && task.started) return;
    if (!holder) this.#queued--;
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
    if (front) this.#queue.unshift(task);
    else this.#queue.push(task);
    this.#queued++;
    this.#updateRefs();
    this.#ensureWorkers();
    this.#enqueueDispatch();
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  #dispatch(): void {
    this.#dispatchScheduled = false;
    const views = [...this.#workers.values()];
    const plan = planDispatch(views, { queued: this.#queued, maxTasksPerChild: this.#opts.maxTasksPerChild });
    let idle = plan.idle;
    for (const { slot: w, room } of plan.fills) {
      if (this.#queue.length === 0) break;
      const wasIdle = w.inFlight.length === 0;
      const batch = this.#takeFromQueue(w, room);
      if (batch.length === 0) continue;
      if (wasIdle) idle--;
      this.#sendRun(w, batch);
    }
    if (this.#queue.length === 0) {
      // Workers idle and nothing queued while tasks wait behind a running one:
      // ask the busiest to give back what they have not started. A worker
      // answers between two tasks, so a task is never both returned and run.
      for (const w of planReclaim(views, idle)) {
        w.reclaiming = true;
        w.runtime.send({ t: 'reclaim', ids: w.inFlight.slice(1).map((t) => t.id) });
      }
    }
    this.#wakeSpaceWaiters();
  }

  /** Moves up to `room` queued tasks into `w`'s in-flight list. */
  #takeFromQueue(w: WorkerSlot, room: number): Task[] {
    const batch: Task[] = [];
    while (room > 0 && this.#queue.length > 0) {
      const task = this.#queue.peek()!;
      if (task.settled) { this.#queue.shift(); continue; }
      if (task.minWorkerId >= w.id) break; // a retry waits for a fresh worker
      wireOf(task);
      // A task holding shared objects may block (a lock, a barrier, a queue):
      // it runs only on an idle worker, and nothing is queued behind it.
      if (task.exclusive && (w.inFlight.length > 0 || batch.length > 0)) break;
      this.#queue.shift();
      this.#queued--;
      task.attempts++;
      task.wire!.at = task.attempts;
      task.started = false;
      task.startedAt = 0;
      this.#stats.waitTimes.add(performance.now() - task.enqueuedAt);
      w.inFlight.push(task);
      this.#inFlight++;
      w.dispatched++;
      batch.push(task);
      room--;
      if (task.exclusive) break;
    }
    return batch;
  }

  #sendRun(w: WorkerSlot, batch: Task[]): void {
    try {
      w.runtime.send({ t: 'run', tasks: batch.map((t) => t.wire!) });
      return;
    } catch {
      // Some argument cannot be serialized: find which, fail those alone, send the rest.
    }
    for (const t of batch) {
      try {
        w.runtime.send({ t: 'run', tasks: [t.wire!] });
      } catch (err) {
        w.take(t.id);
        this.#inFlight--;
        w.dispatched--;
        this.#fail(t, new DataCloneError(`the arguments of task ${JSON.stringify(t.name)}`, err), 'error', w);
      }
    }
  }

  // ── events from workers ───────────────────────────────────────────────────

  #onEvent(w: WorkerSlot, ev: WorkerEvent): void {
    switch (ev.t) {
      case 'done':
        if (ev.nx !== undefined) this.#markStarted(w, ev.nx);
        return this.#onDone(w, ev.id, outcomeOf(ev), ev.ms);
      case 'started': return this.#markStarted(w, ev.id);
      case 'log': return this.#logs.chunk(w, ev.s, ev.x, ev.task);
      case 'ready': return this.#onReady(w, ev.exports);
      case 'startError': {
        const cause = decodeError(ev.e);
        const what = ev.phase === 'initializer' ? `the initializer ${JSON.stringify(this.#opts.initializer)} threw` : ev.phase === 'import' ? 'the task module threw while loading' : 'protocol mismatch';
        w.startError = new WorkerStartError(w.id, `${what}: ${cause.message}`, cause);
        return;
      }
      case 'recycle':
        // Past its memory cap after a task: it handed back what it had not started.
        w.state = 'stopping';
        w.killReason = 'memory';
        w.rss = ev.mem;
        this.#stats.recycled++;
        this.#takeBack(w, ev.returned);
        return this.#updateRefs();
      case 'returned':
        w.reclaiming = false;
        this.#takeBack(w, ev.ids);
        this.#afterProgress();
        return;
      case 'overLimit': w.rss = ev.mem; return this.#overHardLimit(w, ev.mem);
      case 'hub': return hubReceive(w.peer, ev.m);
    }
  }

  /** Tasks a worker gave back unstarted: out of its in-flight list, to the front of the queue. */
  #takeBack(w: WorkerSlot, ids: number[]): void {
    const back: Task[] = [];
    for (const id of ids) {
      const t = w.take(id);
      if (!t) continue;
      this.#inFlight--;
      w.dispatched--;
      t.attempts--;
      back.push(t);
    }
    this.#requeueFront(back);
  }

  #onReady(w: WorkerSlot, exports: string[]): void {
    if (w.state !== 'starting') return;
    w.state = 'ready';
    w.startTimer?.clear();
    this.#startFailures = 0;
    if (!this.#exports) {
      this.#exports = exports;
      // Tasks queued before anyone knew the exports: reject the unknown names now.
      for (const t of this.#queue.drain()) {
        if (!t.settled && !exports.includes(t.name)) { this.#queued--; t.settle(new UnknownTaskError(t.name, exports)); }
        else this.#queue.push(t);
      }
    }
    this.#events.emit('workerStart', { workerId: w.id, pid: w.pid });
    if (this.#readyWaiters.length && this.#allReady()) for (const r of this.#readyWaiters.splice(0)) r.resolve();
    this.#afterProgress();
  }

  #markStarted(w: WorkerSlot, id: number): void {
    const t = w.inFlight.find((x) => x.id === id);
    if (!t || t.started) return;
    t.started = true;
    t.startedAt = performance.now();
    if (t.settled || t.timeout === undefined) return;
    const ms = t.timeout;
    t.timer = armTaskTimeout(ms, () => {
      if (t.settled || !w.inFlight.includes(t)) return;
      this.#fail(t, new TaskTimeoutError(ms), 'timeout', w);
      // A synchronous infinite loop cannot be interrupted any other way.
      this.#kill(w, 'timeout');
    });
  }

  #onDone(w: WorkerSlot, id: number, result: ChunkOutcome, ms: number): void {
    const t = w.take(id);
    if (!t) return;
    this.#inFlight--;
    w.tasksDone++;
    w.recordRunTime(ms);
    this.#stats.runTimes.add(ms);
    if (!t.settled) {
      const failed = result.errors?.length ?? 0;
      if (failed > 0 && t.retryOnError && t.attempts <= t.retries) {
        this.#stats.retried++;
        this.#requeueFront([t]);
      } else {
        this.#stats.completed += result.values.length - failed;
        this.#stats.failed.error += failed;
        if (failed) for (const [, error] of result.errors!) this.#events.emit('taskError', { taskId: t.id, name: t.name, error });
        t.settle(result, { workerId: w.id, ms });
      }
    }
    this.#afterProgress();
  }

  #onChannelError(w: WorkerSlot, err: Error): void {
    if (w.state === 'exited') return;
    w.channelError ??= err;
    this.#kill(w, 'protocol');
  }

  /** A worker passed `hardMemoryFactor` × `maxMemory` while running a task: fail that task, kill the worker. */
  #overHardLimit(w: WorkerSlot, mem: number): void {
    if (w.inFlight.length === 0 || w.killReason !== undefined) return;
    const limit = this.#opts.maxMemory!;
    const hard = limit * this.#opts.hardMemoryFactor;
    this.#fail(w.inFlight[0]!, new MemoryLimitError(limit, mem, ` (hard cap ${Math.round(hard)} bytes)`), 'memory', w);
    this.#kill(w, 'memory');
  }

  #abort(t: Task): void {
    if (t.settled) return;
    const holder = this.#holderOf(t);
    if (!holder) this.#queued--; // still queued: dispatch skips settled tasks, so it never runs
    this.#fail(t, new AbortError(t.signal?.reason), 'aborted');
    if (!holder) return this.#afterProgress();
    let reason: unknown = t.signal?.reason;
    try { structuredClone(reason); } catch { reason = String(reason); }
    holder.runtime.send({ t: 'abort', id: t.id, reason });
    // Running now: a grace period to notice its signal, then the worker is killed.
    if (holder.inFlight[0] === t) armAbortGrace(this.#opts.abortGrace, () => holder.inFlight[0] === t, () => this.#kill(holder, 'abort'));
  }

  // ── worker lifecycle ──────────────────────────────────────────────────────

  #spawnWorker(restarts: number, lastExitReason: ExitReason | undefined): void {
    const w = new WorkerSlot(this.#nextWorkerId++, restarts, lastExitReason, (line) => this.#logs.line(line));
    this.#workers.set(w.id, w);
    startWorker(w, this.#opts, this.#moduleHref, this.#spawn, {
      onEvent: (ev) => this.#onEvent(w, ev),
      onOutput: (stream, text) => this.#logs.chunk(w, stream, text, w.inFlight[0]?.id ?? null),
      onChannelError: (err) => this.#onChannelError(w, err),
      onExit: (info) => this.#onExit(w, info),
    }, this.#logs.wanted());
    w.refd = true;
  }

  /** Stops a worker that has nothing more to do: its maxTasksPerChild is used up, or the pool is closing. */
  #stopIfDone(w: WorkerSlot): boolean {
    if (w.state !== 'ready' || w.inFlight.length > 0) return false;
    const reason: ExitReason | undefined = w.dispatched >= this.#opts.maxTasksPerChild ? 'recycle'
      : this.#state === 'closed' && this.#queued === 0 && this.#leases.size === 0 ? 'shutdown' : undefined;
    if (!reason) return false;
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

  /** The never-hang path: runs once per worker, after everything it sent was read. */
  #onExit(w: WorkerSlot, info: ExitInfo): void {
    const wasStarting = w.state === 'starting' && w.killReason === undefined;
    w.state = 'exited';
    w.startTimer?.clear();
    this.#workers.delete(w.id);
    // Lines written just before the exit are delivered before the exit is reported.
    w.stdout.flush();
    w.stderr.flush();
    hubPeerGone(w.peer);
    if (wasStarting) return this.#onStartFailure(w, info);
    const reason: ExitReason = w.killReason ?? 'crash';
    // Only a task the worker said it started can be the one that killed it.
    const running = w.inFlight[0]?.started ? w.inFlight.shift() : undefined;
    const behind = w.inFlight.splice(0);
    this.#inFlight -= behind.length + (running ? 1 : 0);
    if (running && !running.settled) this.#judge(w, running, info, reason);
    // Tasks behind the running one never started: innocent, they run elsewhere.
    for (const t of behind) t.attempts--;
    this.#requeueFront(behind);
    this.#events.emit('workerExit', { workerId: w.id, pid: w.pid, reason, exitCode: info.exitCode, signal: info.signal });
    if (this.#needsWorkers()) this.#spawnWorker(w.restarts + 1, reason);
    this.#afterProgress();
  }

  #judge(w: WorkerSlot, t: Task, info: ExitInfo, reason: ExitReason): void {
    const verdict = judgeRunningTask({ name: t.name, retries: t.retries, crashes: t.crashes ?? [] }, {
      reason, poolAlive: this.#state !== 'terminated' && this.#state !== 'broken', terminated: this.#state === 'terminated',
      exitCode: info.exitCode, signal: info.signal, outOfMemory: info.outOfMemory, runtimeError: info.error,
      channelError: w.channelError, pid: w.pid, workerId: w.id, memoryLimit: heapLimitBytes(this.#opts), rss: w.rss,
    });
    if (verdict.kind === 'retry') {
      t.crashes = verdict.crashes;
      this.#stats.retried++;
      t.minWorkerId = this.#nextWorkerId - 1; // only a worker spawned after this crash may take it
      return this.#requeueFront([t]);
    }
    if (verdict.failure) this.#fail(t, verdict.error, verdict.failure, w);
    else t.settle(verdict.error);
  }

  #onStartFailure(w: WorkerSlot, info: ExitInfo): void {
    const err = w.startError ?? new WorkerStartError(w.id, startFailureMessage(info.exitCode, info.signal, info.error), info.error);
    this.#startFailures++;
    this.#events.emit('workerExit', { workerId: w.id, pid: w.pid, reason: 'start-failure', exitCode: info.exitCode, signal: info.signal, error: err });
    if (this.#state === 'terminated') return this.#afterProgress();
    if (this.#startFailures >= this.#opts.maxStartFailures) {
      // Too many in a row: fail everything, spawn nothing more (Python respawns forever here).
      this.#state = 'broken';
      this.#brokenError = new PoolBrokenError(this.#startFailures, err);
      this.#failAll(this.#brokenError);
      for (const x of this.#workers.values()) this.#kill(x, 'shutdown');
      for (const r of this.#readyWaiters.splice(0)) r.reject(this.#brokenError);
      return this.#afterProgress();
    }
    this.#pendingRestarts.push(w.restarts + 1);
    this.#respawnTimer ??= setTimeout(() => {
      this.#respawnTimer = undefined;
      for (const restarts of this.#pendingRestarts.splice(0)) if (this.#needsWorkers()) this.#spawnWorker(restarts, 'start-failure');
      this.#afterProgress();
    }, startBackoffMs(this.#startFailures));
    this.#afterProgress();
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
    this.#events.emit('taskError', { taskId: t.id, name: t.name, error: err });
    t.settle(err, { workerId: w?.id ?? 0, ms: t.startedAt ? performance.now() - t.startedAt : 0 });
  }

  /** Whether a dead worker should be replaced now. */
  #needsWorkers(): boolean {
    if (this.#state === 'terminated' || this.#state === 'broken') return false;
    if (this.#state === 'closed' && this.#queued === 0) return false;
    let live = 0;
    for (const w of this.#workers.values()) if (w.state === 'starting' || w.state === 'ready') live++;
    return live + this.#pendingRestarts.length < this.#opts.processes;
  }

  /** After close(), a crash can leave queued work with no worker: make sure someone runs it. */
  #ensureWorkers(): void {
    while (this.#needsWorkers() && !this.#respawnTimer && this.#state !== 'running') this.#spawnWorker(0, undefined);
  }

  // ── pool lifecycle ────────────────────────────────────────────────────────

  close(): void {
    if (this.#state !== 'running') return;
    this.#state = 'closed';
    this.#afterProgress();
  }

  terminate(): Promise<void> {
    if (this.#state !== 'terminated') {
      this.#state = 'terminated';
      if (this.#respawnTimer) clearTimeout(this.#respawnTimer);
      this.#respawnTimer = undefined;
      this.#pendingRestarts = [];
      this.#failAll(new PoolTerminatedError());
      for (const w of this.#workers.values()) {
        this.#kill(w, 'shutdown', 'SIGTERM');
        // A worker that ignores SIGTERM or is stuck in native code still goes.
        setTimeout(() => this.#kill(w, 'shutdown', 'SIGKILL'), SIGKILL_GRACE_MS).unref();
      }
      for (const r of this.#readyWaiters.splice(0)) r.reject(new PoolTerminatedError());
    }
    this.#afterProgress();
    return this.whenIdle();
  }

  #failAll(err: Error): void {
    for (const t of this.#queue.drain()) t.settle(err);
    this.#queued = 0;
    for (const w of this.#workers.values()) for (const t of w.inFlight) t.settle(err);
    this.#wakeSpaceWaiters();
  }

  /**
   * Resolves when every task has settled and every worker has exited. Open
   * calls are told to drain: an imap whose consumer waits for join() reads the
   * rest of its input now, as Python's does, instead of deadlocking.
   */
  whenIdle(): Promise<void> {
    if (this.#state === 'closed' && !this.#draining) {
      this.#draining = true;
      for (const lease of [...this.#leases]) lease.onDrain?.();
    }
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  ready(): Promise<void> {
    if (this.#state === 'broken') return Promise.reject(this.#brokenError);
    if (this.#state === 'terminated') return Promise.reject(new PoolTerminatedError());
    if (this.#allReady()) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new PoolClosedError('wait for workers to be ready'));
    const waiting = new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    this.#updateRefs();
    return waiting;
  }

  #allReady(): boolean {
    let ready = 0;
    for (const w of this.#workers.values()) if (w.state === 'ready') ready++;
    return ready >= this.#opts.processes;
  }

  #isIdle(): boolean {
    // After terminate() or a break, open calls can submit nothing more: do not wait for them.
    const leases = this.#state === 'closed' ? this.#leases.size : 0;
    return this.#workers.size === 0 && this.#queued === 0 && this.#inFlight === 0 && !this.#respawnTimer && leases === 0;
  }

  /** After anything that may have freed a worker or settled work: stop, dispatch, wake. */
  #afterProgress(): void {
    for (const w of this.#workers.values()) this.#stopIfDone(w);
    // Also with the queue empty: an idle worker may reclaim tasks stuck behind a busy one.
    if (this.#state === 'running' || this.#state === 'closed') this.#enqueueDispatch();
    this.#updateRefs();
    this.#wakeSpaceWaiters();
    if (this.#state !== 'running' && this.#isIdle()) {
      this.#memory?.stop();
      for (const r of this.#idleWaiters.splice(0)) r();
    }
  }

  #enqueueDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask, so a loop of applyAsync calls becomes one batch per worker.
    queueMicrotask(() => this.#dispatch());
  }

  #wakeSpaceWaiters(): void {
    while (this.#spaceWaiters.length && this.#queued < this.#opts.maxQueue) this.#spaceWaiters.shift()!();
  }

  /**
   * Workers keep this process alive only while there is work or a shutdown in
   * progress, so a script that forgets close() still exits when its work is done.
   */
  #updateRefs(): void {
    const busy = this.#queued + this.#inFlight > 0 || (this.#state !== 'running' && !this.#isIdle()) || this.#readyWaiters.length > 0;
    // A starting or stopping worker is a change in progress: see it through.
    for (const w of this.#workers.values()) w.setRef(busy || w.state === 'starting' || w.state === 'stopping');
    if (this.#respawnTimer) {
      if (busy) this.#respawnTimer.ref();
      else this.#respawnTimer.unref();
    }
  }

  stats(): PoolStats {
    let running = 0;
    for (const w of this.#workers.values()) running += Math.min(1, w.inFlight.length);
    return this.#stats.snapshot(this.#queued, running, [...this.#workers.values()].map((w) => ({
      id: w.id, pid: w.pid, tasksDone: w.tasksDone,
      rss: this.#opts.runtime === 'process' ? (w.runtime.memory() ?? w.rss) : w.rss,
      restarts: w.restarts, lastExitReason: w.lastExitReason,
    })));
  }

  /** Pid of every live worker process (for tests and the parent-death reaper). */
  pids(): number[] {
    return [...this.#workers.values()].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }
}
