/**
 * Node side: a job's tasks run one after another on a node's slots, and the
 * job's result leaves only once all have ended. A task that never ends (or
 * runs long) would hold the tasks packed with it while another node sits
 * idle. So tasks that have waited SPILL_AFTER_MS without reaching a worker
 * are re-added as jobs of their own (`<job id>~<index>`) for any node to
 * take, and the job's result says so for each (`{ sp: <new job id> }`); the
 * client then follows that job instead (outbox.ts `track`/`adoptSpilled`).
 *
 * They are withdrawn from the local Supervisor first, so they do not also
 * start here. If Redis refuses the add, they run here after all. A cancel
 * for a spilled task that reaches this node (the client names the job it
 * sent the task in until it hears of the spill) is passed on to its new job. Jobs of a
 * journaled run are never spilled: a resumed run finds the run's jobs
 * through its set in Redis (runs.ts), which a spilled job is not in.
 */
import type { Job, Queue } from 'bullmq';
import type { Supervisor } from '../engine/supervisor.js';
import type { Task } from '../engine/task.js';
import type { JobData, TaskResult } from './codec.js';
import type { RedisClient } from './connect.js';
import { JOB_FORMAT, SPILL_AFTER_MS, cancelChannel, cancelMessage, jobOptions, skipMessage } from './settings.js';

export interface Spill {
  job: Job;
  /** The job's tasks on this node, by index. */
  local: Task[];
  /** Gets each spilled task's entry in the job's result: `{ sp }`, or the rerun's result. */
  moved: Map<number, TaskResult | Promise<TaskResult>>;
  supervisor: Supervisor;
  queue: Queue;
  rerun: (index: number) => Promise<TaskResult>;
  log?: (line: string) => void;
}

export async function spillWaiting(s: Spill): Promise<void> {
  const waiting: number[] = [];
  s.local.forEach((t, i) => {
    // Started: it runs here. Queued in the Supervisor or inside the busy worker: withdrawn (a worker
    // gives back what it has not started; one that starts it in that instant runs it twice, which
    // the at-least-once contract allows and whose later outcome the client drops).
    // (Every task of a job carries an abort signal, so its worker always announces its start: `started` is exact here.)
    if (t.settled || t.started) return;
    s.supervisor.withdraw(t);
    if (t.settled) waiting.push(i);
  });
  if (waiting.length === 0) return;
  const data = s.job.data as JobData;
  // Named before the add: a cancel that arrives while it is on its way is passed on to the new job
  // (forwardCancel: nodes skip it if they fetch it after that, so it never runs).
  for (const i of waiting) s.moved.set(i, { sp: `${s.job.id}~${i}`, ms: 0 });
  try {
    await s.queue.addBulk(waiting.map((i) => ({
      name: 'forkpool',
      data: { f: JOB_FORMAT, t: [data.t[i]!] },
      opts: jobOptions(`${s.job.id}~${i}`),
    })));
    s.log?.(`job ${s.job.id}: ${waiting.length} task(s) waited ${SPILL_AFTER_MS} ms behind another; re-added as jobs of their own`);
  } catch {
    for (const i of waiting) s.moved.set(i, s.rerun(i));
  }
}

/** The job a task of `moved` went to, if it was spilled (not run here after a refused add). */
export function spilledTo(moved: Spill['moved'], index: number): string | undefined {
  const entry = moved.get(index);
  return entry && !(entry instanceof Promise) && 'sp' in entry ? entry.sp : undefined;
}

/**
 * The client aborted (or withdrew) tasks this node had spilled: their jobs
 * are removed if they still wait (nodes are told to skip them first, as the
 * client does in cancel.ts), and the node running one is told over the cancel
 * channel. Best effort, as every cancel is.
 */
export async function forwardCancel(client: RedisClient, queue: Queue, jobIds: string[], withdraw: boolean): Promise<void> {
  const channel = cancelChannel(queue.name);
  await client.publish(channel, skipMessage(jobIds));
  await Promise.all(jobIds.map(async (id) => {
    // BullMQ refuses to remove a locked (running) job: that one is cancelled where it runs.
    if (await queue.remove(id).catch(() => 0) === 1) return;
    await client.publish(channel, cancelMessage(id, undefined, withdraw));
  }));
}

/** Jobs that ended after spilling tasks, remembered so that a cancel for one still reaches those tasks. */
const RECENT_SPILLS = 256;

/**
 * A job whose every waiting task was spilled ends at once, while its client
 * may still name it in a cancel (it has not read that result yet). A node
 * keeps, for its last RECENT_SPILLS such jobs, where each spilled task went:
 * ids only, nothing of the tasks themselves.
 */
export class RecentSpills {
  readonly #jobs = new Map<string, Map<number, string>>();

  keep(jobId: string, moved: Spill['moved']): void {
    const to = new Map<number, string>();
    for (const i of moved.keys()) {
      const id = spilledTo(moved, i);
      if (id) to.set(i, id);
    }
    if (to.size === 0) return;
    this.#jobs.set(jobId, to);
    if (this.#jobs.size > RECENT_SPILLS) this.#jobs.delete(this.#jobs.keys().next().value!);
  }

  /** The jobs that those of `which` (all, without it) were spilled into. */
  targets(jobId: string, which: number[] | undefined): string[] {
    const to = this.#jobs.get(jobId);
    if (!to) return [];
    return which ? which.flatMap((i) => to.get(i) ?? []) : [...to.values()];
  }
}
