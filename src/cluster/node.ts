/**
 * A `forkpool worker` node: a BullMQ Worker whose processor hands each job's
 * tasks to this machine's local Supervisor (the same engine a local Pool
 * uses), so user code never runs on this event loop. That matters: CPU work
 * here would stop lock renewal and make BullMQ run the job twice. A crash of a
 * local worker process fails or retries only its task, at once, and the node
 * serves on.
 *
 *   Redis ──► BullMQ Worker (concurrency = slots) ──► processor: decode job
 *        ──► Task per job task ──► local Supervisor ──► worker processes
 *        ◄── job result (every task's values/errors) ◄── Task sinks
 *
 * SIGTERM (stop()): no new jobs, running jobs get DRAIN_MS to finish, the rest
 * go back to `wait` (job.moveToWait) for another node, then the node exits.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Job, Queue, Worker } from 'bullmq';
import { AbortError } from '../errors.js';
import { Supervisor } from '../engine/supervisor.js';
import { Task, type ChunkOutcome } from '../engine/task.js';
import { wireOf } from '../engine/wire.js';
import { resolveOptions, type PoolOptions } from '../options.js';
import { encodeError, type EncodedError } from '../protocol/values.js';
import { decodeJobData, encodeResults, type JobData, type JobResult, type JobTask, type TaskResult } from './codec.js';
import { ResultTooLargeError } from './errors.js';
import { RecentSpills, forwardCancel, spillWaiting, spilledTo } from './spill.js';
import { EarlyResults } from './early-results.js';
import { bounded, waitUntil } from '../util/waits.js';
import { runOfJobId } from './run-keys.js';
import { listenForCancels } from './cancel.js';
import { NodeLogs } from './node-logs.js';
import { sweep } from './recover.js';
import { closeRedis, connectRedis, loadLibraries, setupError, type Bull, type RedisClient } from './connect.js';
import { removeNode, writeHeartbeat } from './registry.js';
import {
  DRAIN_MS, HEARTBEAT_MS, INLINE_RESULT_BYTES, JOB_FORMAT, KEEP_FINISHED_S, LOCK_DURATION_MS, MAX_RESULT_BYTES, MAX_STALLED_COUNT, PREFIX,
  SPILL_AFTER_MS, SPILLED_ID, STALLED_INTERVAL_MS, SWEEP_MS, cancelChannel, moduleVersion, resultKey, versionedQueue, type Heartbeat,
} from './settings.js';

export interface NodeConfig {
  modulePath: string;
  redis: string;
  queue: string;
  /** Local worker processes (times `local.concurrentTasksPerWorker`: the slots). */
  processes: number;
  moduleVersion?: string;
  /** Local pool options: maxMemory, runtime, maxTasksPerChild... */
  local?: Omit<PoolOptions, 'processes' | 'backend'>;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  /** One line of the node's own news (started, draining...). */
  log?: (line: string) => void;
}

/** BullMQ's refusals of a completion without a valid lock (finished-errors.js): the job id is group 1. */
// BullMQ's refusal of the completion, then of the retry it attempts next (`retryJob`): one job, one line.
const LATE_COMPLETION = /(?:Missing lock for job|Lock mismatch for job|Missing key for job|Job) (\S+?)(?:\. | is not in the active state\. )(?:Cmd )?(?:moveToFinished|retryJob)/;
/** Bound on the job ids remembered to skip. */
const SKIPS_MAX = 10_000;
/** Bound on the ids remembered for logging a late completion once. */
const LATE_LOGGED_MAX = 1_000;

const HOST = hostname();

/** After the drain, processors that handed their job back get this long to return. */
const HAND_BACK_MS = 2_000;

interface ActiveJob {
  done: Promise<unknown>;
  handBack: () => void;
  /** The client aborted (or withdrew: only those not started) these tasks of the job, all without indexes: cancel.ts. */
  cancel: (tasks: number[] | undefined, withdraw: boolean) => void;
}

