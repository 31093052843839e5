/** Backpressure: a bounded queue and lazy imap input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, QueueFullError } from 'forkpool';
import { eventually, fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('maxQueue bounds the tasks waiting for a worker: QueueFullError, or waiting with waitForSpace', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1, maxQueue: 2 });
  await pool.ready();
  // The first task goes to the idle worker: it is not waiting, so it does not count.
  const running = pool.apply('sleep', [300]);
  assert.ok(await eventually(() => pool.stats().queued === 0, 10_000), 'the first task left the queue');
  const a = pool.apply('sleep', [50]);
  const b = pool.apply('sleep', [50]);
  assert.equal(pool.stats().queued, 2);
  const full = await pool.apply('sleep', [50]).catch((e) => e);
  assert.ok(full instanceof QueueFullError);
  assert.equal(full.code, 'ERR_FORKPOOL_QUEUE_FULL');
  const waited = pool.apply('sleep', [7], { waitForSpace: true });
  assert.deepEqual(await Promise.all([running, a, b, waited]), [300, 50, 50, 7]);
});

test('maxQueue on a pool whose workers are still starting: the tasks they will take once ready do not count, so a burst is accepted as it would be after ready()', { skip: localOnly('local workers that are still starting') }, async () => {
  for (const ready of [false, true]) {
    await using pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 2, maxQueue: 2 });
    if (ready) await pool.ready();
    const outcomes = await Promise.all([0, 1, 2, 3].map(() => pool.apply('sleep', [200]).then(() => 'ok', (e: Error & { code?: string }) => e.code)));
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok'], ready ? 'after ready()' : 'right after construction');
  }
  // The bound still holds beyond what the starting workers will take.
  const fresh = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 2, maxQueue: 2 });
  const burst = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(() => fresh.apply('sleep', [50]).then(() => 'ok', (e: Error & { code?: string }) => e.code)));
  assert.deepEqual(burst.filter((x) => x === 'ok').length, 4);
  assert.deepEqual(burst.slice(4), ['ERR_FORKPOOL_QUEUE_FULL', 'ERR_FORKPOOL_QUEUE_FULL', 'ERR_FORKPOOL_QUEUE_FULL']);
  await fresh.terminate();
});

test('calls waiting for room (waitForSpace) when close() is called were submitted before it: they run, and join() waits for them', async () => {
  const pool = await makePool(fixture('hang-forever.mjs'), { ...opts, processes: 1, maxQueue: 1 });
  // Not ready yet: the first call waits in the queue, so the next two wait for room.
  const calls = [pool.apply('sleep', [300]), pool.apply('sleep', [10], { waitForSpace: true }), pool.apply('sleep', [20], { waitForSpace: true })];
  await new Promise((r) => setTimeout(r, 50));
  pool.close();
  await pool.join();
  // They were refused with PoolClosedError ("submitted after close").
  assert.deepEqual(await Promise.all(calls), [300, 10, 20]);
  await assert.rejects(pool.apply('sleep', [1], { waitForSpace: true }), /pool is closed/);
});

test('imap reads its input lazily: an endless generator is drained only a bounded read-ahead', async () => {
  await using pool = await makePool(fixture('hang-forever.mjs'), opts);
  let pulled = 0;
  let cleanedUp = false;
  function* endless() {
    try { for (let i = 0; ; i++) { pulled++; yield 1; } } finally { cleanedUp = true; }
  }
  let seen = 0;
  for await (const v of pool.imap('sleep', endless(), { readAhead: 20 })) {
    seen += v;
    if (seen === 30) break;
  }
  assert.ok(pulled <= 30 + 20 + 1, `pulled ${pulled} items for 30 consumed`);
  assert.ok(cleanedUp, 'the generator was closed on break');
});
