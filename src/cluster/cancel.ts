/**
 * Abort of a task already sent to Redis (its caller's `signal` fired). The
 * task settles with AbortError on the client at once; this is about the work:
 *
 * - its job still **waits** and holds only settled tasks: it is removed, so
 *   no node runs it. The removal takes a round trip or two, while a node
 *   may fetch the job meanwhile (it was next in line): so the nodes are told
 *   first, in one message (`* <job ids> s`), to skip those jobs, and a node
 *   that fetches one completes it at once without running a task;
 * - its job **runs** on a node: the client publishes `<job id> <task
 *   indexes, or *> <a|w>` on the queue's cancel channel; the node running
 *   that job aborts those tasks (`a`) in its local Supervisor, which tells
 *   the worker and kills it after the node's `abortGrace` (1 s) if the task
 *   ignores its signal; or withdraws them (`w`, an imap left early): those
 *   not started yet are dropped, running ones finish, as in a local pool.
 *   The job then ends sooner, with outcomes the client drops.
 *
 * Best effort: a message published while the job is between its fetch and
 * its processor, or while Redis is away, is lost, and the task runs to its
 * end unseen, as before. Pub/sub needs channel rights (`&forkpool:*` for an
 * ACL user); a node without them serves on, logging that it cannot cancel.
 */
import type { Task } from '../engine/task.js';
import type { RedisClient } from './connect.js';
import type { ClientLink } from './link.js';
import type { Outbox, OutJob } from './outbox.js';
import { SPILLED_ID, cancelChannel } from './settings.js';

/**
 * Client: tasks sent in jobs were aborted (`cancelRunning`) or withdrawn (an
 * imap left early: what runs finishes, as locally) and have settled.
 * Requests of one turn are handled together: first every job left with only
 * settled tasks is removed if it still waits, and only then are the nodes
 * told about running ones; told first, a node would finish its job sooner
 * and fetch one of those waiting jobs before its removal.
 */
export class Canceller {
  readonly #link: () => ClientLink | undefined;
  readonly #box: Outbox;
  readonly #after: () => void;
  readonly #pending = new Map<OutJob, { tasks: Set<number>; cancelRunning: boolean }>();

  /** `after()`: a job left (room for more) or the nodes were told. */
  constructor(link: () => ClientLink | undefined, box: Outbox, after: () => void) {
    this.#link = link;
    this.#box = box;
    this.#after = after;
  }

  request(job: OutJob, task: Task, cancelRunning: boolean): void {
    if (this.#pending.size === 0) queueMicrotask(() => void this.#run());
    const entry = this.#pending.get(job) ?? { tasks: new Set<number>(), cancelRunning };
    entry.tasks.add(job.tasks.indexOf(task));
    entry.cancelRunning ||= cancelRunning;
    this.#pending.set(job, entry);
  }

  async #run(): Promise<void> {
    const link = this.#link();
    const batch = [...this.#pending];
    this.#pending.clear();
    if (!link) return;
    try {
      const whole = batch.filter(([job]) => job.tasks.every((t) => t.settled));
      // Sent before the removals on the same connection, so Redis delivers it first: not awaited.
      if (whole.length > 0) link.publishSkip(whole.map(([job]) => job.id)).catch(() => undefined);
      // A locked (running) job is refused by BullMQ: that one is told to its node below. A spilled
      // job is known only once it exists, so one that is missing now was removed (by the node that
      // spilled it, forwarding this same cancel: spill.ts): gone too.
      const removed = await Promise.all(whole.map(([job]) => SPILLED_ID.test(job.id) ? link.tryRemove(job.id) : link.removeIfIdle(job.id)));
      const gone = new Set(whole.filter((_, i) => removed[i]).map(([job]) => job));
      for (const job of gone) this.#box.finish(job.id);
      await Promise.all(batch.filter(([job]) => !gone.has(job)).map(([job, { tasks, cancelRunning }]) => {
        const all = job.tasks.every((t) => t.settled);
        return link.publishCancel(job.id, all ? undefined : [...tasks], !cancelRunning);
      }));
    } catch {
      // Redis away: those jobs run on; their outcomes are dropped when read.
    }
    this.#after();
  }
}

/** Node: subscribes to the cancel channel on a connection of its own (a subscribed connection takes no other command). */
export async function listenForCancels(
  client: RedisClient, queueName: string, onCancel: (jobId: string, tasks: number[] | undefined, withdraw: boolean) => void,
  onSkip: (jobIds: string[]) => void,
): Promise<RedisClient> {
  const sub = client.duplicate();
  sub.on('error', () => { /* reconnects by itself, and subscribes again (ioredis autoResubscribe) */ });
  sub.on('message', (_channel: string, message: string) => {
    const [id, list, how] = message.split(' ');
    if (how === 's') { if (list) onSkip(list.split(',')); return; }
    if (id) onCancel(id, list && list !== '*' ? list.split(',').map(Number) : undefined, how === 'w');
  });
  try {
    await sub.subscribe(cancelChannel(queueName));
  } catch (err) {
    sub.disconnect();
    throw err;
  }
  return sub;
}
