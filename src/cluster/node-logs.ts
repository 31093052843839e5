/**
 * Worker output on a node, kept per task so it can travel back with the
 * job's results to the client's `logs` (printed there as a local pool's
 * would be, or handed to its handler). Lines are still printed on the node.
 *
 * Bounded: at most LOG_BYTES_PER_JOB of text per job travel; lines past that
 * are counted and the client is told how many were dropped. A line written
 * after its task ended (or outside any task) stays on the node only.
 */
import { printLine, type LogLine } from '../engine/logs.js';

/** Log text returned with one job's results, at most. */
export const LOG_BYTES_PER_JOB = 64 * 1024;

/** One line as it travels: stream (0 stdout, 1 stderr), text, epoch ms. */
export type WireLine = [0 | 1, string, number];

interface JobLogs { bytes: number; dropped: number }

export class NodeLogs {
  readonly #byTask = new Map<number, { lines: WireLine[]; job: JobLogs }>();

  /** The node's local Supervisor's `logs` sink. */
  readonly sink = (line: LogLine): void => {
    printLine(line);
    const entry = line.taskId === null ? undefined : this.#byTask.get(line.taskId);
    if (!entry) return;
    if (entry.job.bytes + line.text.length > LOG_BYTES_PER_JOB) { entry.job.dropped++; return; }
    entry.job.bytes += line.text.length;
    entry.lines.push([line.stream === 'stderr' ? 1 : 0, line.text, line.time]);
  };

  /** A job's shared budget: pass the same object for every task of the job. */
  static job(): JobLogs { return { bytes: 0, dropped: 0 }; }

  watch(taskId: number, job: JobLogs): void {
    this.#byTask.set(taskId, { lines: [], job });
  }

  /** The task ended: its lines (and the job's dropped count so far), no longer collected. */
  take(taskId: number): { lines: WireLine[]; dropped: number } {
    const entry = this.#byTask.get(taskId);
    this.#byTask.delete(taskId);
    return { lines: entry?.lines ?? [], dropped: entry?.job.dropped ?? 0 };
  }
}
