/**
 * Where a distributed pool's tasks are between submit and settle, on the
 * client: the waiting line (not sent yet) and the jobs in Redis. A task is in
 * exactly one of them, or settled. Packing takes tasks from the line into a
 * job: at most `perJob` items and MAX_JOB_BYTES of encoded arguments; a task
 * whose arguments cannot be encoded, or are too large, fails alone.
 *
 * Tasks of a job lost too often wait in a line of their own (`isolated`),
 * packed first and one per job; a chunk split that way is `parked` until its
 * items' tasks have ended (outcomes.ts).
 */
import { DataCloneError } from '../errors.js';
import type { Task } from '../engine/task.js';
import { Deque } from '../util/deque.js';
import { encodeShared } from '../shared/codec.js';
import { encodeTask, jobTaskOf } from './codec.js';
import { PayloadTooLargeError } from './errors.js';
import { runOf } from './run-keys.js';
import { MAX_JOB_BYTES, MAX_TASK_BYTES, SPILLED_ID } from './settings.js';

const SHARED_REFUSED = 'shared objects (Manager, Lock, Queue, SharedDict...) cannot be arguments of a distributed pool: their server lives in this process, out of the nodes\' reach';

const PORT_REFUSED = 'a MessagePort only crosses between threads (use a local pool with runtime: \'thread\')';

/** Job ids remembered after their outcome was applied, to count duplicates. */
const RECENT_JOBS = 4_096;

export interface OutJob {
  id: string;
  tasks: Task[];
  /** Encoded tasks, as the job carries them. */
  data: string[];
  /** One item of a job lost too often: if lost again, it fails (WorkerLostError) instead of being split. */
  isolated?: boolean;
  /** The journaled run of its tasks (a job never mixes runs): its id is the run's (runs.ts). */
  run?: string;
}

export class Outbox {
  readonly #clientId: string;
  readonly #runJobId: (run: string) => string;
  readonly #waiting = new Deque<Task>();
  readonly #isolated = new Deque<Task>();
  readonly #parked = new Set<Task>();
  readonly #jobs = new Map<string, OutJob>();
  readonly #inJob = new Set<Task>();
  readonly #recent = new Set<string>();
  /** Jobs tracked for spilled tasks (`track`). */
  readonly #spillIds = new Set<string>();
  #seq = 0;
  readonly #abortGrace: number;
  /** Unsettled tasks in the waiting line (settled ones are skipped lazily). */
  waiting = 0;

  /** Job ids: `<client id>-<seq>`, or `runJobId(run)` for the tasks of a journaled run. */
  /** `abortGrace`: the client pool's, sent with every task (the node kills an aborted task's worker after it). */
  constructor(clientId: string, runJobId: (run: string) => string, abortGrace: number) {
    this.#clientId = clientId;
    this.#runJobId = runJobId;
    this.#abortGrace = abortGrace;
  }

