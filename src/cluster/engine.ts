/**
 * The distributed engine behind `Pool` (`backend` option): tasks run on
 * `forkpool worker` nodes through BullMQ on Redis.
 *
 *   submit ──► waiting (client) ──► pack (per microtask) ──► addBulk ──► Redis ──► nodes
 *                                    ≤ MAX_ITEMS_PER_JOB,                             │
 *                                    ≤ jobLimit jobs in Redis                         ▼
 *   Task.settle ◄── apply outcome ◄── read job hash ◄── QueueEvents (wake-up) / poll ◄─┘
 *                        └── remove the job from Redis, pack more
 *
 * Contract: at-least-once execution, exactly-once results. A task settles
 * once, with the first final outcome read from its job's hash (Task.settle
 * drops later ones); an outcome for a job already applied is counted in
 * `stats().duplicates`. Results are always read from the job hash, never
 * only from the events stream (it can be trimmed): events only wake the
 * reader, and every POLL_MS the client reads all its outstanding jobs.
 *
 * It starts asynchronously (load bullmq, connect, learn the nodes) behind
 * Pool's synchronous constructor: tasks wait in the client until connected.
 * Invariant: a task is in exactly one place: waiting for its journaled run's
 * reconciliation (runs.ts), the outbox's waiting line, one of its jobs, or settled.
 */
