/**
 * Handing queued tasks to one worker: which of them go in this batch, and
 * the `run` message that carries them. A task whose arguments cannot cross
 * fails alone; the rest of its batch is still sent.
 */
import { isArrayBuffer } from 'node:util/types';
import { cloneFailure } from '../protocol/clone-failure.js';
import type { Command, TransferItem } from '../protocol/messages.js';
import type { Core } from './core.js';
import type { Task } from './task.js';
import { wireOf } from './wire.js';
import type { WorkerSlot } from './worker-slot.js';

/** Moves up to `room` queued tasks into `w`'s in-flight list. */
export function takeFromQueue(core: Core, w: WorkerSlot, room: number): Task[] {
  const batch: Task[] = [];
  const concurrency = core.opts.concurrentTasksPerWorker;
  // One clock read per batch: its tasks are all taken at this instant.
  const takenAt = performance.now();
  // Retries first, those this worker may run: spawned after their crash, and
  // empty for one that runs alone (it died beside other tasks: exits.ts). The
  // same rules as below, where the queue's head waits instead of being passed.
  // A task with shared objects in its arguments may block on another task: it
  // goes only where it starts at once, and while it is in the worker, so does
  // every other task. Queued behind it, a task it waits for would never start.
  let blocking = w.holdsBlocking(concurrency);
  while (room > 0 && core.queue.retrying) {
    const held = w.inFlight.length; // `hand` adds to it
    const task = core.queue.takeRetry((t) => t.minWorkerId < w.id && (t.exclusive ? held === 0 : !((t.transfer || blocking || wireOf(t).h === 1) && held >= concurrency)));
    if (!task) break;
    if (task.wire!.h === 1) blocking = true;
    core.stats.waitTimes.add(takenAt - task.enqueuedAt);
    w.hand(task);
    batch.push(task);
    room--;
    if (task.exclusive) return batch;
  }
  for (let task = core.queue.peek(); task && room > 0; task = core.queue.peek()) {
    const shared = wireOf(task).h === 1;
    // A retry that runs alone goes only to a worker holding nothing.
    if (task.exclusive && (w.inFlight.length > 0 || batch.length > 0)) break;
    // Moved bytes cannot be sent again, so such a task never waits inside a
    // worker (where a reclaim or the worker's death would send it back): it
    // goes only where it starts at once; so does a task with shared objects,
    // and any task joining one (above).
    if ((task.transfer || shared || blocking) && w.inFlight.length >= concurrency) break;
    core.queue.take();
    core.stats.waitTimes.add(takenAt - task.enqueuedAt);
    w.hand(task);
    batch.push(task);
    room--;
    if (shared) blocking = true;
    if (task.exclusive) break;
  }
  return batch;
}

/**
 * The idle lane of a submit: with nothing queued and a ready worker holding
 * nothing, the task goes there now, as the next dispatch turn would send it
 * (an idle worker is served first, and one task is a burst's share), without
 * the queue, the microtask hop or a dispatch plan. A loop of calls still
 * batches: once every worker holds a task, the rest queue for the dispatch
 * turn. False when no worker qualifies (the caller queues the task).
 */
export function sendToIdle(core: Core, task: Task): boolean {
  const max = core.opts.maxTasksPerChild;
  for (const w of core.workers.values()) {
    if (w.state !== 'ready' || w.inFlight.length !== 0 || w.dispatched >= max || task.minWorkerId >= w.id) continue;
    wireOf(task);
    core.stats.waitTimes.add(0);
    w.hand(task);
    sendRun(core, w, [task]);
    return true;
  }
  return false;
}

/** Sends `batch` to `w`; a task whose arguments cannot be serialized fails alone. */
export function sendRun(core: Core, w: WorkerSlot, batch: Task[]): void {
  const thread = core.opts.runtime === 'thread';
  if (!thread) {
    const ports = batch.filter((t) => t.transfer?.some(isPort));
    for (const t of ports) refuse(core, w, t, new Error('a MessagePort only crosses between threads (use runtime: \'thread\')'));
    if (ports.length) batch = batch.filter((t) => !t.settled);
  }
  if (batch.length === 0) return;
  if (batch.length === 1 || totalChars(batch) <= MESSAGE_BUDGET_CHARS) return sendGroup(core, w, batch, thread);
  for (const group of frameGroups(batch)) sendGroup(core, w, group, thread);
}

