/**
 * The private engine behind `Pool`: it owns the task queue and the workers.
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
 * - a task never waits inside a busy worker while another worker is idle or starting: it is
 *   pipelined behind a running task only when every live worker has work, and a worker that
 *   goes idle with the queue empty reclaims the unstarted tasks of a busy one;
 * - a call in progress (a map or imap still reading its input) holds a lease: after close()
 *   its remaining chunks are still accepted, and join() waits for them.
 */
import type { EventEmitter } from 'node:events';
import {
  AbortError, DataCloneError, MemoryLimitError, PoolBrokenError, PoolClosedError, PoolTerminatedError,
  QueueFullError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError, WorkerStartError,
} from '../errors.js';
import { FrameDecodeError } from '../protocol/framing.js';
import { longTimeout } from '../util/timers.js';
import { PROTOCOL_VERSION, type InitCommand, type Outcome, type WireTask, type WorkerEvent } from '../protocol/messages.js';
import { decodeError } from '../protocol/values.js';
import { spawnProcessWorker } from '../runtime/process.js';
import { spawnThreadWorker } from '../runtime/thread.js';
import type { ExitInfo, SpawnWorker } from '../runtime/types.js';
import { decodeShared, encodeShared } from '../shared/codec.js';
import { hubPeerGone, hubReceive } from '../shared/link.js';
import type { ResolvedOptions } from '../options.js';
import { Deque } from '../util/deque.js';
import { printLine, type LogLine } from './logs.js';
import { Timings, type ExitReason, type FailureKind, type PoolStats } from './stats.js';
import type { Task, TaskResult } from './task.js';
import { WorkerSlot } from './worker-slot.js';

/** Tasks handed to a worker before its speed is known. */
const INITIAL_IN_FLIGHT = 2;
/** Upper bound on tasks queued inside one worker: a slow task can strand at most this many behind it. */
const MAX_IN_FLIGHT = 64;
/** Keep about this much work (ms) queued inside each worker, so it never idles waiting for a round trip. */
const PIPELINE_BUDGET_MS = 2;
/** Grace between SIGTERM and SIGKILL in terminate(). */
export const SIGKILL_GRACE_MS = 1000;
/** Backoff between failed worker starts: base, doubling, capped. */
const START_BACKOFF_BASE_MS = 50;
const START_BACKOFF_MAX_MS = 2000;
/** How often worker memory is read while `maxMemory` is set. */
const MEMORY_POLL_MS = 100;
const MB = 1024 * 1024;

type PoolState = 'running' | 'closed' | 'terminated' | 'broken';

/**
 * A call that submits its tasks over time (map chunks sized as results come
 * in, imap reading its input). While open, the engine accepts its tasks even
 * after close(), and join() waits for it to be released.
 */
export interface CallLease {
  /** Called once when join() starts waiting: read the rest of the input without waiting for the consumer. */
  onDrain: (() => void) | undefined;
  release(): void;
}

export interface SubmitOptions {
  /** With `maxQueue`: wait for room instead of failing with `QueueFullError`. */
  wait?: boolean;
  /** The call this task belongs to, if it holds a lease. */
  lease?: CallLease;
}

export class Supervisor {
  readonly #opts: ResolvedOptions;
  readonly #moduleHref: string;
  readonly #events: EventEmitter;
  readonly #spawn: SpawnWorker;
  readonly #queue = new Deque<Task>();
  readonly #workers = new Map<number, WorkerSlot>();
  #state: PoolState = 'running';
  #exports: string[] | undefined;
  #nextWorkerId = 1;
  #queued = 0;
  #inFlight = 0;
  #dispatchScheduled = false;
  #startFailures = 0;
  #brokenError: PoolBrokenError | undefined;
  #respawnTimer: NodeJS.Timeout | undefined;
  #memoryTimer: NodeJS.Timeout | undefined;
  #pendingRestart: { restarts: number; reason: ExitReason }[] = [];
  #idleWaiters: Array<() => void> = [];
  #readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #spaceWaiters: Array<() => void> = [];
  readonly #leases = new Set<CallLease>();
  #draining = false;
  /** One abort listener per signal, however many tasks share it (a map's chunks). */
  readonly #signalTasks = new WeakMap<AbortSignal, Set<Task>>();
  readonly #counts = { completed: 0, retried: 0, recycled: 0, failed: { error: 0, crash: 0, timeout: 0, memory: 0, aborted: 0 } as Record<FailureKind, number> };
  readonly #runTimes = new Timings();
  readonly #waitTimes = new Timings();

