/**
 * Start failures that once hung or misled: a thread whose execArgv worker_threads
 * refuse (new Worker() throws: no thread, no exit, the pool waited forever, even
 * in terminate()), and a module whose top-level await never settles (reported
 * as a bare "exited with code 0").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolBrokenError, PoolTerminatedError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, localOnly, isThread } from '../helpers.ts';

const opts = { processes: 1, runtime, logs: 'silent' } as const;

test(`[${runtime}] execArgv with --expose-gc: a thread cannot take it, so the pool breaks at the first start, naming the flag; a process takes it`, { skip: localOnly('execArgv is a local option') }, async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, execArgv: ['--expose-gc'] });
  if (!isThread) {
    assert.equal(await pool.apply('double', [2]), 4);
    pool.close();
    return pool.join();
  }
  const exits: unknown[] = [];
  pool.on('workerExit', (e) => exits.push(e));
  const err = await pool.apply('double', [2]).catch((e: unknown) => e);
  assert.ok(err instanceof PoolBrokenError, String(err));
  assert.match(err.message, /no retry would help.*could not be started.*--expose-gc/);
  assert.equal(exits.length, 1, 'one attempt: every retry would meet the same refusal');
  await assert.rejects(pool.ready(), PoolBrokenError);
  // terminate() once waited forever for the exit of a thread that never existed.
  await pool.terminate();
});

test(`[${runtime}] terminate() and join() return for a thread pool whose workers cannot start`, { skip: localOnly('execArgv is a local option') || (!isThread && 'a process takes --expose-gc') }, async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, execArgv: ['--expose-gc'] });
  const pending = pool.apply('double', [2]).catch((e: unknown) => e);
  await pool.terminate();
  assert.ok((await pending) instanceof Error);
  const closed = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, execArgv: ['--expose-gc'] });
  closed.close();
  await closed.join();
});

test(`[${runtime}] a module whose top-level await never settles: the start failure says so, not a bare exit code 0`, { skip: localOnly('a node refuses such a module itself') }, async () => {
  const pool = await makePool(fixture('hang-on-import.mjs'), { ...opts, maxStartFailures: 1, startTimeout: 3000 });
  const err = await pool.apply('never').catch((e: unknown) => e);
  assert.ok(err instanceof PoolBrokenError, String(err));
  // A process exits when its event loop empties; a thread stays until startTimeout.
  assert.match(err.message, isThread ? /not ready within 3000 ms \(startTimeout\)/ : /exited with code 0 before it was ready \(.*top-level await.*can never settle/);
  await pool.terminate();
});

test(`[${runtime}] ready() and a new task after terminate() say what could not be done, not that a task was cut short`, async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  await pool.terminate();
  await assert.rejects(pool.ready(), (e: Error) => e instanceof PoolTerminatedError && /^Cannot wait for (workers|nodes) to be ready: the pool was terminated$/.test(e.message));
  await assert.rejects(pool.apply('double', [1]), (e: Error) => e instanceof PoolTerminatedError && /^Cannot submit a task: the pool was terminated$/.test(e.message));
});