export class ClusterNode {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly version: string;
  readonly queueName: string;
  readonly #cfg: NodeConfig;
  readonly #client: RedisClient;
  readonly #bull: Bull;
  readonly #supervisor: Supervisor;
  readonly #active = new Map<string, ActiveJob>();
  /** Where the tasks of jobs that ended after spilling went (spill.ts). */
  readonly #spilled = new RecentSpills();
  readonly #logs = new NodeLogs();
  /** Results stored under their own key, by job id, until BullMQ accepts the completion (or refuses it: then the key goes). */
  readonly #refs = new Map<string, string>();
  /** Jobs the client gave up while they waited (cancel.ts): fetched before their removal, they complete without running. */
  readonly #skips = new Set<string>();
  /** Jobs whose late completion was logged: BullMQ reports one refusal twice (moveToCompleted, then moveToFailed). */
  readonly #lateLogged = new Set<string>();
  #worker: Worker | undefined;
  /** Adds the jobs this node spills (made on the first spill). */
  #spillQueue: Queue | undefined;
  #heartbeat: Heartbeat | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  /** Subscribed to the queue's cancel channel (cancel.ts). */
  #cancels: RedisClient | undefined;

  /** Connects (RedisConnectionError within CONNECT_TIMEOUT_MS), starts the local workers, learns the exports, then takes jobs. */
  static async start(cfg: NodeConfig): Promise<ClusterNode> {
    const version = cfg.moduleVersion || await moduleVersion(cfg.modulePath);
    const libs = await loadLibraries();
    const client = await connectRedis(libs, cfg.redis, `forkpool-node-${hostname()}-${process.pid}`);
    client.on('error', () => { /* ioredis reconnects by itself */ });
    const node = new ClusterNode(cfg, version, client, libs.bull);
    try {
      await node.#begin();
    } catch (err) {
      await node.stop();
      throw setupError(cfg.redis, err);
    }
    return node;
  }

  private constructor(cfg: NodeConfig, version: string, client: RedisClient, bull: Bull) {
    this.#cfg = cfg;
    this.version = version;
    this.queueName = versionedQueue(cfg.queue, version);
    this.#client = client;
    this.#bull = bull;
    const events = new EventEmitter();
    events.on('error', () => {});
    // Worker output is printed here and also returned with each task's result (node-logs.ts).
    this.#supervisor = new Supervisor(pathToFileURL(cfg.modulePath).href, resolveOptions({ ...cfg.local, processes: cfg.processes, logs: this.#logs.sink }), events);
  }

  /** Jobs taken at once: each local worker runs `concurrentTasksPerWorker` tasks at a time. */
  get slots(): number {
    return this.#cfg.processes * (this.#cfg.local?.concurrentTasksPerWorker ?? 1);
  }