/** Sends `group` as one message; if that fails, each task alone, so only a task that cannot cross fails. */
function sendGroup(core: Core, w: WorkerSlot, group: Task[], thread: boolean): void {
  try {
    send(w, group, thread && group.some((t) => t.transfer !== undefined));
    return;
  } catch (err) {
    // A group of one: that task is the culprit (not serialized again: it may be a gigabyte).
    if (group.length === 1) return refuse(core, w, group[0]!, err);
    // Some argument cannot be serialized: find which, fail those alone, send the rest.
  }
  for (const t of group) {
    try {
      send(w, [t], thread && t.transfer !== undefined);
    } catch (err) {
      refuse(core, w, t, err);
    }
  }
}

/**
 * About this many characters of string arguments per message. A batch of
 * small tasks stays one message (one write, one wake-up), but tasks with
 * large strings go in messages of their own: each string of a message is
 * decoded into a new heap string before its first task can start, so a worker
 * starts sooner on a message of one (2,000 echoes of 100 KB strings: 104–110
 * MB/s batched, 113–123 one per message, 5 alternating runs). Buffers are not
 * weighed: they arrive as views of the message, and one message carries them
 * best (200 echoes of a 1 MB Uint8Array: 148–165 MB/s batched, 102–112 one
 * per message, 4 alternating runs).
 */
const MESSAGE_BUDGET_CHARS = 64 * 1024;

function totalChars(batch: ReadonlyArray<Pick<Task, 'args' | 'items'>>): number {
  let n = 0;
  for (const t of batch) n += stringChars(t);
  return n;
}

/** `batch` cut where its strings pass MESSAGE_BUDGET_CHARS characters (a task over it alone). */
export function frameGroups<T extends Pick<Task, 'args' | 'items'>>(batch: T[]): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let chars = 0;
  for (const t of batch) {
    const n = stringChars(t);
    if (group.length > 0 && chars + n > MESSAGE_BUDGET_CHARS) {
      groups.push(group);
      group = [];
      chars = 0;
    }
    group.push(t);
    chars += n;
  }
  groups.push(group);
  return groups;
}

/** The characters of a task's top-level string arguments (or a chunk's string items): cheap, and what a batch makes expensive. */
function stringChars(t: Pick<Task, 'args' | 'items'>): number {
  const list = t.args ?? t.items;
  if (list === undefined) return 0;
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'string') n += v.length;
  }
  return n;
}

function send(w: WorkerSlot, batch: Task[], withTransfer: boolean): void {
  const cmd: Extract<Command, { t: 'run' }> = { t: 'run', tasks: batch.map((t) => t.wire!) };
  if (withTransfer) cmd.tr = batch.flatMap((t) => (t.transfer ?? []) as TransferItem[]);
  const n = w.runtime.send(cmd);
  for (const t of batch) t.sentIn = n;
  // From here the sender's ArrayBuffers are detached: the task can never be sent again.
  if (withTransfer) for (const t of batch) if (t.transfer?.length) t.moved = true;
}

/**
 * The worker could not decode command `n` (arguments nested deeper than its
 * deserializer follows; this side's serializer, on a shallower stack or a
 * smaller one, wrote them). Its tasks never reached the worker: they fail
 * alone, as arguments that cannot be serialized do, where sending them again
 * would fail on every worker in turn. False when `n` carried no task of
 * this worker's (a shared object's answer): the caller decides.
 */
export function refuseUndecodable(core: Core, w: WorkerSlot, n: number, err: Error): boolean {
  const lost = w.inFlight.filter((t) => t.sentIn === n && !t.started);
  for (const t of lost) refuse(core, w, t, err);
  return lost.length > 0;
}

function refuse(core: Core, w: WorkerSlot, t: Task, err: unknown): void {
  w.giveBack([t.id]);
  // v8 names a port in the arguments "Unserializable host object: MessagePort {…}": cloneFailure says what to do instead.
  core.fail(t, cloneFailure(`the arguments of task ${JSON.stringify(t.name)}`, err, core.opts.runtime === 'thread' ? 'threads' : 'processes'), 'error', w);
}

function isPort(x: TransferItem): boolean {
  return !isArrayBuffer(x);
}
