/** Task timeouts and cancellation with an AbortSignal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Pool, TaskTimeoutError, AbortError } from 'forkpool';
import { fixture, runtime } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('a task past its timeout rejects with TaskTimeoutError; its worker is replaced and other workers are unaffected', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, taskTimeout: 300 });
  await pool.ready();
  const exited = once(pool, 'workerExit');
  const hung = pool.apply('spin');
  const fine = pool.apply('sleep', [100], { timeout: 5000 });
  const err = await hung.catch((e) => e);
  assert.ok(err instanceof TaskTimeoutError);
  assert.equal(err.code, 'ERR_FORKPOOL_TASK_TIMEOUT');
  assert.equal(err.timeout, 300);
  assert.equal(await fine, 100);
  const [info] = await exited;
  assert.equal(info.reason, 'timeout');
  assert.equal(await pool.apply('sleep', [1]), 1);
});

test('the timeout clock starts when the task starts running, not when it is queued', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  const first = pool.apply('sleep', [400]);
  const second = pool.apply('sleep', [50], { timeout: 300 }); // waits ~400 ms in the queue, runs 50 ms
  assert.equal(await first, 400);
  assert.equal(await second, 50);
});

test('a queued task that is aborted never runs and rejects with AbortError carrying the reason', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  await pool.ready();
  const busy = pool.apply('sleep', [200]);
  const ctl = new AbortController();
  const queued = pool.apply('sleep', [1], { signal: ctl.signal });
  ctl.abort(new Error('changed my mind'));
  const err = await queued.catch((e) => e);
  assert.ok(err instanceof AbortError);
  assert.equal(err.code, 'ERR_FORKPOOL_ABORTED');
  assert.equal((err.cause as Error).message, 'changed my mind');
  await busy;
  assert.equal(pool.stats().failed.aborted, 1);
  assert.equal(pool.stats().completed, 1, 'only the busy task ran');
});

test('a running task sees its signal abort through currentTask().signal, and its worker survives', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  const pid = await pool.apply('pid');
  const ctl = new AbortController();
  const running = pool.apply('waitForAbort', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort('stop'), 100);
  await assert.rejects(running, (e) => e instanceof AbortError && e.cause === 'stop');
  assert.equal(await pool.apply('pid'), pid, 'same worker, not killed');
});

test('a running task that ignores its abort has its worker killed after the grace period', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1, abortGrace: 200 });
  await pool.ready();
  const exited = once(pool, 'workerExit');
  const ctl = new AbortController();
  const running = pool.apply('spin', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort(), 100);
  await assert.rejects(running, AbortError);
  const [info] = await exited;
  assert.equal(info.reason, 'abort');
  assert.equal(await pool.apply('sleep', [1]), 1);
});
