/** Task timeouts and cancellation with an AbortSignal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Pool, TaskTimeoutError, AbortError } from 'forkpool';
import { fixture, runtime, makePool, onRedis } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('a task past its timeout rejects with TaskTimeoutError; its worker is replaced and other workers are unaffected', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, taskTimeout: 300 });
  await pool.ready();
  // 'workerExit' is about this process's workers: a node replaces its own, unseen by the client.
  const exited = onRedis ? undefined : once(pool, 'workerExit');
  const hung = pool.apply('spin');
  const fine = pool.apply('sleep', [100], { timeout: 5000 });
  const err = await hung.catch((e) => e);
  assert.ok(err instanceof TaskTimeoutError);
  assert.equal(err.code, 'ERR_FORKPOOL_TASK_TIMEOUT');
  assert.equal(err.timeout, 300);
  assert.equal(await fine, 100);
  if (exited) {
    const [info] = await exited;
    assert.equal(info.reason, 'timeout');
  }
  assert.equal(await pool.apply('sleep', [1]), 1);
});

test('a task whose result arrived in time is not timed out because this process was too busy to read it before its clock ran out', async () => {
  await using pool = await makePool(fixture('basic.ts'), { ...opts, processes: 1 });
  await pool.ready();
  const result = pool.apply('slowDouble', [21, 200], { timeout: 600 });
  await new Promise((resolve) => setTimeout(resolve, 80)); // it has started: its clock runs
  // Busy past the deadline from a check-phase callback: the result (at ~200 ms) waits unread, and the
  // next turn of the event loop runs the due timer before the poll phase that would read it.
  await new Promise((resolve) => setImmediate(resolve));
  const end = performance.now() + 1_200;
  while (performance.now() < end) { /* busy */ }
  assert.equal(await result, 42);
  assert.equal(pool.stats().failed.timeout, 0);
});

test('the timeout clock starts when the task starts running, not when it is queued', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  // Every slot busy (1 worker; on the backend 2 nodes × 1), so the second call waits ~400 ms, then runs 50 ms.
  const first = Array.from({ length: onRedis ? 2 : 1 }, () => pool.apply('sleep', [400]));
  const second = pool.apply('sleep', [50], { timeout: 300 });
  assert.deepEqual(await Promise.all(first), first.map(() => 400));
  assert.equal(await second, 50);
});

test('a queued task that is aborted never runs and rejects with AbortError carrying the reason', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
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
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  // The pids of every worker that may run the task: one locally; on the backend one per node (2).
  const workerPids = async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5 && seen.size < (onRedis ? 2 : 1); i++) {
      for (const p of await pool.map('pid', Array.from({ length: 20 }), { chunksize: 1 })) seen.add(p as number);
    }
    return seen;
  };
  const before = await workerPids();
  const ctl = new AbortController();
  const running = pool.apply('waitForAbort', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort('stop'), 100);
  await assert.rejects(running, (e) => e instanceof AbortError && e.cause === 'stop');
  assert.deepEqual(await workerPids(), before, 'the same workers, none killed');
});

test('a running task that ignores its abort has its worker killed after the grace period', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1, abortGrace: 200 });
  await pool.ready();
  // On the backend the node kills its own worker, unseen here (test/cluster/abort.test.ts times it).
  const exited = onRedis ? undefined : once(pool, 'workerExit');
  const ctl = new AbortController();
  const running = pool.apply('spin', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort(), 100);
  await assert.rejects(running, AbortError);
  if (exited) {
    const [info] = await exited;
    assert.equal(info.reason, 'abort');
  }
  assert.equal(await pool.apply('sleep', [1]), 1);
});
