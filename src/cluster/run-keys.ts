/**
 * Which journaled run a task belongs to, and its items' journal keys.
 *
 * A journaled run (`forkpool run --redis` with a journal) names its jobs
 * `<run>.<incarnation>-<seq>` and keeps them in a per-run set, so that a
 * resumed run finds what the killed one left in Redis (runs.ts). The run id
 * and the items' journal keys reach the engine with each task (`Task.run`,
 * `Task.keys`), from the journal header through `journaled` and the pool's
 * imap. A key qualified as `<run>\x1f<key>` is still understood (bareKey).
 */
import type { Task } from '../engine/task.js';

/** ASCII unit separator: between the run id and the journal key. */
const SEP = '\x1f';

/** A journal key qualified with its run, as it travels in `Task.keys`. */
export function runKey(run: string, key: string): string {
  return `${run}${SEP}${key}`;
}

/** The run of a journaled task (its own `run`, or a qualified key), else undefined. */
export function runOf(task: Task): string | undefined {
  if (typeof task.run === 'string') return task.run;
  const first = task.keys?.[0];
  if (!first) return undefined;
  const at = first.indexOf(SEP);
  return at > 0 ? first.slice(0, at) : undefined;
}

/** The run of a job id `<run>.<incarnation>-<seq>`; client jobs (`<client>-<seq>`) have none. */
export function runOfJobId(id: string): string | undefined {
  const dot = id.indexOf('.');
  return dot > 0 ? id.slice(0, dot) : undefined;
}

/** The journal key without its run. */
export function bareKey(key: string): string {
  const at = key.indexOf(SEP);
  return at >= 0 ? key.slice(at + 1) : key;
}

/** A run id as `journaled` writes it in the journal header (hex digits). */
export function isRunId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9a-f]{8,32}$/.test(id);
}
