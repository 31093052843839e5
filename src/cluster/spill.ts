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
 * start here. If Redis refuses the add, they run here after all. Jobs of a
 * journaled run are never spilled: a resumed run finds the run's jobs
 * through its set in Redis (runs.ts), which a spilled job is not in.
 */
import type { Job, Queue } from 'bullmq';
import type { Supervisor } from '../engine/supervisor.js';
import type { Task } from '../engine/task.js';
import type { JobData, TaskResult } from './codec.js';
import { JOB_FORMAT, SPILL_AFTER_MS, jobOptions } from './settings.js';

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
    if (t.settled || t.started) return;
    s.supervisor.withdraw(t);
    if (t.settled) waiting.push(i);
  });
  if (waiting.length === 0) return;
  const data = s.job.data as JobData;
  try {
    await s.queue.addBulk(waiting.map((i) => ({
      name: 'forkpool',
      data: { f: JOB_FORMAT, t: [data.t[i]!] },
      opts: jobOptions(`${s.job.id}~${i}`),
    })));
    for (const i of waiting) s.moved.set(i, { sp: `${s.job.id}~${i}`, ms: 0 });
    s.log?.(`job ${s.job.id}: ${waiting.length} task(s) waited ${SPILL_AFTER_MS} ms behind another; re-added as jobs of their own`);
  } catch {
    for (const i of waiting) s.moved.set(i, s.rerun(i));
  }
}