  constructor(moduleHref: string, opts: ResolvedOptions, events: EventEmitter) {
    this.#moduleHref = moduleHref;
    this.#opts = opts;
    this.#events = events;
    this.#spawn = opts.runtime === 'thread' ? spawnThreadWorker : spawnProcessWorker;
    for (let i = 0; i < opts.processes; i++) this.#spawnWorker(0, undefined);
    if (opts.maxMemory !== undefined && opts.runtime === 'process') {
      this.#memoryTimer = setInterval(() => this.#pollMemory(), MEMORY_POLL_MS).unref();
    }
  }

  get state(): PoolState {
    return this.#state;
  }

  get queued(): number {
    return this.#queued;
  }

  get exports(): readonly string[] | undefined {
    return this.#exports;
  }

  // ── submitting ────────────────────────────────────────────────────────────

  /**
   * Takes a task in; admission (pool state, `maxQueue`) is decided here alone.
   * Every way out goes through `task.settle`. Returns a promise only when the
   * task waits for queue room (`wait`), resolved once it is admitted or settled.
   */
  submit(task: Task, opts: SubmitOptions = {}): void | Promise<void> {
    const refusal = this.refusal(opts.lease);
    if (refusal) return task.settle(refusal);
    if (this.#queued >= this.#opts.maxQueue) {
      if (!opts.wait) {
        return task.settle(new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue}); pass { waitForSpace: true } to wait for room`));
      }
      return new Promise<void>((resolve) => this.#spaceWaiters.push(() => resolve(this.submit(task, opts) ?? undefined)));
    }
    if (this.#exports && !this.#exports.includes(task.name)) return task.settle(new UnknownTaskError(task.name, this.#exports));
    if (task.signal) {
      if (task.signal.aborted) return task.settle(new AbortError(task.signal.reason));
      this.#watchSignal(task, task.signal);
    }
    this.#enqueue(task, false);
  }

  /** The error a new task would get right now, if any. A task of an open call is still welcome after close(). */
  refusal(lease?: CallLease): Error | undefined {
    switch (this.#state) {
      case 'closed': return lease && this.#leases.has(lease) ? undefined : new PoolClosedError();
      case 'terminated': return new PoolTerminatedError();
      case 'broken': return this.#brokenError;
      default: return undefined;
    }
  }

  /** Opens a lease for a call that will submit more tasks later (see CallLease). Throws if the pool takes no new work. */
  openCall(): CallLease {
    const refusal = this.refusal();
    if (refusal) throw refusal;
    const lease: CallLease = {
      onDrain: undefined,
      release: () => {
        if (!this.#leases.delete(lease)) return;
        if (this.#state === 'closed') for (const w of this.#workers.values()) this.#stopIfDone(w);
        this.#afterProgress();
      },
    };
    this.#leases.add(lease);
    return lease;
  }

  /**
   * Drops a task its caller no longer wants (an imap left early): a queued
   * task never runs, one waiting inside a worker is reclaimed; a running one
   * finishes. Its outcome is discarded and counted nowhere.
   */
  withdraw(task: Task): void {
    if (task.settled) return;
    const holder = this.#holderOf(task);
    if (!holder) {
      this.#queued--;
      task.settle(new AbortError('withdrawn'));
      this.#afterProgress();
      return;
    }
    if (task.started) return;
    task.settle(new AbortError('withdrawn'));
    // It stays in the worker's inFlight until the worker says it took it out.
    holder.runtime.send({ t: 'reclaim', ids: [task.id] });
  }

  #holderOf(task: Task): WorkerSlot | undefined {
    for (const w of this.#workers.values()) if (w.inFlight.includes(task)) return w;
    return undefined;
  }

  #watchSignal(task: Task, signal: AbortSignal): void {
    let tasks = this.#signalTasks.get(signal);
    if (!tasks) {
      const group = (tasks = new Set());
      this.#signalTasks.set(signal, group);
      const onAbort = () => {
        this.#signalTasks.delete(signal);
        for (const t of [...group]) this.#abort(t);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      (group as Set<Task> & { off?: () => void }).off = () => signal.removeEventListener('abort', onAbort);
    }
    tasks.add(task);
    const group = tasks as Set<Task> & { off?: () => void };
    task.removeAbortListener = () => {
      group.delete(task);
      if (group.size === 0 && this.#signalTasks.get(signal) === group) {
        this.#signalTasks.delete(signal);
        group.off?.();
      }
    };
  }

  #enqueue(task: Task, front: boolean): void {
    if (front) this.#queue.unshift(task);
    else this.#queue.push(task);
    this.#queued++;
    this.#updateRefs();
    this.#ensureWorkers();
    this.#scheduleDispatch();
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask, so a loop of applyAsync calls becomes one batch per worker.
    queueMicrotask(() => this.#dispatch());
  }

  // ── dispatching ───────────────────────────────────────────────────────────

  #dispatch(): void {
    this.#dispatchScheduled = false;
    // Idle workers first, so a task never waits behind another while a worker is free.
    const ready = [...this.#workers.values()].filter((w) => w.state === 'ready').sort((a, b) => a.inFlight.length - b.inFlight.length);
    let live = 0;
    let starting = 0;
    let idle = 0;
    for (const w of this.#workers.values()) {
      if (w.state === 'starting') { live++; starting++; }
      if (w.state === 'ready') { live++; if (w.inFlight.length === 0 && w.dispatched < this.#opts.maxTasksPerChild) idle++; }
    }
    // A burst is shared out evenly among live workers, including those still
    // starting: one worker must not take a whole batch of tasks whose cost
    // it has not seen (40 heavy tasks after 200 no-ops).
    const share = Math.ceil(this.#queued / Math.max(1, live));
    for (const w of ready) {
      if (this.#queue.length === 0) break;
      const capacity = this.#capacity(w);
      const wasIdle = w.inFlight.length === 0;
      if (!wasIdle) {
        // Pipelining behind a running task is safe only when no other worker
        // could take the task now: a task must not wait behind one that may
        // never finish while a worker idles or is about to be ready.
        if (idle > 0 || starting > 0) continue;
        if (w.inFlight[w.inFlight.length - 1]!.exclusive) continue;
        // Refill a busy worker only once it has worked through half its pipeline:
        // fewer, larger messages (each write wakes the worker).
        if (w.inFlight.length > capacity / 2) continue;
      }
      let room = Math.min(capacity - w.inFlight.length, this.#opts.maxTasksPerChild - w.dispatched, share);
      if (room <= 0) continue;
      const batch: Task[] = [];
      while (room > 0 && this.#queue.length > 0) {
        const task = this.#queue.peek()!;
        if (task.settled) { this.#queue.shift(); continue; }
        if (task.minWorkerId >= w.id) break; // a retry waits for a fresh worker
        this.#wire(task);
        // A task holding shared objects may block (a lock, a barrier, a queue):
        // it runs only on an idle worker, and nothing is queued behind it.
        if (task.exclusive && (w.inFlight.length > 0 || batch.length > 0)) break;
        this.#queue.shift();
        this.#queued--;
        task.attempts++;
        task.wire!.at = task.attempts;
        task.started = false;
        task.startedAt = 0;
        this.#waitTimes.add(performance.now() - task.enqueuedAt);
        w.inFlight.push(task);
        this.#inFlight++;
        w.dispatched++;
        batch.push(task);
        room--;
        if (task.exclusive) break;
      }
      if (batch.length) {
        if (wasIdle) idle--;
        this.#sendRun(w, batch);
      }
    }
    if (this.#queue.length === 0 && idle > 0) this.#reclaimFromBusy(idle);
    this.#wakeSpaceWaiters();
  }

  /**
   * Workers idle and nothing queued, while tasks wait inside busy workers
   * behind a running one: ask the busiest for its unstarted tasks back. The
   * worker answers `returned` between two tasks, so a task can never both be
   * given back and start; a worker stuck in synchronous code cannot answer,
   * and keeps them until its running task ends or times out.
   */
  #reclaimFromBusy(idle: number): void {
    const busy = [...this.#workers.values()]
      .filter((w) => w.state === 'ready' && !w.reclaiming && w.inFlight.length > 1)
      .sort((a, b) => b.inFlight.length - a.inFlight.length);
    for (const w of busy.slice(0, idle)) {
      w.reclaiming = true;
      w.runtime.send({ t: 'reclaim', ids: w.inFlight.slice(1).map((t) => t.id) });
    }
  }

  #capacity(w: WorkerSlot): number {
    if (Number.isNaN(w.avgMs)) return INITIAL_IN_FLIGHT;
    return Math.max(1, Math.min(MAX_IN_FLIGHT, Math.round(PIPELINE_BUDGET_MS / Math.max(w.avgMs, 1e-3))));
  }

  #sendRun(w: WorkerSlot, batch: Task[]): void {
    const wires = batch.map((t) => t.wire!);
    try {
      w.runtime.send({ t: 'run', tasks: wires });
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
        this.#finish(t, new DataCloneError(`the arguments of task ${JSON.stringify(t.name)}`, err), 'error', w);
      }
    }
  }

  #wire(t: Task): WireTask {
    if (!t.wire) {
      const enc = encodeShared(t.items ?? t.args ?? []);
      t.wire = !t.items ? { id: t.id, n: t.name, a: enc.value as unknown[] }
        : t.spread ? { id: t.id, n: t.name, c: enc.value as unknown[][] }
        : { id: t.id, n: t.name, m: enc.value as unknown[] };
      if (t.timeout !== undefined || t.signal) t.wire.s = 1;
      if (enc.found) { t.wire.h = 1; t.exclusive = true; }
    }
    return t.wire;
  }

  // ── events from workers ───────────────────────────────────────────────────

  #onEvent(w: WorkerSlot, ev: WorkerEvent): void {
    switch (ev.t) {
      case 'done':
        if (ev.nx !== undefined) { const next = w.inFlight.find((x) => x.id === ev.nx); if (next) { next.started = true; next.startedAt = performance.now(); } }
        return this.#onDone(w, ev.id, toTaskResult(ev), ev.ms);
      case 'started': return this.#onStarted(w, ev.id);
      case 'log': if (this.#wantsLogs()) (ev.s === 'stderr' ? w.stderr : w.stdout).push(ev.x, ev.task); return;
      case 'ready': return this.#onReady(w, ev.exports);
      case 'startError': {
        const cause = decodeError(ev.e);
        const what = ev.phase === 'initializer' ? `the initializer ${JSON.stringify(this.#opts.initializer)} threw` : ev.phase === 'import' ? 'the task module threw while loading' : 'protocol mismatch';
        w.startError = new WorkerStartError(w.id, `${what}: ${cause.message}`, cause);
        return;
      }
      case 'recycle': {
        // The worker passed its memory cap after a task and handed back what it had not started.
        w.state = 'stopping';
        w.killReason = 'memory';
        w.rss = ev.mem;
        this.#counts.recycled++;
        this.#takeBack(w, ev.returned);
        this.#updateRefs();
        return;
      }
      case 'returned':
        w.reclaiming = false;
        this.#takeBack(w, ev.ids);
        this.#afterProgress();
        return this.#scheduleDispatch();
      case 'overLimit': w.rss = ev.mem; return this.#overHardLimit(w, ev.mem);
      case 'hub': return hubReceive(w.peer, ev.m);
    }
  }

  /** Tasks a worker gave back unstarted: out of its in-flight set, to the front of the queue. */
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

  #onChannelError(w: WorkerSlot, err: Error): void {
    if (w.state === 'exited') return;
    w.channelError ??= err;
    this.#kill(w, 'protocol');
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
    this.#checkReady();
    this.#updateRefs();
    if (!this.#stopIfDone(w)) this.#scheduleDispatch();
  }

  #onStarted(w: WorkerSlot, id: number): void {
    const t = w.inFlight.find((x) => x.id === id);
    if (!t) return;
    t.started = true;
    t.startedAt = performance.now();
    if (t.settled || t.timeout === undefined) return;
    const ms = t.timeout;
    t.timer = longTimeout(() => {
      if (t.settled || !w.inFlight.includes(t)) return;
      this.#finish(t, new TaskTimeoutError(ms), 'timeout', w);
      // A synchronous infinite loop cannot be interrupted any other way.
      this.#kill(w, 'timeout');
    }, ms);
  }

