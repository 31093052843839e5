/**
 * Tells the parent why a worker process is about to die of an uncaught
 * exception or an unhandled rejection. Node prints the error to stderr and
 * exits with code 1; the parent would otherwise know only the exit code, and
 * the task that happened to be running (often not the one whose timer or
 * promise threw) would fail with no cause. A worker thread's error reaches
 * the parent through the Worker's `error` event instead.
 *
 * Sent from `uncaughtExceptionMonitor`, which runs before the process dies,
 * and only when no `uncaughtException` listener will keep it alive: the
 * event write is synchronous (process-port.ts), so it is in the pipe before
 * the exit.
 */
import type { WorkerEvent } from '../protocol/messages.js';

/** The description is for a message: long ones are cut. */
const MAX_CHARS = 2000;

export function reportUncaught(send: (event: WorkerEvent) => void): void {
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    if (process.listenerCount('uncaughtException') > 0) return;
    try {
      const what = origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception';
      send({ t: 'uncaught', m: `${what}: ${describe(err)}`.slice(0, MAX_CHARS) });
    } catch {
      // The event channel is gone or the value cannot be described: the exit still reports.
    }
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return `a thrown ${typeof err}: ${String(err)}`;
  } catch {
    return `a thrown ${typeof err}`;
  }
}
