/**
 * How a worker's death or failed start is judged, pure: which error the
 * running task gets, whether it is retried, and how long to wait before the
 * next start. No processes, no timers: the supervisor applies the verdicts.
 */
import { DataCloneError, MemoryLimitError, PoolTerminatedError, WorkerCrashedError } from '../errors.js';
import { UndecodableMessageError } from '../protocol/undecodable.js';
import type { FailureKind, ExitReason } from './stats.js';
import type { CrashRecord } from './task.js';

/**
 * How long a worker must live past `ready`, having run no task, before its
 * start counts as a success. An initializer that leaves a rejected promise or
 * a throwing timer behind kills its worker a moment after `ready`; counted as
 * an ordinary crash, the worker was replaced at once, forever.
 */
export const START_PROBATION_MS = 1000;

/** Backoff between failed worker starts: base, doubling, capped. */
export const START_BACKOFF_BASE_MS = 50;
export const START_BACKOFF_MAX_MS = 2000;

/** Delay before the next start after `failures` failed starts in a row (≥ 1). */
export function startBackoffMs(failures: number): number {
  return Math.min(START_BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1), START_BACKOFF_MAX_MS);
}

export interface DeathFacts {
  /** Why the worker went away (`crash` when nobody killed it on purpose). */
  reason: ExitReason;
  /** The pool can still run tasks (not terminated or broken). */
  poolAlive: boolean;
  terminated: boolean;
  exitCode: number | null;
  signal: string | null;
  outOfMemory: boolean;
  /** The runtime's own error (spawn failure, a thread's uncaught error). */
  runtimeError: Error | undefined;
  /** Why the worker's channel was declared broken, if it was. */
  channelError: Error | undefined;
  pid: number | undefined;
  workerId: number;
  /** `maxMemory`, or the V8 heap cap in bytes, when one is set. */
  memoryLimit: number | undefined;
  rss: number | undefined;
  /** The pool's runtime (what a value that failed to cross was sent between); `process` when not given. */
  runtime?: 'process' | 'thread';
}

export interface TaskFacts {
  name: string;
  /** Items it holds (1 for a single call), and where the first sits in the caller's input, when known. */
  size: number;
  first: number | undefined;
  /** Each item's index, when they do not follow on from `first` (Task.indices). */
  indices?: readonly number[] | undefined;
  retries: number;
  /** Crashes so far, this one not included. */
  crashes: readonly CrashRecord[];
  /**
   * After a message that did not decode: whether this task sent it (known
   * one task at a time); undefined when unknown, and then every task that
   * was running is taken for its sender.
   */
  sentUndecodable?: boolean | undefined;
  /**
   * Other tasks the worker had started and was still running when it died
   * (concurrentTasksPerWorker > 1); 0 or undefined when it ran this one alone.
   */
  beside?: number | undefined;
  /**
   * With others beside it: true when the worker recorded this task's code as
   * what ended it (process.exit, an uncaught error), false when another
   * task's; undefined when it could not tell (a signal, a native crash).
   */
  culprit?: boolean | undefined;
}

export type Verdict =
  | { kind: 'settle'; error: Error; failure: FailureKind | undefined }
  | { kind: 'retry'; crashes: CrashRecord[] };

/** The fate of the task a worker was running when it died. */
export function judgeRunningTask(task: TaskFacts, death: DeathFacts): Verdict {
  if (death.reason === 'shutdown' && death.terminated) return { kind: 'settle', error: new PoolTerminatedError(), failure: undefined };
  const undecodable = death.channelError instanceof UndecodableMessageError || death.channelError?.name === 'DataCloneError';
  if (death.reason === 'protocol' && undecodable && task.sentUndecodable !== false) {
    // Its message was sent whole but cannot be read here (nested too deep...):
    // the same value would fail again, so no retry. Which message it was is
    // unknown (it did not decode): its result, or a value for a shared object.
    const what = `the result of task ${JSON.stringify(task.name)} (or a value it sent to a shared object)`;
    return { kind: 'settle', error: new DataCloneError(what, death.channelError, death.runtime === 'thread' ? 'threads' : 'processes'), failure: 'error' };
  }
  // Past the memory cap the pool set (its RSS cap, or the V8 heap cap that comes
  // with it): the pool's own verdict, as a timeout is, so not retried. Which of
  // the two caps a runaway task met first once decided whether it ran again.
  const running = describeRunning(task) + besideNote(task.beside);
  if (death.memoryLimit !== undefined && (death.outOfMemory || death.reason === 'memory')) {
    const detail = death.outOfMemory ? ' (V8 ran out of heap)' : '';
    return { kind: 'settle', error: new MemoryLimitError(death.memoryLimit, death.rss, detail, running), failure: 'memory' };
  }
  const crashes = [...task.crashes, { exitCode: death.exitCode, signal: death.signal, pid: death.pid }];
  if (crashes.length <= task.retries && death.poolAlive) return { kind: 'retry', crashes };
  return {
    kind: 'settle',
    failure: 'crash',
    error: new WorkerCrashedError({
      exitCode: death.exitCode, signal: death.signal as NodeJS.Signals | null, pid: death.pid, workerId: death.workerId,
      detail: crashDetail(task, death), attempts: crashes, running, thread: death.runtime === 'thread',
    }),
  };
}

