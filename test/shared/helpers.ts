// Shared set-up of the worker tests: one pool per test on the runtime under test.
import { Pool } from 'forkpool';

export const runtime = (process.env.FORKPOOL_TEST_RUNTIME ?? 'process') as 'process' | 'thread';
export const TASKS = new URL('../fixtures/shared/tasks.mjs', import.meta.url);

/** How a task dies under this runtime, for test names. */
export const death = runtime === 'process' ? 'SIGKILLed' : 'ended by process.exit(1) in its thread';

export function makePool(processes = 2): Pool {
  return new Pool(TASKS, { processes, runtime, logs: 'silent' });
}

/**
 * A pool whose workers each take one task at a time. Tasks that block on each
 * other (a Barrier, a producer and its consumer) must run on different
 * workers, but the pool pipelines a few tasks per worker until it has timed
 * them. Two slow warm-up tasks per worker (all submitted at once, so each
 * worker gets two) teach it these workers are slow: one task in flight each.
 */
export async function makeSpreadPool(processes = 2): Promise<Pool> {
  const pool = makePool(processes);
  await pool.ready();
  await Promise.all(Array.from({ length: processes * 2 }, () => pool.apply('busy', [10])));
  return pool;
}

/** The argument-check tests' tasks (test/fixtures/shared/checks.mjs), on a one-worker pool. */
export const CHECKS = new URL('../fixtures/shared/checks.mjs', import.meta.url);
export function checksPool(): Pool {
  return new Pool(CHECKS, { processes: 1, runtime, logs: 'silent' });
}

/** What a refused argument settles as: a TypeError with the invalid-argument code. */
export const INVALID = 'TypeError ERR_FORKPOOL_INVALID_ARG';

/** How `p` settled: 'ok', or the error's name and code. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try { await p; return 'ok'; } catch (e) { return `${(e as Error).name} ${(e as { code?: string }).code}`; }
}
