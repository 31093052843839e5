/**
 * The set of worker slots: spawning, replacing, start-failure backoff,
 * readiness and keeping the event loop alive. The supervisor decides *when*
 * workers are wanted (`wanted`); this keeps their count right.
 */
import type { ResolvedOptions } from '../options.js';
import { spawnerFor } from '../runtime/index.js';
import type { RuntimeHandlers, SpawnWorker } from '../runtime/types.js';
import { START_PROBATION_MS, startBackoffMs } from './failures.js';
import type { LogLine } from './logs.js';
import { KeepAlive } from './keep-alive.js';
import { startWorker } from './spawn.js';
import type { ExitReason, WorkerStats } from './stats.js';
import { WorkerSlot } from './worker-slot.js';
import { Waiters } from '../util/waiters.js';

export interface WorkerSetHooks {
  /** Routes one worker's runtime events back to the supervisor. */
  handlers(w: WorkerSlot): RuntimeHandlers;
  /** Whether anyone wants worker output (else workers drop it). */
  sendLogs(): boolean;
  line(line: LogLine): void;
  /** Whether the pool still wants workers (running, or closed with work left). */
  wanted(): boolean;
  /** After a delayed restart has spawned its workers. */
  respawned(): void;
}

export class WorkerSet {
  readonly #slots = new Map<number, WorkerSlot>();
  readonly #opts: ResolvedOptions;
  readonly #moduleHref: string;
  readonly #spawn: SpawnWorker;
  readonly #hooks: WorkerSetHooks;
  #nextId = 1;
  #startFailures = 0;
  #respawnTimer: NodeJS.Timeout | undefined;
  #pendingRestarts: number[] = [];
  #readyWaiters = new Waiters();
  readonly #keepAlive = new KeepAlive();

  constructor(opts: ResolvedOptions, moduleHref: string, hooks: WorkerSetHooks) {
    this.#opts = opts;
    this.#moduleHref = moduleHref;
    this.#hooks = hooks;
    this.#spawn = spawnerFor(opts.runtime);
  }