import type { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AbortError, PoolClosedError, PoolTerminatedError, QueueFullError, UnknownTaskError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { CallLease, ChunkHint, Engine, EngineState, SubmitOptions } from '../engine/engine.js';
import { LogRouter } from '../engine/logs.js';
import { AbortGroups } from '../engine/signals.js';
import { CallLeases } from '../engine/leases.js';
import { StatsBook, type PoolStats } from '../engine/stats.js';
import type { Task } from '../engine/task.js';
import { ModuleMismatchError, WorkerLostError, type RedisConnectionError } from './errors.js';
import { Outbox, type OutJob } from './outbox.js';
import { Outcomes } from './outcomes.js';
import { ClientLink } from './link.js';
import { ResultReader } from './reader.js';
import { NodeWatch, noNodeMessage } from './node-watch.js';
import { Canceller } from './cancel.js';
import { OrphanJobs } from './orphans.js';
import { RunBook } from './runs.js';
import { runOf } from './run-keys.js';
import { Waiters } from '../util/waiters.js';
import { MAX_ITEMS_PER_JOB, moduleVersion, unavailableTimeout, versionedQueue } from './settings.js';

/** Capacity assumed before any node is known, so early maps still split into several chunks. */
const UNKNOWN_CAPACITY = 4;
const TERMINATE_CLEANUP_MS = 2_000; // terminate(): removing waiting jobs is best effort and bounded

export class ClusterEngine implements Engine {
  readonly #opts: ResolvedOptions;
  readonly #backend: NonNullable<ResolvedOptions['backend']>;
  readonly #events: EventEmitter;
  readonly #clientId = randomBytes(16).toString('hex'); // job id prefix, 128 bits: BullMQ keeps an old job re-added under its id
  readonly #box: Outbox;
  readonly #leases = new CallLeases(() => this.#afterProgress());
  readonly #aborts = new AbortGroups((t) => this.#abort(t));
  readonly #canceller: Canceller;
  readonly #stats = new StatsBook();
  readonly #outcomes: Outcomes;
  readonly #runs: RunBook;
  /** Jobs given up on during an outage: removed from Redis once it is back (orphans.ts). */
  readonly #orphans = new OrphanJobs(() => this.#conn);
  #state: EngineState = 'running';
  #conn: ClientLink | undefined;
  #version = '';
  #nodes: NodeWatch | undefined;
  #exports: string[] | undefined;
  #brokenError: Error | undefined;
  #adding = 0;
  #flushScheduled = false;
  #reader: ResultReader | undefined;
  #shutdown: Promise<void> | undefined;
  readonly #starting: Promise<void>;
  /** terminate(): removal of the waiting jobs, awaited (bounded) before the connection closes. */
  #cleanup: Promise<unknown> = Promise.resolve();
  #draining = false;
  #idleWaiters: Array<() => void> = [];
  #readyWaiters = new Waiters();
  #spaceWaiters: Array<() => void> = [];

  constructor(moduleHref: string, opts: ResolvedOptions, events: EventEmitter) {
    this.#opts = opts;
    this.#backend = opts.backend!;
    this.#events = events;
    this.#runs = new RunBook({
      link: () => this.#starting.then(() => this.#conn),
      enqueue: (task) => this.#enqueue(task),
      completed: (n) => { this.#stats.completed += n; },
      progress: () => { this.#flush(); this.#afterProgress(); },
      log: (message) => process.emitWarning(message, { code: 'FORKPOOL_RUN_RESUME' }),
    });
    this.#box = new Outbox(this.#clientId, (run) => this.#runs.nextJobId(run), opts.abortGrace);
    this.#canceller = new Canceller(() => this.#conn, this.#box, () => { this.#flush(); this.#afterProgress(); });
    this.#outcomes = new Outcomes(this.#box, this.#stats, events, (node) => this.#nodes?.ranOn(node) ?? 0, new LogRouter(opts.logs, events));
    this.#starting = this.#start(fileURLToPath(moduleHref));
  }

  get state(): EngineState { return this.#state; }
  /** Worker slots of the live nodes running this module version. */
  get capacity(): number { return this.#nodes?.slots || UNKNOWN_CAPACITY; }

  /** A chunk is a job through Redis (round trips of milliseconds): large chunks, a few per slot. */
  readonly chunkHint: ChunkHint = { maxItems: 1_000, chunksPerSlot: 8 };
  /** Jobs carry no per-item clock flag (on a node a timeout covers the whole task); a node's death fails or re-runs a whole job. */
  readonly itemTimeouts = false; readonly itemLogs = false;
  /** Jobs allowed in Redis at once; the rest wait in the client, so a huge map never floods Redis. Room for
   *  an imap's read-ahead (64 tasks) keeps one task per job there: an early break leaves little started. */
  get #jobLimit(): number {
    return Math.max(64, 4 * (this.#nodes?.slots ?? 0));
  }

  // ── start-up ──────────────────────────────────────────────────────────────

  async #start(modulePath: string): Promise<void> {
    try {
      this.#version = this.#backend.moduleVersion || await moduleVersion(modulePath);
      const queueName = versionedQueue(this.#backend.queue, this.#version);
      const hooks = {
        onHint: (id: string) => this.#reader?.wake(id), onCompleted: (id: string, value: unknown) => this.#reader?.completed(id, value),
        onProgress: (id: string, progress: unknown) => this.#reader?.progress(id, progress),
        // A frozen Redis answering again on the connection it never closed is the same as a reconnect.
        onReconnect: () => this.#redisBack(), back: () => this.#redisBack(),
        unavailable: (err: RedisConnectionError) => this.#failOutstanding(err),
        dataLost: (err: Error) => this.#break(err),
      };
      // join() or terminate() before the connection: it is closed at once.
      this.#conn = await ClientLink.open(this.#backend.redis, queueName, this.#clientId, unavailableTimeout(this.#backend), hooks, () => this.#shutdown !== undefined);
      const conn = this.#conn;
      if (!conn || this.#shutdown || this.#state === 'terminated' || this.#state === 'broken') return;
      let limit = this.#jobLimit;
      this.#nodes = new NodeWatch(this.#version, () => conn.nodes(this.#backend.queue), () => {
        this.#onNodes();
        if (this.#jobLimit > limit) this.#flush();
        limit = this.#jobLimit;
      }, (others) => noNodeMessage(this.#backend, this.#version, modulePath, others));
      await this.#nodes.refresh();
      this.#nodes.schedule(false);
      this.#reader = new ResultReader(conn, {
        outstanding: () => [...this.#box.jobIds(), ...this.#box.spillCandidates()],
        isOutstanding: (id) => this.#box.job(id) !== undefined || this.#box.adoptSpilled(id),
        apply: (jobs) => this.#runs.leaveRedis(this.#outcomes.applyFinished(jobs), jobs),
        applyEarly: (id, progress) => this.#outcomes.applyEarly(id, progress),
        after: () => { this.#flush(); this.#afterProgress(); },
      });
      this.#flush();
      this.#afterProgress();
    } catch (err) {
      this.#break(err as Error);
    }
  }

  /** Connection failed (or bullmq is missing): every task and ready() get the error; nothing hangs. */
  #break(err: Error): void {
    if (this.#state === 'terminated' || this.#state === 'broken') return;
    [this.#state, this.#brokenError] = ['broken', err];
    this.#failAll(err, true);
    this.#readyWaiters.rejectAll(err);
    this.#afterProgress();
  }

  /** Redis is back: read every outstanding job (events may have been missed), remove the jobs given up on. */
  #redisBack(): void { this.#reader?.readAll(); void this.#orphans.collect(); }

  /** Redis away longer than unavailableTimeout: what is outstanding fails; new tasks are refused until it is back. */
  #failOutstanding(err: Error): void {
    if (this.#state === 'terminated' || this.#state === 'broken') return;
    this.#orphans.add(this.#box.jobIds());
    this.#failAll(err);
    this.#afterProgress();
  }

  // ── admission ─────────────────────────────────────────────────────────────

  /** `waited`: back from waiting for room, so submitted before any close(), which must not refuse it now. */
  submit(task: Task, opts: SubmitOptions = {}, waited = false): void | Promise<void> {
    const refusal = waited && this.#state === 'closed' ? undefined : this.#refusal(opts.lease);
    if (refusal) return task.settle(refusal);
    if (this.#box.waiting >= this.#opts.maxQueue) {
      if (!opts.wait) return task.settle(new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue}); pass { waitForSpace: true } to wait for room`));
      return new Promise<void>((resolve) => this.#spaceWaiters.push(() => resolve(this.submit(task, opts, true) ?? undefined)));
    }
    if (this.#exports && !this.#exports.includes(task.name)) return task.settle(new UnknownTaskError(task.name, this.#exports));
    if (task.signal?.aborted) return task.settle(new AbortError(task.signal.reason));
    const run = runOf(task);
    if (run) return this.#runs.admit(task, run);
    this.#enqueue(task);
  }

  /** Into the waiting line, packed into jobs at the next flush. */
  #enqueue(task: Task): void {
    if (task.settled) return;
    if (task.signal) {
      if (task.signal.aborted) return task.settle(new AbortError(task.signal.reason));
      // One listener per signal, however many chunks share it.
      this.#aborts.watch(task, task.signal);
    }
    this.#box.push(task);
    // Sockets and timers of an idle pool are unref'd: work must hold the process before its first command.
    this.#updateRefs();
    this.#scheduleFlush();
  }

  #refusal(lease?: CallLease): Error | undefined {
    switch (this.#state) {
      case 'closed': return this.#leases.holds(lease) ? undefined : new PoolClosedError();
      case 'terminated': return new PoolTerminatedError('submit a task');
      case 'broken': return this.#brokenError;
      default: return this.#conn?.health.outage;
    }
  }

  openCall(): CallLease {
    const refusal = this.#refusal();
    if (refusal) throw refusal;
    return this.#leases.open();
  }

  /** Waiting in the client: never sent. In a job still waiting whose tasks are all withdrawn: the job is removed. Running: its outcome is dropped. */
  withdraw(task: Task): void {
    if (task.settled) return;
    const taken = this.#runs.detach(task);
    if (taken === 'pending') return void task.settle(new AbortError('withdrawn'));
    // Sent in part: dropping the part settles the task too.
    const job = this.#box.jobOf(taken ?? task);
    this.#drop(taken ?? task, new AbortError('withdrawn'));
    if (job) this.#canceller.request(job, taken ?? task, false);
  }

  /** Settles at once; a sent task's job is removed if waiting, or cancelled on its node (cancel.ts). */
  #abort(task: Task): void {
    if (task.settled) return;
    this.#stats.failed.aborted += task.size;
    const job = this.#box.jobOf(task);
    this.#drop(task, new AbortError(task.signal?.reason));
    if (job) this.#canceller.request(job, task, true);
  }

  #drop(task: Task, err: Error): void {
    this.#box.forget(task);
    task.settle(err);
    this.#afterProgress();
  }

  // ── packing and sending ───────────────────────────────────────────────────

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // A microtask, so a loop of applyAsync calls becomes one addBulk.
    queueMicrotask(() => { this.#flushScheduled = false; this.#flush(); });
  }

  #flush(): void {
    const conn = this.#conn;
    if (!conn || this.#state === 'terminated' || this.#state === 'broken') return;
    const batch: OutJob[] = [];
    let room = this.#jobLimit - this.#box.jobCount - this.#adding;
    while (room > 0 && this.#box.waiting > 0) {
      // Spread what waits over the whole job limit, not the room left now: 10 calls become 10 jobs, and a room
      // scarce for a moment (a left imap's jobs being removed) never packs a read-ahead into one slow job.
      const perJob = Math.min(MAX_ITEMS_PER_JOB, Math.max(1, Math.ceil(this.#box.waiting / this.#jobLimit)));
      const job = this.#box.pack(perJob, (t, err) => this.#outcomes.fail(t, err));
      if (!job) continue;
      batch.push(job);
      room--;
    }
    this.#wakeSpaceWaiters();
    if (batch.length === 0) return this.#afterProgress();
    this.#adding += batch.length;
    conn.add(batch).then(
      () => {
        this.#adding -= batch.length;
        // A job may finish before addBulk's answer arrives: its wake-up read comes after this point.
        this.#afterProgress();
      },
      (err: Error) => {
        this.#adding -= batch.length;
        const lost = batch.flatMap((job) => this.#box.finish(job.id)?.tasks ?? []);
        for (const t of lost) this.#outcomes.fail(t, new WorkerLostError(`could not add the job: ${err.message}`));
        this.#afterProgress();
      },
    );
  }

  // ── nodes ─────────────────────────────────────────────────────────────────

  /** After each read of the heartbeats: learn the exports, answer ready(). */
  #onNodes(): void {
    const nodes = this.#nodes!;
    if (nodes.live.length > 0 && !this.#exports) this.#learnExports(nodes.live[0]!.exports);
    if (nodes.live.length > 0) this.#readyWaiters.resolveAll();
    else if (nodes.others.length > 0) this.#readyWaiters.rejectAll(new ModuleMismatchError(this.#version, nodes.others));
    this.#afterProgress();
  }

  /** Tasks submitted before anyone knew the exports: reject the unknown names now. */
  #learnExports(exports: string[]): void {
    this.#exports = exports;
    for (const t of this.#box.takeUnknown(exports)) t.settle(new UnknownTaskError(t.name, exports));
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  ready(): Promise<void> {
    if (this.#state === 'broken') return Promise.reject(this.#brokenError);
    if (this.#state === 'terminated') return Promise.reject(new PoolTerminatedError('wait for nodes to be ready'));
    if (this.#conn && this.#nodes && this.#nodes.live.length > 0) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new PoolClosedError('wait for nodes to be ready'));
    const waiting = this.#readyWaiters.wait();
    this.#updateRefs();
    return waiting;
  }

  close(): void {
    if (this.#state !== 'running') return;
    this.#state = 'closed';
    // As a local pool does: ready() answers for a pool still taking work.
    this.#readyWaiters.rejectAll(new PoolClosedError('wait for nodes to be ready'));
    this.#afterProgress();
  }

  terminate(): Promise<void> {
    if (this.#state !== 'terminated') {
      const wasBroken = this.#state === 'broken';
      this.#state = 'terminated';
      const jobs = this.#box.jobIds();
      this.#failAll(new PoolTerminatedError(), true);
      this.#readyWaiters.rejectAll(new PoolTerminatedError('wait for nodes to be ready'));
      // Waiting jobs are removed; a running one is aborted on its node (link.removeWithin).
      if (this.#conn && !wasBroken && jobs.length > 0) this.#cleanup = this.#conn.removeWithin(jobs, TERMINATE_CLEANUP_MS);
    }
    this.#afterProgress();
    return this.whenIdle();
  }

  #failAll(err: Error, ended = false): void { // ended: so does every open call, after its tasks (its consumer reads them first)
    for (const t of [...this.#box.takeAll(), ...this.#runs.takePending()]) t.settle(err);
    if (ended) this.#leases.end(err);
  }

  whenIdle(): Promise<void> {
    if (this.#state === 'closed' && !this.#draining) {
      this.#draining = true;
      this.#leases.drain();
    }
    this.#afterProgress();
    if (this.#state === 'running') return new Promise((resolve) => this.#idleWaiters.push(resolve));
    return this.#workDone() ? this.#closeConnection() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #workDone(): boolean {
    const leases = this.#state === 'closed' ? this.#leases.size : 0;
    return this.#box.waiting === 0 && this.#box.jobCount === 0 && this.#adding === 0 && this.#runs.pending === 0 && leases === 0;
  }

  /** Closes everything that could keep the process alive; runs once, never waits on Redis for long. */
  #closeConnection(): Promise<void> {
    this.#shutdown ??= (async () => {
      // Start-up is bounded (CONNECT_TIMEOUT_MS); whatever it opened is closed below.
      await this.#starting;
      await this.#cleanup;
      await this.#runs.finish(this.#state === 'closed');
      this.#reader?.stop();
      this.#nodes?.stop();
      this.#orphans.stop();
      await this.#conn?.close();
    })();
    return this.#shutdown;
  }

  #afterProgress(): void {
    this.#wakeSpaceWaiters();
    this.#updateRefs();
    if (this.#state !== 'running' && this.#workDone() && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters.splice(0);
      void this.#closeConnection().then(() => { for (const r of waiters) r(); });
    }
  }

  #wakeSpaceWaiters(): void { while (this.#spaceWaiters.length && this.#box.waiting < this.#opts.maxQueue) this.#spaceWaiters.shift()!(); }

  /** Timers and Redis sockets keep the process alive only while there is work, as local workers do; they stay open until close()+join(). */
  #updateRefs(): void {
    const busy = this.#box.waiting + this.#box.jobCount + this.#runs.pending + this.#adding > 0 || this.#readyWaiters.size > 0;
    this.#reader?.ref(busy);
    this.#nodes?.ref(busy);
    this.#conn?.ref(busy);
  }

  /** `workers` are the live nodes (host, pid, slots, version); `duplicates` counts outcomes dropped because their tasks had settled. */
  stats(): PoolStats {
    this.#stats.duplicates = this.#outcomes.duplicates;
    return this.#stats.snapshot(this.#box.waiting + this.#runs.pending, this.#box.runningTasks(), this.#nodes?.asWorkers() ?? []);
  }

  /** Remote workers have no local pid. */
  pids(): number[] { return []; }
}
