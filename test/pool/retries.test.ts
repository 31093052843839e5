/** Retries of crashed (or, when asked, failed) tasks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError } from 'forkpool';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('retries re-run a task whose worker crashed, on a fresh worker', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 1 });
  assert.equal(await pool.apply('crashOnFirstAttempt'), 2);
  assert.equal(pool.stats().retried, 1);
});

test('a task that crashes more than `retries` times rejects with the crash error listing every attempt', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2 });
  const err = await pool.apply('alwaysCrash').catch((e) => e);
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.attempts.length, 3);
  assert.deepEqual(err.attempts.map((a: { exitCode: number }) => a.exitCode), [5, 5, 5]);
  assert.match(err.message, /3 attempts/);
});

test('a task that threw is not retried, unless retryOn is "error"', async () => {
  {
    await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2 });
    await assert.rejects(pool.apply('throwOnFirstAttempt'), { message: 'transient' });
  }
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2, retryOn: 'error' });
  assert.equal(await pool.apply('throwOnFirstAttempt'), 2);
});
