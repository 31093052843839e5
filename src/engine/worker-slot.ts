/**
 * The main side's record of one worker: what it holds, how fast it runs,
 * and why it is going away. The supervisor owns the decisions; this file
 * only keeps the state they read.
 */
import type { RuntimeWorker } from '../runtime/types.js';
import type { HubPeer } from '../shared/link.js';
import type { Task } from './task.js';
import { LineAssembler, type LogLine } from './logs.js';
import type { ExitReason } from './stats.js';
import type { LongTimer } from '../util/timers.js';

/** Weight of the newest task time in a worker's running average. */
const RUN_TIME_EWMA_WEIGHT = 0.2;

export type SlotState = 'starting' | 'ready' | 'stopping' | 'exited';

export class WorkerSlot {
  state: SlotState = 'starting';
  runtime!: RuntimeWorker;
  /** Tasks handed to the worker without a result yet, in the order sent: the head is the one running. */
  readonly inFlight: Task[] = [];
  /** Tasks handed over in this worker's life (for maxTasksPerChild). */
  dispatched = 0;
  tasksDone = 0;
  /** When it said `ready` (performance.now()); 0 before. */
  readyAt = 0;
  /** Running average of task run time in ms; NaN until the first result. */
  avgMs = Number.NaN;
  /** Set by whoever kills the worker on purpose, so its exit is not taken for a crash. */
  killReason: ExitReason | undefined;
  /** It recycled itself after a task (its memory cap): a clean exit, though `killReason` says 'memory'. */
  recycledItself = false;
  /** The error the worker reported while starting (module import or initializer). */
  startError: Error | undefined;
  rss: number | undefined;
  /** A `reclaim` is on its way to this worker: ask once until it answers. */
  reclaiming = false;
  /** Kills the worker if it is not ready within `startTimeout`. */
  startTimer: LongTimer | undefined;
  /** Why its event channel was declared broken (a message that did not decode, a closed pipe). */
  channelError: Error | undefined;
  /** The uncaught exception a worker process said it is dying of (worker/uncaught.ts): its crash's cause. */
  uncaught: Error | undefined;
  /**
   * The task a message that did not decode came from, when that is known:
   * one task at a time, the first one this worker still holds (its `done`, or
   * a shared-object call of its own: the worker writes in the order it runs).
   * It alone fails with DataCloneError; the others die as victims of the kill.
   */
  undecodableFrom: number | undefined;
  readonly stdout: LineAssembler;
  readonly stderr: LineAssembler;
  /**
   * What a worker process wrote to fd 1/2 itself (native code, `fs.writeSync(1)`,
   * its child processes): another pipe than its console output, so another
   * pair of lines, not ordered with them (runtime/process.ts).
   */
  readonly raw: { stdout: LineAssembler; stderr: LineAssembler };
  readonly peer: HubPeer;

  constructor(
    readonly id: number,
    readonly restarts: number,
    readonly lastExitReason: ExitReason | undefined,
    emitLine: (line: LogLine) => void,
  ) {
    this.stdout = new LineAssembler(id, 'stdout', emitLine);
    this.stderr = new LineAssembler(id, 'stderr', emitLine);
    this.raw = { stdout: new LineAssembler(id, 'stdout', emitLine, false), stderr: new LineAssembler(id, 'stderr', emitLine, false) };
    this.peer = { id: `w${id}`, send: (m: unknown) => this.runtime.send({ t: 'hub', m }) };
  }

  /**
   * Its exit is no death: recycled (maxTasksPerChild, or its memory cap after
   * a task) or stopped by its pool (close, terminate, a broken pool). A crash,
   * or a kill for a task's timeout, hard memory cap or abort, is a death.
   */
  get leftOnPurpose(): boolean {
    return this.killReason === 'recycle' || this.killReason === 'shutdown' || this.recycledItself;
  }

  /** For dispatch planning (dispatch.ts). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** The last task handed over runs alone (a retry after it died beside others): nothing may join it. */
  get lastExclusive(): boolean {
    return this.inFlight[this.inFlight.length - 1]?.exclusive ?? false;
  }

  /**
   * A task it holds has shared objects in its arguments and may block on
   * other tasks (a lock, a queue): only a task that starts at once may join
   * it, never one queued behind it. So a worker holding one holds at most
   * `concurrency` tasks, and one holding more is not scanned (a pipelined
   * worker's list is up to 64 long, read on every fill).
   */
  holdsBlocking(concurrency: number): boolean {
    if (this.inFlight.length > concurrency) return false;
    for (const t of this.inFlight) if (t.wire?.h === 1) return true;
    return false;
  }

  /**
   * `t` is running here: the head of `inFlight`, or any task the worker said
   * it started (a worker may run several at once: `concurrentTasksPerWorker`).
   */
  runs(t: Task): boolean {
    return this.inFlight[0] === t || (t.started && this.inFlight.includes(t));
  }

  get pid(): number | undefined {
    return this.runtime?.pid;
  }

  recordRunTime(ms: number): void {
    this.avgMs = Number.isNaN(this.avgMs) ? ms : this.avgMs + RUN_TIME_EWMA_WEIGHT * (ms - this.avgMs);
  }

  /** Hands `task` to this worker (it is not started until the worker says so). */
  hand(task: Task): void {
    // A new attempt gets a new clock (worker-events.ts arms it when the task starts). The
    // previous attempt's timer is stopped here: left armed, it would time out this attempt
    // early (a retry on the same worker) and keep the process alive until it fired.
    task.timer?.clear();
    task.timer = undefined;
    task.attempts++;
    task.wire!.at = task.attempts + task.attemptBase;
    task.started = false;
    task.startedAt = 0;
    task.handedAt = performance.now();
    this.inFlight.push(task);
    this.dispatched++;
  }

  /** The worker gave these tasks back unstarted: out of its in-flight list, as if never handed over. */
  giveBack(ids: readonly number[]): Task[] {
    // From the worker: a string would iterate as characters and give back nothing (worker-events.ts).
    if (!Array.isArray(ids)) throw new TypeError('the ids given back are not an array');
    const back: Task[] = [];
    for (const id of ids) {
      const t = this.take(id);
      if (!t) continue;
      this.dispatched--;
      t.attempts--;
      back.push(t);
    }
    return back;
  }

  /** Removes and returns the in-flight task with this id (normally the head). */
  take(id: number): Task | undefined {
    const head = this.inFlight[0];
    if (head?.id === id) return this.inFlight.shift();
    const i = this.inFlight.findIndex((t) => t.id === id);
    return i < 0 ? undefined : this.inFlight.splice(i, 1)[0];
  }
}
