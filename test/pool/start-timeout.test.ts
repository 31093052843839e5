/**
 * A worker that never becomes ready is killed after `startTimeout` and counts
 * as a failed start, so calls reject with PoolBrokenError instead of hanging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, PoolBrokenError } from 'forkpool';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const START = localOnly('`initializer` and `startTimeout` are refused beside `backend` (a node that cannot start exits 255: test/cluster)');

const opts = { processes: 1, runtime, logs: 'silent', startTimeout: 300, maxStartFailures: 2 } as const;

test('an initializer that never resolves: ready() and calls reject with PoolBrokenError after startTimeout', { skip: START }, async () => {
  const pool = new Pool(fixture('abuse/init-never.mjs'), { ...opts, initializer: 'init' });
  const [ready, call] = await Promise.allSettled([pool.ready(), pool.apply('ok', [1])]);
  assert.equal(ready.status, 'rejected');
  assert.ok((ready as PromiseRejectedResult).reason instanceof PoolBrokenError);
  assert.equal(call.status, 'rejected');
  const err = (call as PromiseRejectedResult).reason as PoolBrokenError;
  assert.ok(err instanceof PoolBrokenError);
  assert.match(String((err.cause as Error)?.message), /not ready within 300 ms \(startTimeout\)/);
  await pool.terminate();
});

test('an initializer stuck in a synchronous loop is killed after startTimeout', { skip: START }, async () => {
  const pool = new Pool(fixture('abuse/init-spin.mjs'), { ...opts, initializer: 'init' });
  await assert.rejects(pool.apply('ok', [1]), PoolBrokenError);
  await pool.terminate();
});

test('a module that exports `then` loads normally and `then` is an ordinary task name', async () => {
  const pool = await makePool(fixture('abuse/exports-then.mjs'), { processes: 1, runtime, logs: 'silent' });
  assert.equal(await pool.apply('ok', [5]), 5);
  await pool.close();
  await pool.join();
});

test('startTimeout is checked: 0 and a string are refused, Infinity disables it', { skip: START }, () => {
  assert.throws(() => new Pool(fixture('abuse/tasks.mjs'), { startTimeout: 0 }), /startTimeout/);
  assert.throws(() => new Pool(fixture('abuse/tasks.mjs'), { startTimeout: '1s' as unknown as number }), /startTimeout/);
  const pool = new Pool(fixture('abuse/tasks.mjs'), { processes: 1, runtime, startTimeout: Infinity, logs: 'silent' });
  return pool.terminate();
});
