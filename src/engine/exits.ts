/**
 * The never-hang path: what a worker's exit means. It runs once per worker,
 * after everything the worker sent has been read (the runtimes guarantee it),
 * so a result written just before a crash has already settled its task.
 */
import { WorkerStartError } from '../errors.js';
import type { ExitInfo } from '../runtime/types.js';
import { hubPeerGone } from '../shared/link.js';
import type { Core } from './core.js';
import { START_PROBATION_MS, judgeRunningTask, startFailureMessage } from './failures.js';
import { proven } from './workers.js';
import { settleDeadChunk } from './split.js';
import { heapLimitBytes } from './spawn.js';
import type { ExitReason } from './stats.js';
import type { Task } from './task.js';
import type { WorkerSlot } from './worker-slot.js';
import { emitSafely } from '../util/emit.js';

export function onWorkerExit(core: Core, w: WorkerSlot, info: ExitInfo): void {
  const wasStarting = w.state === 'starting' && w.killReason === undefined;
  w.state = 'exited';
  w.startTimer?.clear();
  core.workers.remove(w);
  // Lines written just before the exit are delivered before the exit is reported.
  for (const lines of [w.stdout, w.stderr, w.raw.stdout, w.raw.stderr]) lines.flush();
  // Only a death cuts work off: a worker recycled, or stopped by close() or
  // terminate(), leaves the JoinableQueue items it took to whoever finishes
  // them (a death puts them back: shared/state/queue-owed.ts).
  hubPeerGone(w.peer, !w.leftOnPurpose);
  if (wasStarting) return onStartFailure(core, w, info);
  const afterReady = diedBeforeAnyTask(w, info);
  if (afterReady !== undefined) {
    // Its start failed after all: the tasks it held never started, they run elsewhere.
    const behind = w.inFlight.splice(0);
    for (const t of behind) t.attempts--;
    core.requeueFront(behind);
    return onStartFailure(core, w, info, afterReady);
  }
  if (proven(w, performance.now())) core.workers.startSucceeded();
  // A death by V8 running out of heap is a memory death, as the task's error says.
  const reason: ExitReason = w.killReason ?? (info.outOfMemory ? 'memory' : 'crash');
  // Only a task the worker said it started can be the one that killed it; a
  // worker running several at once (concurrentTasksPerWorker) had them all
  // under way, so each is judged. A task whose bytes were moved into the
  // thread counts as started: they died with it, it cannot run elsewhere.
  const inFlight = w.inFlight.splice(0);
  // How many it was running at once, each one's error says it died beside the
  // others. Settled ones count: a task failed at once by its timeout or abort
  // stays in flight while it still runs, and may be what got the worker killed.
  let running = 0;
  for (const t of inFlight) if (t.started || t.moved) running++;
  const beside = Math.max(0, running - 1);
  const behind: Task[] = [];
  const rests: Task[] = [];
  const retried: Task[] = [];
  for (const t of inFlight) {
    if (!t.started && !t.moved) {
      // Never started: innocent, it runs elsewhere.
      t.attempts--;
      behind.push(t);
    } else if (!t.settled) {
      // A logged chunk leaves the items after its running one (split.ts): they go first, being older.
      const rest = settleDeadChunk(core, w, t, (part) => judge(core, w, part, info, reason, beside, retried));
      if (rest) rests.push(rest);
    }
  }
  // Retries last, in the order they came: each waits for a worker spawned
  // after this death, and at the head of the queue it would hold back what a
  // live worker could take now.
  core.requeueFront(retried.length + rests.length > 0 ? [...rests, ...behind, ...retried] : behind);
  emitSafely(core.events, 'workerExit', { workerId: w.id, pid: w.pid, reason, exitCode: info.exitCode, signal: info.signal });
  core.workers.replace(w, reason);
  core.afterProgress();
}

