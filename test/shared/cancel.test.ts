// Waits withdrawn by an AbortSignal: the call rejects with the signal's reason and takes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager, Queue, Pipe } from '../../dist/shared/index.js';
import { makePool, runtime } from './helpers.ts';

test('an aborted acquire() rejects with the signal\'s reason and is never granted later', async () => {
  await using m = new Manager();
  const lock = m.lock();
  await lock.acquire();
  const ac = new AbortController();
  const waiting = lock.acquire({ signal: ac.signal });
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  await lock.release();
  assert.equal(await lock.locked(), false, 'the withdrawn waiter did not get the lock');
  await assert.rejects(lock.acquire({ signal: AbortSignal.abort(new Error('already')) }), /already/);
  await assert.rejects(lock.acquire({ signal: 'nope' as unknown as AbortSignal }),
    { name: 'TypeError', message: /`signal` of Lock.acquire\(\) to be an AbortSignal, got "nope"/ });
});

test('an aborted get() takes no item: the next put stays in the queue', async () => {
  const q = new Queue<number>();
  const ac = new AbortController();
  const waiting = q.get({ signal: ac.signal });
  ac.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  await q.put(1);
  assert.equal(await q.qsize(), 1);
});

test('an aborted Condition.wait() takes the lock back before rejecting', async () => {
  await using m = new Manager();
  const c = m.condition();
  await c.acquire();
  const ac = new AbortController();
  const waiting = c.wait({ signal: ac.signal });
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(await c.locked(), true);
  await c.release();
});

test('an aborted Barrier.wait() breaks the barrier for the other parties', async () => {
  await using m = new Manager();
  const b = m.barrier(3);
  const other = b.wait();
  const ac = new AbortController();
  const mine = b.wait({ signal: ac.signal });
  ac.abort();
  await assert.rejects(mine, { name: 'AbortError' });
  await assert.rejects(other, { code: 'ERR_FORKPOOL_BROKEN_BARRIER', message: /AbortSignal fired/ });
});

test(`[${runtime}] a task aborted while waiting in get() with its task signal stops waiting and takes no item`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const q = new Queue<string>();
  const ready = m.event();
  const withdrawn = m.event();
  const ac = new AbortController();
  const task = pool.apply('getWithTaskSignal', [q, ready, withdrawn], { signal: ac.signal });
  const settled = assert.rejects(task, { code: 'ERR_FORKPOOL_ABORTED' });
  await ready.wait();
  ac.abort();
  await settled;
  await withdrawn.wait();
  await q.put('kept');
  assert.equal(await q.qsize(), 1);
  assert.equal(await q.getNowait(), 'kept');
});

test('an aborted recv() on either end of a Pipe rejects with the signal\'s reason and takes nothing', async () => {
  const [a, b] = Pipe<string>();
  for (const [me, other] of [[a, b], [b, a]] as const) {
    const ac = new AbortController();
    const waiting = me.recv({ signal: ac.signal });
    ac.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    await other.send('kept');
    assert.equal(await me.recv({ timeout: 0 }), 'kept');
  }
});