/** ', one of 3 tasks it was running at once' for a task that died beside others. */
function besideNote(beside: number | undefined): string {
  return beside ? `, one of ${beside + 1} tasks it was running at once` : '';
}

/**
 * The end of a crash error's message. A task that died beside others needs
 * to hear whether it was the cause: a kill for a timeout or an abort was the
 * pool's verdict on another task (that one already failed with its own
 * error), and a crash cannot be pinned on one of the tasks at all.
 */
function crashDetail(task: TaskFacts, death: DeathFacts): string | undefined {
  const own = death.outOfMemory ? 'V8 ran out of heap memory' : (death.channelError ?? death.runtimeError)?.message;
  if (!task.beside) return own;
  const why = death.reason === 'timeout' || death.reason === 'abort'
    ? `the pool killed it because a task beside this one ${death.reason === 'timeout' ? 'overran its timeout' : 'was aborted'} and had not stopped within abortGrace`
    : task.culprit === true ? 'this task\'s code ended it'
    : task.culprit === false ? 'another task\'s code ended it, not this one\'s'
    : 'which of them caused it, the pool cannot tell';
  return own ? `${own}; ${why}` : why;
}

/**
 * What a dead worker was running, for its error's message. A chunk without an
 * item log cannot tell which of its items it was on, and the message says so
 * (with the ways to find out) rather than let the first item take the blame.
 */
export function describeRunning(task: { size: number; first: number | undefined; indices?: readonly number[] | undefined }): string {
  if (task.size > 1) return `${describeChunk(task)} (which item, the pool cannot tell: chunksize 1, retries or imapSettled would name it)`;
  return task.first === undefined ? 'the task' : `the item at index ${task.first}`;
}

/** 'items at indices 64–95, one chunk', or 'a chunk of 32 items' where the caller's positions are not known. */
export function describeChunk({ size, first, indices }: { size: number; first: number | undefined; indices?: readonly number[] | undefined }): string {
  if (indices && indices.length === size) return `items at indices ${ranges(indices)}, one chunk`;
  return first === undefined ? `a chunk of ${size} items` : `items at indices ${first}–${first + size - 1}, one chunk`;
}

/** Most index ranges a message lists before it ends with "…". */
const MAX_RANGES = 4;

/** `3–5, 9, 12–40` for [3, 4, 5, 9, 12, ..., 40]. */
function ranges(indices: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < indices.length && out.length <= MAX_RANGES; i++) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    out.push(j === i ? `${indices[i]}` : `${indices[i]}–${indices[j]}`);
    i = j;
  }
  return out.length > MAX_RANGES ? `${out.slice(0, MAX_RANGES).join(', ')}, …` : out.join(', ');
}

/** The error of a worker that exited before it was ready, when it reported none itself. */
export function startFailureMessage(exitCode: number | null, signal: string | null, runtimeError: Error | undefined, msAfterReady?: number): string {
  if (msAfterReady !== undefined) {
    // Ready, then dead before any task ran: an error its module or initializer
    // left behind (a promise rejected and not awaited, a throwing timer).
    const how = `exited with code ${exitCode} ${Math.round(msAfterReady)} ms after it was ready, before it ran any task (an error its module or initializer left behind`;
    return `the worker ${how}${runtimeError ? `: ${runtimeError.message})` : ')'}`;
  }
  // Neither a code nor a signal: it never ran (the spawn itself threw).
  const how = signal ? `was killed by ${signal} before it was ready` : exitCode === null ? 'could not be started' : `exited with code ${exitCode} before it was ready`;
  // Code 0 with nothing reported: Node ends a process whose event loop is
  // empty, and a top-level await (or an initializer's promise) that can never
  // settle leaves it so; a bare "code 0" would send the user elsewhere.
  const why = exitCode === 0 && !signal && !runtimeError
    ? ' (process.exit(0) while loading, or a top-level await or initializer promise that can never settle: nothing was left to wait for)' : '';
  return `the worker ${how}${why}${runtimeError ? `: ${runtimeError.message}` : ''}`;
}