/** Settles the task a worker was running when it died, or adds it to `retried` (the rules are in failures.ts). */
function judge(core: Core, w: WorkerSlot, t: Task, info: ExitInfo, reason: ExitReason, beside: number, retried: Task[]): void {
  const state = core.state();
  // A task whose buffers were moved to the dead thread has nothing left to send again.
  const verdict = judgeRunningTask({
    name: t.name, size: t.size, first: t.first, indices: t.indices, retries: t.moved ? 0 : t.retries, crashes: t.crashes ?? [],
    sentUndecodable: w.undecodableFrom === undefined ? undefined : w.undecodableFrom === t.id, beside,
    // Recorded by a worker running several at once (`ExitInfo.culprit`): the one whose code ended it.
    culprit: beside > 0 && info.culprit !== undefined ? info.culprit === t.id : undefined,
  }, {
    reason, poolAlive: state !== 'terminated' && state !== 'broken', terminated: state === 'terminated',
    exitCode: info.exitCode, signal: info.signal, outOfMemory: info.outOfMemory, runtimeError: info.error ?? w.uncaught,
    channelError: w.channelError, pid: w.pid, workerId: w.id, memoryLimit: heapLimitBytes(core.opts), rss: w.rss,
    runtime: core.opts.runtime,
  });
  if (verdict.kind === 'retry') {
    t.crashes = verdict.crashes;
    core.stats.retried++;
    t.minWorkerId = core.workers.newestId; // only a worker spawned after this crash may take it
    // It died beside other tasks. Run together again, the culprit would take
    // the others down with it every time: it runs alone, and so does every
    // task when the culprit is unknown (a signal, a native crash; the worker
    // records process.exit and uncaught errors from one task's code). The
    // innocent ones finish, and a second death is the culprit's own.
    if (beside > 0 && (info.culprit === undefined || info.culprit === t.id)) t.exclusive = true;
    retried.push(t);
    return;
  }
  if (verdict.failure) core.fail(t, verdict.error, verdict.failure, w);
  else t.settle(verdict.error);
}

/** A worker died before it was ready: back off and retry, or break the pool after `maxStartFailures` in a row. */
function onStartFailure(core: Core, w: WorkerSlot, info: ExitInfo, msAfterReady?: number): void {
  const cause = info.error ?? w.uncaught;
  const err = w.startError ?? new WorkerStartError(w.id, startFailureMessage(info.exitCode, info.signal, cause, msAfterReady), cause);
  const failures = core.workers.startFailed();
  emitSafely(core.events, 'workerExit', { workerId: w.id, pid: w.pid, reason: 'start-failure', exitCode: info.exitCode, signal: info.signal, error: err });
  // Python respawns forever here (gh-87472); a pool that cannot start its workers says so instead.
  if (core.state() !== 'terminated') {
    const final = cannotBeMended(err);
    if (failures >= core.opts.maxStartFailures || final) core.breakPool(failures, err, final);
    else core.workers.restartLater(w);
  }
  core.afterProgress();
}

/**
 * How many ms after `ready` a worker died of its own accord (an exit, not a
 * signal: a kill from outside is no fault of its start) without having started
 * a task, within its probation; undefined if its death is an ordinary one.
 */
function diedBeforeAnyTask(w: WorkerSlot, info: ExitInfo): number | undefined {
  if (w.killReason !== undefined || w.recycledItself || w.channelError || info.signal || w.readyAt === 0) return undefined;
  if (w.tasksDone > 0) return undefined;
  for (const t of w.inFlight) if (t.started || t.moved) return undefined;
  const ms = performance.now() - w.readyAt;
  return ms < START_PROBATION_MS ? ms : undefined;
}

/** Start errors that every retry would meet again, so backing off and retrying only delays the answer. */
const FINAL_START_ERRORS = new Set([
  'ERR_FORKPOOL_NO_TYPESCRIPT_LOADER',
  // The thread runtime's execArgv holds a flag worker_threads refuse (Node names it).
  'ERR_WORKER_INVALID_EXEC_ARGV',
]);

function cannotBeMended(err: Error): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (FINAL_START_ERRORS.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}