  #onDone(w: WorkerSlot, id: number, result: TaskResult, ms: number): void {
    const t = w.take(id);
    if (!t) return;
    this.#inFlight--;
    w.tasksDone++;
    w.recordRunTime(ms);
    this.#runTimes.add(ms);
    if (!t.settled) {
      const failed = result.errors?.length ?? 0;
      if (failed > 0 && t.retryOnError && t.attempts <= t.retries) {
        this.#counts.retried++;
        this.#requeueFront([t]);
      } else {
        this.#counts.completed += result.values.length - failed;
        this.#counts.failed.error += failed;
        if (failed) for (const [, error] of result.errors!) this.#events.emit('taskError', { taskId: t.id, name: t.name, error });
        t.settle(result, { workerId: w.id, ms });
      }
    }
    if (!this.#stopIfDone(w)) this.#scheduleDispatch();
    this.#afterProgress();
  }

  /** Stops a worker that has nothing more to do: its maxTasksPerChild is used up, or the pool is closing. */
  #stopIfDone(w: WorkerSlot): boolean {
    if (w.state !== 'ready' || w.inFlight.length > 0) return false;
    if (w.dispatched >= this.#opts.maxTasksPerChild) {
      this.#stop(w, 'recycle');
      return true;
    }
    if (this.#state === 'closed' && this.#queued === 0 && this.#leases.size === 0) {
      this.#stop(w, 'shutdown');
      return true;
    }
    return false;
  }

  #stop(w: WorkerSlot, reason: ExitReason): void {
    w.state = 'stopping';
    w.killReason = reason;
    w.runtime.send({ t: 'stop' });
    this.#updateRefs();
  }

  #kill(w: WorkerSlot, reason: ExitReason, signal: NodeJS.Signals = 'SIGKILL'): void {
    if (w.state === 'exited') return;
    w.killReason ??= reason;
    if (w.state !== 'starting') w.state = 'stopping';
    w.runtime.kill(signal);
    this.#updateRefs();
  }

  // ── worker exit: the never-hang path ──────────────────────────────────────

  #onExit(w: WorkerSlot, info: ExitInfo): void {
    const wasStarting = w.state === 'starting' && w.killReason === undefined;
    w.state = 'exited';
    w.startTimer?.clear();
    this.#workers.delete(w.id);
    // Lines written just before the exit are delivered before the exit is reported.
    w.stdout.flush();
    w.stderr.flush();
    hubPeerGone(w.peer);

    if (wasStarting) {
      this.#onStartFailure(w, info);
    } else {
      const reason: ExitReason = w.killReason ?? 'crash';
      // Only a task the worker said it started can be the one that killed it.
      const running = w.inFlight[0]?.started ? w.inFlight.shift() : undefined;
      const behind = w.inFlight.splice(0);
      this.#inFlight -= behind.length + (running ? 1 : 0);
      if (running) this.#blame(w, running, info, reason);
      // Tasks behind the running one never started: they are innocent, run them elsewhere.
      for (const t of behind) t.attempts--;
      this.#requeueFront(behind);
      this.#events.emit('workerExit', { workerId: w.id, pid: w.pid, reason, exitCode: info.exitCode, signal: info.signal });
      if (this.#needsWorkers()) this.#spawnWorker(w.restarts + 1, reason);
    }
    this.#afterProgress();
  }

  /** Settles or retries the task a worker was running when it died. */
  #blame(w: WorkerSlot, t: Task, info: ExitInfo, reason: ExitReason): void {
    if (t.settled) return;
    if (reason === 'shutdown' && this.#state === 'terminated') return t.settle(new PoolTerminatedError());
    if (reason === 'protocol' && (w.channelError instanceof FrameDecodeError || w.channelError?.name === 'DataCloneError')) {
      // Its message was sent whole but cannot be read here (nested too deep...):
      // the same value would fail again, so no retry.
      return this.#finish(t, new DataCloneError(`the result of task ${JSON.stringify(t.name)}`, w.channelError), 'error', w);
    }
    const crashes = (t.crashes ??= []);
    crashes.push({ exitCode: info.exitCode, signal: info.signal, pid: w.pid });
    if (crashes.length <= t.retries && this.#state !== 'terminated' && this.#state !== 'broken') {
      this.#counts.retried++;
      t.minWorkerId = this.#nextWorkerId - 1; // only a worker spawned after this crash may take it
      this.#requeueFront([t]);
      return;
    }
    const limit = this.#opts.maxMemory ?? (this.#opts.maxOldGenerationSizeMb !== undefined ? this.#opts.maxOldGenerationSizeMb * MB : undefined);
    if (limit !== undefined && (info.outOfMemory || reason === 'memory')) {
      const detail = info.outOfMemory ? ' (V8 ran out of heap)' : '';
      this.#finish(t, new MemoryLimitError(limit, w.rss, detail), 'memory', w);
      return;
    }
    this.#finish(t, new WorkerCrashedError({
      exitCode: info.exitCode, signal: info.signal, pid: w.pid, workerId: w.id,
      detail: info.outOfMemory ? 'V8 ran out of heap memory' : (w.channelError ?? info.error)?.message, attempts: crashes,
    }), 'crash', w);
  }

  #onStartFailure(w: WorkerSlot, info: ExitInfo): void {
    const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.exitCode}`;
    const err = w.startError ?? new WorkerStartError(w.id, `the worker ${how} before it was ready${info.error ? `: ${info.error.message}` : ''}`, info.error);
    this.#startFailures++;
    this.#events.emit('workerExit', { workerId: w.id, pid: w.pid, reason: 'start-failure', exitCode: info.exitCode, signal: info.signal, error: err });
    if (this.#state === 'terminated') return;
    if (this.#startFailures >= this.#opts.maxStartFailures) return this.#break(err);
    this.#pendingRestart.push({ restarts: w.restarts + 1, reason: 'start-failure' });
    if (!this.#respawnTimer) {
      const delay = Math.min(START_BACKOFF_BASE_MS * 2 ** (this.#startFailures - 1), START_BACKOFF_MAX_MS);
      this.#respawnTimer = setTimeout(() => {
        this.#respawnTimer = undefined;
        const waiting = this.#pendingRestart.splice(0);
        for (const p of waiting) if (this.#needsWorkers()) this.#spawnWorker(p.restarts, p.reason);
        this.#afterProgress();
      }, delay);
    }
  }

  /** Too many start failures in a row: fail everything, spawn nothing more. */
  #break(lastStartError: Error): void {
    this.#state = 'broken';
    this.#brokenError = new PoolBrokenError(this.#startFailures, lastStartError);
    this.#failAll(this.#brokenError);
    for (const w of this.#workers.values()) this.#kill(w, 'shutdown');
    for (const r of this.#readyWaiters.splice(0)) r.reject(this.#brokenError);
  }

  #requeueFront(tasks: Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i]!;
      if (t.settled) continue;
      if (this.#state === 'terminated') { t.settle(new PoolTerminatedError()); continue; }
      if (this.#state === 'broken') { t.settle(this.#brokenError!); continue; }
      this.#enqueue(t, true);
    }
  }

  #finish(t: Task, err: Error, kind: FailureKind, w?: WorkerSlot): void {
    if (t.settled) return;
    this.#counts.failed[kind] += t.size;
    this.#events.emit('taskError', { taskId: t.id, name: t.name, error: err });
    t.settle(err, { workerId: w?.id ?? 0, ms: t.startedAt ? performance.now() - t.startedAt : 0 });
  }

  #abort(t: Task): void {
    if (t.settled) return;
    const err = new AbortError(t.signal?.reason);
    const holder = this.#holderOf(t);
    if (!holder) {
      // Still queued: it will never run (dispatch skips settled tasks).
      this.#queued--;
      this.#finish(t, err, 'aborted');
      this.#afterProgress();
      return;
    }
    this.#finish(t, err, 'aborted');
    let reason: unknown = t.signal?.reason;
    try { structuredClone(reason); } catch { reason = String(reason); }
    holder.runtime.send({ t: 'abort', id: t.id, reason });
    if (holder.inFlight[0] === t) {
      // Running now: give it a grace period to notice its signal, then kill the worker.
      longTimeout(() => { if (holder.inFlight[0] === t) this.#kill(holder, 'abort'); }, this.#opts.abortGrace).unref();
    }
  }

  // ── workers ───────────────────────────────────────────────────────────────

  #spawnWorker(restarts: number, lastExitReason: ExitReason | undefined): void {
    const w = new WorkerSlot(this.#nextWorkerId++, restarts, lastExitReason, (line) => this.#emitLine(line));
    this.#workers.set(w.id, w);
    const hard = this.#opts.maxMemory !== undefined ? Math.ceil((this.#opts.maxMemory * this.#opts.hardMemoryFactor) / MB) : undefined;
    w.runtime = this.#spawn(
      {
        workerId: w.id,
        execArgv: this.#opts.execArgv,
        env: this.#opts.env,
        cwd: this.#opts.cwd,
        maxOldGenerationSizeMb: this.#opts.maxOldGenerationSizeMb ?? hard,
      },
      {
        onEvent: (ev) => this.#onEvent(w, ev),
        onOutput: (stream, text) => { if (this.#wantsLogs()) (stream === 'stderr' ? w.stderr : w.stdout).push(text, w.inFlight[0]?.id ?? null); },
        onChannelError: (err) => this.#onChannelError(w, err),
        onExit: (info) => this.#onExit(w, info),
      },
    );
    const initargs = encodeShared(this.#opts.initargs);
    const init: InitCommand = {
      t: 'init', v: PROTOCOL_VERSION, module: this.#moduleHref, workerId: w.id, h: initargs.found ? 1 : undefined,
      initializer: this.#opts.initializer, initargs: initargs.value as unknown[],
      memoryLimit: this.#opts.maxMemory, runtime: this.#opts.runtime,
      hardMemoryLimit: this.#opts.maxMemory !== undefined ? this.#opts.maxMemory * this.#opts.hardMemoryFactor : undefined, logs: this.#wantsLogs() ? undefined : 0,
    };
    const startTimeout = this.#opts.startTimeout;
    w.startTimer = longTimeout(() => {
      if (w.state !== 'starting') return;
      w.startError = new WorkerStartError(w.id, `it was not ready within ${startTimeout} ms (startTimeout): a module import or initializer that never finishes?`);
      // No killReason: this exit is a failed start (backoff, then PoolBrokenError).
      w.runtime.kill('SIGKILL');
    }, startTimeout);
    w.startTimer.unref();
    try {
      w.runtime.send(init);
    } catch (err) {
      w.startError = new WorkerStartError(w.id, `could not send initargs: ${(err as Error).message}`, err);
      w.runtime.kill('SIGKILL');
    }
    w.refd = true;
  }

  /** Whether a dead worker should be replaced now. */
  #needsWorkers(): boolean {
    if (this.#state === 'terminated' || this.#state === 'broken') return false;
    if (this.#state === 'closed' && this.#queued === 0) return false;
    let live = 0;
    for (const w of this.#workers.values()) if (w.state === 'starting' || w.state === 'ready') live++;
    return live + this.#pendingRestart.length < this.#opts.processes;
  }

  /** After close(), a crash can leave queued work with no worker: make sure someone runs it. */
  #ensureWorkers(): void {
    while (this.#needsWorkers() && !this.#respawnTimer && this.#state !== 'running') this.#spawnWorker(0, undefined);
  }

  #pollMemory(): void {
    const limit = this.#opts.maxMemory!;
    const hard = limit * this.#opts.hardMemoryFactor;
    for (const w of this.#workers.values()) {
      if (w.state !== 'ready' && w.state !== 'stopping') continue;
      const rss = w.runtime.memory();
      if (rss === undefined) continue;
      w.rss = rss;
      if (rss > hard) this.#overHardLimit(w, rss);
    }
  }

  /** A worker passed `hardMemoryFactor` × `maxMemory` while running a task: fail that task, kill the worker. */
  #overHardLimit(w: WorkerSlot, mem: number): void {
    if (w.inFlight.length === 0 || w.killReason !== undefined) return;
    const limit = this.#opts.maxMemory!;
    const hard = limit * this.#opts.hardMemoryFactor;
    this.#finish(w.inFlight[0]!, new MemoryLimitError(limit, mem, ` (hard cap ${Math.round(hard)} bytes)`), 'memory', w);
    this.#kill(w, 'memory');
  }

  /** With `logs: 'silent'` and nobody listening, output is read and dropped, never assembled. */
  #wantsLogs(): boolean {
    return this.#opts.logs !== 'silent' || this.#events.listenerCount('log') > 0;
  }

  #emitLine(line: LogLine): void {
    const sink = this.#opts.logs;
    if (sink === 'inherit') printLine(line);
    else if (typeof sink === 'function') {
      try { sink(line); } catch { /* a throwing log sink must not break the pool */ }
    }
    this.#events.emit('log', line);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  close(): void {
    if (this.#state !== 'running') return;
    this.#state = 'closed';
    for (const w of this.#workers.values()) this.#stopIfDone(w);
    this.#afterProgress();
  }

  terminate(): Promise<void> {
    if (this.#state !== 'terminated') {
      this.#state = 'terminated';
      if (this.#respawnTimer) clearTimeout(this.#respawnTimer);
      this.#respawnTimer = undefined;
      this.#pendingRestart = [];
      this.#failAll(new PoolTerminatedError());
      for (const w of this.#workers.values()) {
        this.#kill(w, 'shutdown', 'SIGTERM');
        // A worker that ignores SIGTERM or is stuck in native code still goes.
        setTimeout(() => this.#kill(w, 'shutdown', 'SIGKILL'), SIGKILL_GRACE_MS).unref();
      }
      for (const r of this.#readyWaiters.splice(0)) r.reject(new PoolTerminatedError());
    }
    this.#updateRefs();
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

  #checkReady(): void {
    if (this.#readyWaiters.length && this.#allReady()) for (const r of this.#readyWaiters.splice(0)) r.resolve();
  }

  #isIdle(): boolean {
    // After terminate() or a break, open calls can submit nothing more: do not wait for them.
    const leases = this.#state === 'closed' ? this.#leases.size : 0;
    return this.#workers.size === 0 && this.#queued === 0 && this.#inFlight === 0 && !this.#respawnTimer && leases === 0;
  }

  #afterProgress(): void {
    this.#updateRefs();
    this.#wakeSpaceWaiters();
    if (this.#state !== 'running' && this.#isIdle()) {
      if (this.#memoryTimer) clearInterval(this.#memoryTimer);
      for (const r of this.#idleWaiters.splice(0)) r();
    }
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
    return {
      queued: this.#queued,
      running,
      completed: this.#counts.completed,
      failed: { ...this.#counts.failed },
      retried: this.#counts.retried,
      recycled: this.#counts.recycled,
      workers: [...this.#workers.values()].map((w) => ({
        id: w.id, pid: w.pid, tasksDone: w.tasksDone,
        rss: this.#opts.runtime === 'process' ? (w.runtime.memory() ?? w.rss) : w.rss,
        restarts: w.restarts, lastExitReason: w.lastExitReason,
      })),
      runTime: this.#runTimes.percentiles(),
      waitTime: this.#waitTimes.percentiles(),
    };
  }

  /** Pid of every live worker process (for tests and the parent-death reaper). */
  pids(): number[] {
    return [...this.#workers.values()].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }
}

function toTaskResult(ev: Extract<WorkerEvent, { t: 'done' }>): TaskResult {
  if (ev.o) {
    const o: Outcome = ev.o;
    if (!o.ok) return { values: [undefined], errors: [[0, decodeError(o.e)]] };
    return { values: [o.h ? decodeShared(o.v) : o.v], errors: undefined };
  }
  const values = ev.h ? (decodeShared(ev.v) as unknown[]) : ev.v!;
  return { values, errors: ev.e?.map(([i, e]) => [i, decodeError(e)]) };
}
