// Timeouts longer than Node's timers allow (2^31-1 ms, about 24.8 days) are
// honoured, not clamped to 1 ms. The short sleeps below are only long enough
// for a clamped timer to have fired; the tests pass without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Manager, Queue, Pipe } from '../../dist/shared/index.js';
import { makePool, runtime } from './helpers.ts';

const DAYS_25 = 25 * 24 * 3600 * 1000;
const LONG = [2 ** 31, 1e12, DAYS_25, Infinity];

/** Tracks whether `p` has settled, without awaiting it. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  return { p, settled: () => done };
}

test('every blocking call with a timeout past 2^31-1 ms (2**31, 1e12, 25 days, Infinity) keeps waiting until it is satisfied', async () => {
  await using m = new Manager();
  for (const timeout of LONG) {
    const lock = m.lock();
    await lock.acquire();
    const sem = m.semaphore(0);
    const event = m.event();
    const barrier = m.barrier(2);
    const cond = m.condition();
    await cond.acquire();
    const empty = new Queue<string>();
    const full = new Queue<string>({ maxsize: 1 });
    await full.put('first');
    const [a, b] = Pipe<string>();
    const waits = {
      acquire: track(lock.acquire({ timeout })),
      semaphore: track(sem.acquire({ timeout })),
      event: track(event.wait({ timeout })),
      barrier: track(barrier.wait({ timeout })),
      condition: track(cond.wait({ timeout })),
      get: track(empty.get({ timeout })),
      put: track(full.put('second', { timeout })),
      recv: track(a.recv({ timeout })),
      poll: track(b.poll(timeout)),
    };
    await sleep(100);
    for (const [name, w] of Object.entries(waits)) assert.equal(w.settled(), false, `${name}({ timeout: ${timeout} }) is still waiting after 100 ms`);

    await lock.release();
    await sem.release();
    await event.set();
    const arrival = barrier.wait();
    await cond.acquire();
    await cond.notify();
    await cond.release();
    await empty.put('item');
    assert.equal(await full.get(), 'first');
    await b.send('to a');
    await a.send('to b');
    assert.deepEqual(await Promise.all(Object.values(waits).map((w) => w.p)),
      [true, true, true, 0, true, 'item', undefined, 'to a', true]);
    assert.equal(await arrival, 1);
    assert.equal(await full.get(), 'second');
    await cond.release();
    await lock.release();
  }
});

test(`[${runtime}] a worker's acquire({ timeout: 2 ** 31 }), get({ timeout: 1e12 }) and wait({ timeout: 25 days }) stay pending and succeed when satisfied`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const lock = m.lock();
  const q = new Queue<string>();
  const event = m.event();
  const ready = m.event();
  await lock.acquire();
  const result = pool.apply('longWaits', [lock, q, event, ready]);
  await ready.wait();
  await sleep(100);
  await lock.release();
  await q.put('late');
  await event.set();
  assert.deepEqual(await result, [true, 'late', true]);
  assert.equal(await lock.locked(), true, 'the worker got the lock');
});