  values(): IterableIterator<WorkerSlot> {
    return this.#slots.values();
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Id of the newest worker: a retried task waits for one spawned after this. */
  get newestId(): number {
    return this.#nextId - 1;
  }

  /** A restart is waiting out its backoff. */
  get respawning(): boolean {
    return this.#respawnTimer !== undefined;
  }

  spawn(restarts: number, lastExitReason: ExitReason | undefined): void {
    const w = new WorkerSlot(this.#nextId++, restarts, lastExitReason, (line) => this.#hooks.line(line));
    this.#slots.set(w.id, w);
    startWorker(w, this.#opts, this.#moduleHref, this.#spawn, this.#hooks.handlers(w), this.#hooks.sendLogs());
    // The keep-alive decides whether the process stays up (setRefs), not the worker's handles.
    w.runtime.unref();
    this.#keepAlive.set(true);
  }

  /**
   * Tells every live worker whether to send its output (a `'log'` listener
   * came or went on a `'silent'` pool): each decided it when it spawned.
   * A command, so it reaches the worker after its `init` and before any task
   * sent later; output it wrote before reading it is dropped.
   */
  tellLogs(send: boolean): void {
    for (const w of this.#slots.values()) {
      if (w.state === 'exited') continue;
      try { w.runtime.send({ t: 'logs', on: send ? 1 : 0 }); } catch { /* a worker going away: its replacement spawns with the new choice */ }
    }
  }

  remove(w: WorkerSlot): void {
    this.#slots.delete(w.id);
  }

  /** Whether one more worker should be spawned now. */
  needMore(): boolean {
    if (!this.#hooks.wanted()) return false;
    let live = 0;
    for (const w of this.#slots.values()) if (w.state === 'starting' || w.state === 'ready') live++;
    return live + this.#pendingRestarts.length < this.#opts.processes;
  }

  /** Spawns until the count is right (unless a restart is backing off). */
  fill(): void {
    while (!this.#respawnTimer && this.needMore()) this.spawn(0, undefined);
  }

  /** A worker exited after it was ready: replace it if workers are still wanted. */
  replace(w: WorkerSlot, reason: ExitReason): void {
    if (this.needMore()) this.spawn(w.restarts + 1, reason);
  }

  allReady(): boolean {
    let ready = 0;
    for (const w of this.#slots.values()) if (w.state === 'ready') ready++;
    return ready >= this.#opts.processes;
  }

  /** Resolves when every worker is ready (for `Pool.ready()`). */
  whenAllReady(): Promise<void> {
    if (this.allReady()) return Promise.resolve();
    return this.#readyWaiters.wait();
  }

  /** Someone waits for readiness (a worker starting for them keeps the process alive). */
  get readyAwaited(): boolean {
    return this.#readyWaiters.size > 0;
  }

  readyChanged(): void {
    if (this.#readyWaiters.size && this.allReady()) this.#readyWaiters.resolveAll();
  }

  /** The pool will never be ready (terminated, broken). */
  rejectReady(err: Error): void {
    this.#readyWaiters.rejectAll(err);
  }

  /** A worker that proved its start (proven) left: the failures before it are no longer in a row. */
  startSucceeded(): void {
    this.#startFailures = 0;
  }

  /**
   * Counts a failed start; returns how many in a row. A live worker that has
   * proved its start since the last failure ends the row first: checked here,
   * when a failure needs the count, so a healthy pool arms no timer for it.
   */
  startFailed(): number {
    const now = performance.now();
    for (const w of this.#slots.values()) {
      if (proven(w, now)) {
        this.#startFailures = 0;
        break;
      }
    }
    return ++this.#startFailures;
  }

  /** Restarts a failed start after the backoff (one timer for all failures in a row). */
  restartLater(w: WorkerSlot): void {
    this.#pendingRestarts.push(w.restarts + 1);
    this.#respawnTimer ??= setTimeout(() => {
      this.#respawnTimer = undefined;
      for (const restarts of this.#pendingRestarts.splice(0)) if (this.needMore()) this.spawn(restarts, 'start-failure');
      this.#hooks.respawned();
    }, startBackoffMs(this.#startFailures));
  }

  /** No more restarts (terminate, broken). */
  cancelRestarts(): void {
    if (this.#respawnTimer) clearTimeout(this.#respawnTimer);
    this.#respawnTimer = undefined;
    this.#pendingRestarts = [];
  }

  /**
   * Workers keep this process alive only while there is work (`busy`) or a
   * change in progress (starting, stopping), so a script that forgets close()
   * still exits when its work is done.
   */
  setRefs(busy: boolean): void {
    let alive = busy;
    if (!alive) for (const w of this.#slots.values()) if (w.state === 'starting' || w.state === 'stopping') { alive = true; break; }
    this.#keepAlive.set(alive);
    if (this.#respawnTimer) {
      if (busy) this.#respawnTimer.ref();
      else this.#respawnTimer.unref();
    }
  }

  /** The pool has ended (nothing left to run, no worker left): release the keep-alive timer. */
  released(): void {
    this.#keepAlive.dispose();
  }

  /** Some worker holds a task (running or queued inside it). */
  holdTasks(): boolean {
    for (const w of this.#slots.values()) if (w.inFlight.length > 0) return true;
    return false;
  }

  /** Per-worker stats; processes report their current RSS. */
  statsOf(): WorkerStats[] {
    return [...this.#slots.values()].map((w) => ({
      id: w.id, pid: w.pid, tasksDone: w.tasksDone,
      rss: this.#opts.runtime === 'process' ? (w.runtime.memory() ?? w.rss) : w.rss,
      restarts: w.restarts, lastExitReason: w.lastExitReason,
    }));
  }

  /** Workers running a task right now. */
  /**
   * Tasks workers still starting will take the moment they are ready, as an
   * idle worker takes one now: `maxQueue` does not count them as waiting, so
   * a new pool does not refuse a burst its started self would accept.
   */
  startingSlots(): number {
    let n = 0;
    for (const w of this.#slots.values()) if (w.state === 'starting') n += this.#opts.concurrentTasksPerWorker;
    return n;
  }

  /** Tasks running now: each worker runs up to `concurrentTasksPerWorker` of those it holds (the rest wait inside it). */
  get running(): number {
    const c = this.#opts.concurrentTasksPerWorker;
    let n = 0;
    for (const w of this.#slots.values()) n += Math.min(w.inFlight.length, c);
    return n;
  }

  pids(): number[] {
    return [...this.#slots.values()].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }
}

/** Its start succeeded: it ran a task, or lived START_PROBATION_MS past `ready`. */
export function proven(w: WorkerSlot, now: number): boolean {
  return w.tasksDone > 0 || (w.readyAt > 0 && now - w.readyAt >= START_PROBATION_MS);
}