  async #begin(): Promise<void> {
    const exports = await this.#exports();
    // Every job sent here would fail as an unknown task: a wrong file, not a node to keep running.
    if (exports.length === 0) throw new Error('the module exports no functions: this node would have no task to run (export each task function by name)');
    this.#heartbeat = { id: this.id, host: hostname(), pid: process.pid, version: this.version, exports, slots: this.slots, at: Date.now() };
    // The heartbeat exists before the first job is taken: a job of a node without one is recovered by the sweep.
    await writeHeartbeat(this.#client, this.#cfg.queue, this.#heartbeat);
    this.#heartbeatTimer = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#worker = new this.#bull.Worker(this.queueName, (job, token) => this.#process(job, token), {
      connection: this.#client,
      prefix: PREFIX,
      name: this.id,
      // One job per slot, none fetched ahead: a job fetched ahead would wait in this node's local
      // queue behind a long task while another node sits idle. BullMQ hands the next job back with
      // each completion (one round trip), so a slot hardly waits for Redis.
      concurrency: this.slots,
      lockDuration: this.#cfg.lockDuration ?? LOCK_DURATION_MS,
      stalledInterval: this.#cfg.stalledInterval ?? STALLED_INTERVAL_MS,
      maxStalledCount: this.#cfg.maxStalledCount ?? MAX_STALLED_COUNT,
    });
    this.#worker.on('error', (err) => this.#onWorkerError(err));
    this.#worker.on('completed', (job) => { this.#refs.delete(job.id!); });
    await this.#worker.waitUntilReady();
    try {
      this.#cancels = await listenForCancels(this.#client, this.queueName, (id, which, withdraw) => this.#cancel(id, which, withdraw), (ids) => this.#noteSkips(ids));
    } catch (err) {
      this.#cfg.log?.(`cannot cancel aborted tasks (no pub/sub on ${cancelChannel(this.queueName)}: ${(err as Error).message}); they run to their end`);
    }
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#cfg.log?.(`node ${this.id}: ${this.slots} slots on queue ${this.queueName} (exports: ${exports.join(', ') || 'none'})`);
  }

  /**
   * A completion BullMQ refused because the job's lock was gone (this node
   * lost Redis for longer than the lock, and the job went back to `wait` and
   * probably ran elsewhere): the result is dropped, as the contract says. It
   * is logged once per job, and its stored result key, which no client will
   * read, is deleted now rather than left for its 24 h TTL.
   */
  #onWorkerError(err: Error): void {
    const late = LATE_COMPLETION.exec(err.message);
    if (!late) return this.#cfg.log?.(`worker error: ${err.message}`);
    const id = late[1]!;
    if (this.#lateLogged.has(id)) return;
    if (this.#lateLogged.size >= LATE_LOGGED_MAX) this.#lateLogged.clear();
    this.#lateLogged.add(id);
    const ref = this.#refs.get(id);
    this.#refs.delete(id);
    if (ref) void this.#client.del(ref).catch(() => undefined);
    this.#cfg.log?.(`late completion of job ${id} dropped: BullMQ refused it (${err.message}); the job lost its lock while this node was cut off, went back to the queue and may have run elsewhere`);
  }

  async #beat(): Promise<void> {
    if (!this.#heartbeat) return;
    this.#heartbeat.at = Date.now();
    try {
      await writeHeartbeat(this.#client, this.#cfg.queue, this.#heartbeat, true);
    } catch (err) {
      this.#cfg.log?.(`heartbeat failed: ${(err as Error).message}`);
    }
  }

  /** Moves back to `wait` the jobs of dead nodes (recover.ts); one node per SWEEP_MS does the work. */
  async #sweep(): Promise<void> {
    try {
      const moved = await sweep(this.#client, {
        queueName: this.queueName,
        queue: this.#cfg.queue,
        maxStalledCount: this.#cfg.maxStalledCount ?? MAX_STALLED_COUNT,
        periodMs: SWEEP_MS,
        heartbeat: this.#heartbeat!,
      });
      if (moved.length > 0) this.#cfg.log?.(`recovered ${moved.length} job(s) of a lost node: ${moved.join(', ')}`);
    } catch (err) {
      this.#cfg.log?.(`recovery sweep failed: ${(err as Error).message}`);
    }
  }

  /** The module's exports, as the first local worker reports them (the module is never loaded on this event loop). */
  #exports(): Promise<string[]> {
    return this.#supervisor.moduleExports();
  }

  /** A cancel for a job running here, or for tasks a job that ended here had spilled. */
  #cancel(jobId: string, which: number[] | undefined, withdraw: boolean): void {
    const active = this.#active.get(jobId);
    if (active) active.cancel(which, withdraw);
    else this.#forward(this.#spilled.targets(jobId, which), withdraw);
  }

  /** Passes a cancel on to the jobs spilled tasks went to (spill.ts forwardCancel). */
  #forward(jobIds: string[], withdraw: boolean): void {
    if (jobIds.length > 0 && this.#spillQueue) void forwardCancel(this.#client, this.#spillQueue, jobIds, withdraw).catch(() => undefined);
  }

  #noteSkips(ids: string[]): void {
    // Only a job fetched in the moment before its removal is ever looked up; the bound keeps a node that never sees them small.
    if (this.#skips.size + ids.length > SKIPS_MAX) this.#skips.clear();
    for (const id of ids) if (!this.#active.has(id)) this.#skips.add(id);
  }

  /** BullMQ's processor: run every task of the job locally; the result holds each task's outcome. */
  async #process(job: Job, token: string | undefined): Promise<JobResult> {
    // A job of an unknown format fails as an infrastructure error (BullMQ retries it, then fails it).
    const tasks = decodeJobData(job.data as JobData);
    if (this.#skips.delete(job.id!)) {
      // Its tasks settled on the client (aborted, or an imap left early): nothing runs, and the outcomes are dropped there.
      const skipped = new AbortError('the client gave this task up before it started');
      return this.#result(job, token, tasks.map(() => ({ x: encodeError(skipped), ms: 0 })));
    }
    let handBack!: () => void;
    const handedBack = new Promise<'handedBack'>((resolve) => { handBack = () => resolve('handedBack'); });
    const aborts = tasks.map(() => new AbortController());
    const logs = NodeLogs.job();
    // Runs of this job before this one (on nodes that died or lost Redis): currentTask().attempt counts on from them.
    const before = Math.max(0, (job.attemptsStarted ?? 1) - 1);
    const local: Task[] = [];
    // A spilled task keeps its key: `<parent>/<index>`, whichever node runs it.
    const spilledFrom = SPILLED_ID.exec(job.id!);
    const how = (i: number) => ({ signal: aborts[i]!.signal, logs, key: spilledFrom ? `${spilledFrom[1]}/${spilledFrom[2]}` : `${job.id}/${i}`, before, made: (task: Task) => { local[i] = task; } });
    // Tasks that wait here too long go to any node as jobs of their own; those that ended here meanwhile report early.
    const moved = new Map<number, TaskResult | Promise<TaskResult>>();
    const early = new EarlyResults(job, this.id, tasks.length, (i) => moved.has(i));
    const results = Promise.all(tasks.map((t, i) => this.#run(t, how(i)).then((r) => { early.ended(i, r); return r; })));
    let spilling: Promise<void> = Promise.resolve();
    // Not for a journaled run's job: its resume finds jobs through the run's set, which a spilled one is not in.
    const spillTimer = tasks.length > 1 && !runOfJobId(job.id!) ? setTimeout(() => {
      this.#spillQueue ??= new this.#bull.Queue(this.queueName, { connection: this.#client, prefix: PREFIX });
      spilling = spillWaiting({ job, local, moved, supervisor: this.#supervisor, queue: this.#spillQueue, rerun: (i) => this.#run(tasks[i]!, how(i)), log: this.#cfg.log });
      early.open(); // after the spill: what it withdrew (settled here as withdrawn) is in `moved`, never reported
    }, SPILL_AFTER_MS) : undefined;
    const cancel = (which: number[] | undefined, withdraw: boolean) => {
      const spilled: string[] = [];
      for (const i of which ?? aborts.keys()) {
        const to = spilledTo(moved, i);
        if (to) spilled.push(to);
        // Withdrawn (an imap left early): what runs finishes, what waits here is dropped, as in a local pool.
        else if (withdraw) { if (local[i]) this.#supervisor.withdraw(local[i]!); } else aborts[i]?.abort(new Error('aborted by the caller'));
      }
      this.#forward(spilled, withdraw);
    };
    const entry: ActiveJob = { done: results, handBack, cancel };
    this.#active.set(job.id!, entry);
    try {
      const r = await Promise.race([results, handedBack]);
      clearTimeout(spillTimer);
      await spilling;
      if (r === 'handedBack') {
        // Stopping: another node runs it from the start. The lock is ours, so only we can move it.
        await job.moveToWait(token);
        throw new this.#bull.WaitingError();
      }
      for (const [i, end] of moved) r[i] = await end;
      return await this.#result(job, token, r);
    } finally {
      clearTimeout(spillTimer);
      early.close();
      this.#active.delete(job.id!);
      if (moved.size > 0) this.#spilled.keep(job.id!, moved);
    }
  }

  /** The job's result: inline, or under its own key (named with the lock token) when it passes INLINE_RESULT_BYTES. */
  async #result(job: Job, token: string | undefined, results: TaskResult[]): Promise<JobResult> {
    const limit = MAX_RESULT_BYTES;
    const r = encodeResults(results, limit, (bytes) => encodeError(new ResultTooLargeError(bytes, limit)));
    if (r.length <= INLINE_RESULT_BYTES) return { f: JOB_FORMAT, r, node: this.id };
    const ref = resultKey(`${PREFIX}:${this.queueName}:${job.id}`, token ?? 'none');
    // The client deletes it once applied; the TTL is the backstop for a result nobody collects.
    await this.#client.set(ref, r, 'EX', KEEP_FINISHED_S);
    this.#refs.set(job.id!, ref);
    return { f: JOB_FORMAT, ref, node: this.id };
  }

  /** `key`: the task's currentTask().key, the same when its job runs again elsewhere; `before`: earlier runs of the job. */
  #run(jt: JobTask, how: { signal: AbortSignal; logs: ReturnType<typeof NodeLogs.job>; key: string; before: number; made: (t: Task) => void }): Promise<TaskResult> {
    const { signal, logs } = how;
    return new Promise((resolve) => {
      const task = new Task({
        signal,
        name: jt.n,
        args: jt.a,
        items: jt.m ?? jt.c,
        spread: jt.c !== undefined,
        timeout: jt.to,
        retries: jt.retries, retryOnError: jt.re === 1, itemTimes: jt.it === 1,
        // A local worker's death in the middle of the job's chunk fails only its running item (engine/split.ts).
        itemLog: this.#supervisor.itemLogs,
        sink: (result: ChunkOutcome | Error, info) => {
          // Retries made here, so the client's stats().retried counts them as a local pool would.
          const { lines, dropped } = this.#logs.take(task.id);
          const extra = { ...task.attempts > 1 ? { r: task.attempts - 1 } : {}, ...lines.length ? { lg: lines } : {}, ...dropped ? { ld: dropped } : {} };
          if (result instanceof Error) return resolve({ x: encodeTaskError(result), ms: info.ms, ...extra });
          const e = result.errors?.map(([i, err]) => [i, encodeError(err)] as [number, ReturnType<typeof encodeError>]);
          resolve({ v: Array.isArray(result.values) ? result.values : Array.from(result.values), ...e ? { e } : {}, ms: info.ms, ...result.times ? { t: result.times } : {}, ...extra });
        },
      });
      this.#logs.watch(task.id, logs);
      task.attemptBase = how.before;
      if (jt.ag !== undefined) task.abortGrace = jt.ag;
      wireOf(task).k = how.key;
      how.made(task);
      void this.#supervisor.submit(task);
    });
  }

  /**
   * Stops taking jobs, gives running ones DRAIN_MS to finish, hands the rest
   * back to `wait`, stops the local workers and closes the connections.
   * Never waits longer than about DRAIN_MS + a few seconds.
   */
  stop(drainMs = DRAIN_MS): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#sweepTimer);
      // Draining, not gone: the heartbeat stays until the running jobs are done or handed back,
      // so no sweep takes them away meanwhile; clients count no capacity for it.
      const worker = this.#worker;
      // Only a node that took jobs says it drains (a failed start never wrote a heartbeat that lasts).
      if (this.#heartbeat && worker) {
        this.#heartbeat.draining = true;
        // Bounded: with Redis away, commands wait for a reconnect that may never come.
        await bounded(this.#beat(), 1_000);
      }
      if (worker) {
        // Paused: fetches nothing more; locks of running jobs keep being renewed.
        await bounded(worker.pause(true), 1_000);
        if (this.#active.size > 0) {
          this.#cfg.log?.(`draining ${this.#active.size} running job(s), at most ${drainMs} ms`);
          await bounded(Promise.allSettled([...this.#active.values()].map((a) => a.done)), drainMs);
        }
        if (this.#active.size > 0) {
          this.#cfg.log?.(`handing ${this.#active.size} job(s) back to the queue`);
          const left = [...this.#active.values()];
          for (const a of left) a.handBack();
          await bounded(waitUntil(() => this.#active.size === 0), HAND_BACK_MS);
        }
        await bounded(worker.close(), 2_000);
      }
      clearInterval(this.#heartbeatTimer);
      await bounded(removeNode(this.#client, this.#cfg.queue, this.id), 1_000);
      await bounded(this.#supervisor.terminate(), 3_000);
      // The spill queue shares the node's connection: closing it first closes nothing else.
      await bounded(this.#spillQueue?.close() ?? Promise.resolve(), 1_000);
      await Promise.all([closeRedis(this.#cancels), closeRedis(this.#client)]);
    })();
    return this.#stopping;
  }
}

/**
 * A whole-task error as it leaves the node. Each attempt of a crash
 * (WorkerCrashedError.attempts: exit code, signal, pid) also names this host,
 * so the client can tell where every attempt died.
 */
function encodeTaskError(err: Error): EncodedError {
  const enc = encodeError(err);
  const attempts = enc.props?.attempts;
  if (Array.isArray(attempts)) enc.props!.attempts = attempts.map((a: object) => ({ ...a, host: HOST }));
  return enc;
}
