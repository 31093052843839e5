import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, ResultTimeoutError, CallbackError, InvalidStateError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('get(timeout) rejects with ResultTimeoutError, the task keeps running and a later get() succeeds', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('slowDouble', [21, 400]);
  await assert.rejects(r.get(20), (e) => e instanceof ResultTimeoutError && (e as ResultTimeoutError).code === 'ERR_FORKPOOL_RESULT_TIMEOUT');
  assert.equal(r.ready(), false);
  assert.equal(await r.get(), 42);
});

test('wait(timeout) resolves without rejecting, whether or not the result is ready', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const slow = pool.applyAsync('slowDouble', [1, 300]);
  await slow.wait(10);
  assert.equal(slow.ready(), false);
  const failing = pool.applyAsync('fail', ['x']);
  await failing.wait();
  assert.equal(failing.ready(), true);
  assert.equal(failing.successful(), false);
  await slow.wait();
  assert.equal(slow.ready(), true);
});

test('successful() throws before the result is ready, as in Python', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('slowDouble', [1, 200]);
  assert.throws(() => r.successful(), InvalidStateError);
  await r;
});

test('a failed AsyncResult nobody awaits does not become an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const r = pool.applyAsync('fail', ['ignored']);
    await r.wait();
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a callback that throws rejects its AsyncResult with CallbackError (cause = the callback\'s error) and the pool keeps working', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const boom = new Error('callback bug');
  // Every 10th result's callback throws.
  const results = Array.from({ length: 30 }, (_, i) =>
    pool.applyAsync('double', [i], { callback: (v) => { if (v % 20 === 0) throw boom; } }));
  const settled = await Promise.allSettled(results.map((r) => r.get()));
  const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
  assert.equal(rejected.length, 3); // v = 0, 20 and 40
  for (const r of rejected) {
    assert.ok(r.reason instanceof CallbackError);
    assert.equal(r.reason.cause, boom);
  }
  assert.equal(await pool.apply('double', [50]), 100);
});

test('an errorCallback that throws rejects with CallbackError too', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('fail', ['x'], { errorCallback: () => { throw new Error('handler bug'); } });
  await assert.rejects(r.get(), (e) => e instanceof CallbackError && (e.cause as Error).message === 'handler bug');
});

test('get and wait reject a timeout that is not a number', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('double', [1]);
  assert.throws(() => r.get('soon' as never), { name: 'TypeError', message: /timeoutMs.*"soon"/ });
  assert.throws(() => r.wait(-1), TypeError);
  await r;
});