  get jobCount(): number { return this.#jobs.size; }
  jobIds(): string[] { return [...this.#jobs.keys()]; }
  job(id: string): OutJob | undefined { return this.#jobs.get(id); }

  /**
   * A task its node re-added as a job of its own (`<job id>~<index>`: it
   * waited there behind a long task, node.ts spill), tracked under that job
   * from now on; the parent's result leaves it alone.
   */
  track(id: string, task: Task, run?: string): void {
    if (task.settled || this.#jobs.has(id)) return;
    this.#jobs.set(id, { id, tasks: [task], data: [], run });
    this.#inJob.add(task);
    this.#spillIds.add(id);
  }

  /** `<parent>~<i>` of an outstanding parent whose task i is unsettled: tracked now (an event or a poll found it first). */
  adoptSpilled(id: string): boolean {
    const m = SPILLED_ID.exec(id);
    const parent = m ? this.#jobs.get(m[1]!) : undefined;
    const task = parent?.tasks[Number(m![2])];
    if (!parent || !task || task.settled) return false;
    this.track(id, task, parent.run);
    return true;
  }

  /** Ids a poll also reads: the parts a node may have spilled from outstanding jobs of several tasks. */
  spillCandidates(): string[] {
    const out: string[] = [];
    for (const job of this.#jobs.values()) {
      if (job.tasks.length < 2) continue;
      job.tasks.forEach((t, i) => { if (!t.settled && !this.#jobs.has(`${job.id}~${i}`)) out.push(`${job.id}~${i}`); });
    }
    return out;
  }
  /** The job was applied already (its outcome read once before). */
  wasApplied(id: string): boolean { return this.#recent.has(id); }
  inJob(task: Task): boolean { return this.#inJob.has(task); }
  /**
   * The job holding `task`, if it was sent (jobs in Redis are few: at most the
   * job limit). A task its node spilled is in its parent job and in its own:
   * the spilled job is the one that runs it, so that one is returned.
   */
  jobOf(task: Task): OutJob | undefined {
    if (!this.#inJob.has(task)) return undefined;
    let found: OutJob | undefined;
    for (const job of this.#jobs.values()) {
      if (!job.tasks.includes(task)) continue;
      if (this.#spillIds.size === 0 || this.#spillIds.has(job.id)) return job;
      found ??= job;
    }
    return found;
  }

  push(task: Task): void {
    this.#waiting.push(task);
    this.waiting++;
  }

  /** A waiting task settled by its caller (abort, withdraw): never sent. */
  forget(task: Task): void {
    if (this.#parked.delete(task)) return;
    if (!this.#inJob.has(task)) this.waiting--;
  }

  /** Tasks of a job lost too often, each to go alone in a job. */
  pushIsolated(tasks: Task[]): void {
    for (const t of tasks) this.#isolated.push(t);
    this.waiting += tasks.length;
  }

  /** A chunk whose items run as tasks of their own: in no line and no job until they have ended. */
  park(chunk: Task): void { this.#parked.add(chunk); }
  unpark(chunk: Task): void { this.#parked.delete(chunk); }

  pack(perJob: number, fail: (t: Task, err: Error) => void): OutJob | undefined {
    const isolated = this.#isolated.length > 0;
    const line = isolated ? this.#isolated : this.#waiting;
    while (line.length > 0 && line.peek()!.settled) line.shift();
    if (line.length === 0) return undefined;
    const run = runOf(line.peek()!);
    const job: OutJob = { id: run ? this.#runJobId(run) : `${this.#clientId}-${++this.#seq}`, tasks: [], data: [], isolated, run };
    if (isolated) perJob = 1;
    let items = 0;
    let bytes = 0;
    while (line.length > 0) {
      const t = line.peek()!;
      if (t.settled) { line.shift(); continue; }
      if (job.tasks.length > 0 && (items + t.size > perJob || bytes >= MAX_JOB_BYTES || runOf(t) !== run)) break;
      line.shift();
      this.waiting--;
      let enc: string;
      const what = `the arguments of task ${JSON.stringify(t.name)}`;
      // A shared object's server lives in this process; a node on another machine could never reach it.
      if (encodeShared(t.items ?? t.args ?? []).found) {
        fail(t, new DataCloneError(what, SHARED_REFUSED));
        continue;
      }
      // Transferables cannot go either: a port only crosses between threads (the local process runtime says the same).
      if (t.transfer?.some((x) => !(x instanceof ArrayBuffer))) {
        fail(t, new DataCloneError(what, PORT_REFUSED));
        continue;
      }
      try {
        enc = encodeTask(jobTaskOf(t, this.#abortGrace));
      } catch (err) {
        // v8 names a port "Unserializable host object: MessagePort {…}" with a dump of it: say what to do instead.
        fail(t, new DataCloneError(what, /MessagePort/.test((err as Error)?.message) ? new Error(PORT_REFUSED, { cause: err }) : err));
        continue;
      }
      const size = Math.round(enc.length * 0.75); // base64 → bytes
      if (size > MAX_TASK_BYTES) { fail(t, new PayloadTooLargeError(size, MAX_TASK_BYTES)); continue; }
      t.attempts++;
      job.tasks.push(t);
      job.data.push(enc);
      items += t.size;
      bytes += enc.length;
    }
    if (job.tasks.length === 0) return undefined;
    this.#jobs.set(job.id, job);
    for (const t of job.tasks) this.#inJob.add(t);
    return job;
  }

  /** Takes a job out once its outcome is known (or lost); later reads of it are duplicates. */
  finish(id: string): OutJob | undefined {
    const job = this.#jobs.get(id);
    if (!job) return undefined;
    this.#jobs.delete(id);
    this.#spillIds.delete(id);
    // A task spilled into a job of its own is still sent, under that job (checked only while spills are tracked).
    if (this.#spillIds.size === 0) for (const t of job.tasks) this.#inJob.delete(t);
    else job.tasks.forEach((t, i) => { if (!this.#jobs.has(`${id}~${i}`)) this.#inJob.delete(t); });
    this.#recent.add(id);
    if (this.#recent.size > RECENT_JOBS) this.#recent.delete(this.#recent.values().next().value!);
    return job;
  }

  /** Tasks submitted before anyone knew the exports: those with unknown names leave the line. */
  takeUnknown(exports: readonly string[]): Task[] {
    const out: Task[] = [];
    for (const t of this.#waiting.drain()) {
      if (t.settled) continue;
      if (exports.includes(t.name)) this.#waiting.push(t);
      else { this.waiting--; out.push(t); }
    }
    return out;
  }

  /** Every unsettled task, waiting or in a job; the outbox is empty after. */
  takeAll(): Task[] {
    const out = [...this.#parked, ...this.#isolated.drain(), ...this.#waiting.drain()].filter((t) => !t.settled);
    this.#parked.clear();
    // A spilled task is in its parent job and in its own: once each.
    for (const t of new Set([...this.#jobs.values()].flatMap((job) => job.tasks))) out.push(t);
    this.waiting = 0;
    this.#jobs.clear();
    this.#spillIds.clear();
    this.#inJob.clear();
    return out;
  }

  runningTasks(): number {
    return new Set([...this.#jobs.values()].flatMap((job) => job.tasks.filter((t) => !t.settled))).size;
  }
}
