/**
 * A finished job's hash, turned into one end per task: a ChunkOutcome (values
 * and failed items) or an Error for the whole task (crash, timeout, memory,
 * or the job lost by the infrastructure). Also the ends a running job's node
 * reported early (its progress).
 */
import { decodeError } from '../protocol/values.js';
import type { FailureKind } from '../engine/stats.js';
import type { ChunkOutcome } from '../engine/task.js';
import { decodeProgress, decodeResult, type JobResult, type TaskResult } from './codec.js';
import type { WireLine } from './node-logs.js';
import { WorkerLostError } from './errors.js';

/** `node`: the id of the node that ran it (absent when no node answered); `retried`: retries made there. */
export interface TaskEnd { result: ChunkOutcome | Error; ms: number; node?: string; retried?: number; logs?: WireLine[]; dropped?: number; spilled?: string }

/** `stored`: the value of the result's own key, when the job's result travelled by reference. */
export function taskEnds(count: number, returnvalue: string | JobResult | null, failedReason: string | null, stored?: string | null): TaskEnd[] {
  const all = (err: Error): TaskEnd[] => Array.from({ length: count }, () => ({ result: err, ms: 0 }));
  if (returnvalue === null) return all(new WorkerLostError(failedReason ?? 'unknown reason'));
  let decoded: ReturnType<typeof decodeResult>;
  try {
    decoded = decodeResult(returnvalue, stored);
  } catch (err) {
    return all(new WorkerLostError(`unreadable result: ${(err as Error).message}`));
  }
  return Array.from({ length: count }, (_, i) => {
    const r = decoded.results[i];
    if (!r) return { result: new WorkerLostError('the node returned no result for the task'), ms: 0 };
    return endOf(r, decoded.node);
  });
}

/** Tasks of a running job that ended on its node (its progress, early-results.ts), by index; spilled ones are left out. */
export function earlyEnds(progress: unknown): Array<[number, TaskEnd]> {
  let decoded: ReturnType<typeof decodeProgress>;
  try {
    decoded = decodeProgress(progress);
  } catch {
    return []; // unreadable: those outcomes come with the job's result
  }
  if (!decoded) return [];
  return decoded.ended.filter(([, r]) => !('sp' in r)).map(([i, r]) => [i, endOf(r, decoded.node)]);
}

function endOf(r: TaskResult, node: string): TaskEnd {
  if ('sp' in r) return { result: new WorkerLostError('spilled'), ms: 0, spilled: r.sp };
  const where = `node ${node}`;
  const about = { node, retried: r.r ?? 0, logs: r.lg, dropped: r.ld };
  if ('x' in r) return { result: decodeError(r.x, where), ms: r.ms, ...about };
  const errors = r.e?.map(([idx, e]) => [idx, decodeError(e, where)] as [number, Error]);
  return { result: r.t ? { values: r.v, errors, times: r.t } : { values: r.v, errors }, ms: r.ms, ...about };
}

/** The `stats().failed` counter a whole-task error goes to. */
export function failureKind(err: Error): FailureKind {
  switch ((err as { code?: unknown }).code) {
    case 'ERR_FORKPOOL_WORKER_CRASHED': case 'ERR_FORKPOOL_WORKER_LOST': return 'crash';
    case 'ERR_FORKPOOL_TASK_TIMEOUT': return 'timeout';
    case 'ERR_FORKPOOL_MEMORY_LIMIT': return 'memory';
    case 'ERR_FORKPOOL_ABORTED': return 'aborted';
    default: return 'error';
  }
}
