/**
 * The slice of forkpool's Pool the runner uses, and where it comes from.
 *
 * The runner loads the Pool through the package's own entry at run time so
 * that the CLI is one more client of the public API, nothing more.
 */
import type { JournalPool } from '../journal/journaled.js';

export interface WorkerExitEvent { workerId: number; pid?: number; reason: string; exitCode?: number | null; signal?: string | null }
export interface RunnerLogLine { workerId: number; stream: 'stdout' | 'stderr'; text: string }

export interface RunnerPool extends JournalPool {
  stats(): {
    running: number;
    workers: ReadonlyArray<{ id: number; pid: number | undefined; tasksDone: number; rss: number | undefined; restarts: number }>;
  };
  on(event: 'workerExit', handler: (e: WorkerExitEvent) => void): unknown;
  close(): void;
  join(): Promise<void>;
  terminate(): Promise<void>;
}

export interface RunnerPoolOptions {
  processes?: number;
  runtime: 'process' | 'thread';
  maxTasksPerChild?: number;
  taskTimeout?: number;
  retries?: number;
  maxMemory?: number | string;
  logs: (line: RunnerLogLine) => void;
}

/**
 * Preloaded in each worker process: Ctrl-C in a terminal signals the whole
 * foreground process group, workers included, and would kill every running
 * item at once. The runner owns Ctrl-C (stop feeding, let running items
 * finish, then terminate), so worker processes ignore the terminal's SIGINT.
 */
const IGNORE_SIGINT = `data:text/javascript,${encodeURIComponent("process.on('SIGINT', () => {});")}`;

export async function createPool(modulePath: string, options: RunnerPoolOptions): Promise<RunnerPool> {
  const { Pool } = (await import(new URL('../index.js', import.meta.url).href)) as {
    Pool: new (module: string, options: Record<string, unknown>) => RunnerPool;
  };
  // Only set options are passed: the pool's defaults stay the pool's business.
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) opts[k] = v;
  if (options.runtime === 'process') opts.execArgv = ['--import', IGNORE_SIGINT];
  return new Pool(modulePath, opts);
}
