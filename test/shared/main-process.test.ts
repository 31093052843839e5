// Every shared primitive used directly from the main process (no workers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Manager, Queue, JoinableQueue, Pipe, QueueFullError, QueueEmptyError, QueueClosedError,
  BrokenBarrierError, ManagerShutdownError, EOFError, PipeClosedError, RecvTimeoutError,
} from '../../dist/shared/index.js';

test('a SharedList supports the whole list API and hands out copies', async () => {
  await using m = new Manager();
  const list = m.list<{ n: number }>();
  await list.append({ n: 1 });
  await list.extend([{ n: 2 }, { n: 3 }]);
  await list.insert(0, { n: 0 });
  assert.equal(await list.length(), 4);
  assert.deepEqual(await list.get(-1), { n: 3 });
  const copy = await list.get(0);
  copy.n = 99;
  assert.deepEqual(await list.get(0), { n: 0 }, 'a nested object taken out is a copy');
  await list.set(0, { n: 10 });
  assert.equal(await list.index({ n: 10 }), 0);
  assert.equal(await list.remove({ n: 10 }), true);
  assert.equal(await list.remove({ n: 10 }), false);
  assert.deepEqual(await list.pop(), { n: 3 });
  assert.deepEqual(await list.slice(0, 1), [{ n: 1 }]);
  assert.deepEqual(await list.toArray(), [{ n: 1 }, { n: 2 }]);
  const seen = [];
  for await (const x of list) seen.push(x.n);
  assert.deepEqual(seen, [1, 2]);
  await assert.rejects(list.get(5), (e: Error) => e instanceof RangeError && /Index 5 is out of range/.test(e.message));
});

test('a SharedDict supports the whole dict API', async () => {
  await using m = new Manager();
  const d = m.dict<number>();
  await d.set('a', 1);
  await d.update({ b: 2, c: 3 });
  await d.update(new Map([['d', 4]]));
  assert.equal(await d.setDefault('a', 100), 1);
  assert.equal(await d.setDefault('e', 5), 5);
  assert.equal(await d.get('b'), 2);
  assert.equal(await d.get('zz'), undefined);
  assert.equal(await d.has('c'), true);
  assert.equal(await d.delete('c'), true);
  assert.equal(await d.size(), 4);
  assert.deepEqual((await d.keys()).sort(), ['a', 'b', 'd', 'e']);
  assert.deepEqual((await d.values()).sort(), [1, 2, 4, 5]);
  assert.deepEqual(await d.toObject(), { a: 1, b: 2, d: 4, e: 5 });
  assert.equal((await d.entries()).length, 4);
  await assert.rejects(d.set(42 as unknown as string, 1), /key of SharedDict.set\(\) to be a string, got 42/);
});

test('a SharedValue adds and compares-and-sets atomically', async () => {
  await using m = new Manager();
  const v = m.value(5);
  assert.equal(await v.add(3), 8);
  assert.equal(await v.compareAndSet(7, 0), false);
  assert.equal(await v.compareAndSet(8, 1), true);
  assert.equal(await v.get(), 1);
  await v.set(2);
  assert.equal(await v.get(), 2);
  const big = m.value(1n);
  assert.equal(await big.add(2n), 3n);
});

test('a Lock excludes, times out, and rejects releasing it when unheld', async () => {
  await using m = new Manager();
  const lock = m.lock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ timeout: 0 }), false);
  assert.equal(await lock.acquire({ timeout: 20 }), false);
  const waiting = lock.acquire();
  await lock.release();
  assert.equal(await waiting, true);
  await lock.release();
  assert.equal(await lock.locked(), false);
  await assert.rejects(lock.release(), { code: 'ERR_FORKPOOL_INVALID_STATE', message: /not held/ });
  {
    await using held = await lock.hold();
    assert.equal(held.previousHolderDied, false);
    assert.equal(await lock.locked(), true);
  }
  assert.equal(await lock.locked(), false);
});

test('a non-number timeout is a TypeError naming the value, and a negative one a RangeError', async () => {
  await using m = new Manager();
  const lock = m.lock();
  await assert.rejects(lock.acquire({ timeout: '100' as unknown as number }),
    { name: 'TypeError', code: 'ERR_FORKPOOL_INVALID_ARG', message: /Lock.acquire\(\) to be a number of milliseconds, got "100"/ });
  await assert.rejects(new Queue().get({ timeout: -1 }), { name: 'RangeError', message: /got -1/ });
  await assert.rejects(m.event().wait({ timeout: NaN }), { name: 'TypeError' });
});

test('an RLock is reentrant for its owner and must be released as often', async () => {
  await using m = new Manager();
  const r = m.rlock();
  assert.equal(await r.acquire(), true);
  assert.equal(await r.acquire({ timeout: 0 }), true);
  await r.release();
  assert.equal(await r.locked(), true);
  await r.release();
  assert.equal(await r.locked(), false);
  await assert.rejects(r.release(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
});

test('a Semaphore counts permits', async () => {
  await using m = new Manager();
  const s = m.semaphore(2);
  assert.equal(await s.acquire(), true);
  assert.equal(await s.acquire(), true);
  assert.equal(await s.acquire({ timeout: 0 }), false);
  const waiting = s.acquire();
  await s.release();
  assert.equal(await waiting, true);
  await s.release(2);
  assert.equal(await s.value(), 2);
  { await using _h = await s.hold(); assert.equal(await s.value(), 1); }
  assert.equal(await s.value(), 2);
  assert.throws(() => m.semaphore(-1), RangeError);
});

test('an Event wakes every waiter and times out', async () => {
  await using m = new Manager();
  const e = m.event();
  assert.equal(await e.wait({ timeout: 10 }), false);
  const waiters = [e.wait(), e.wait()];
  assert.equal(await e.isSet(), false);
  await e.set();
  assert.deepEqual(await Promise.all(waiters), [true, true]);
  assert.equal(await e.isSet(), true);
  await e.clear();
  assert.equal(await e.wait({ timeout: 0 }), false);
});

test('a Barrier releases all parties together and breaks on a timeout', async () => {
  await using m = new Manager();
  const b = m.barrier(3);
  assert.equal(b.parties, 3);
  const idx = await Promise.all([b.wait(), b.wait(), b.wait()]);
  assert.deepEqual([...idx].sort(), [0, 1, 2]);
  const first = b.wait();
  await assert.rejects(b.wait({ timeout: 10 }), BrokenBarrierError);
  await assert.rejects(first, (e: Error) => e instanceof BrokenBarrierError && /timeout of 10 ms/.test(e.message));
  assert.equal(await b.broken(), true);
  await assert.rejects(b.wait(), { code: 'ERR_FORKPOOL_BROKEN_BARRIER' });
  await b.reset();
  assert.equal(await b.broken(), false);
  const w = b.wait();
  await b.abort();
  await assert.rejects(w, BrokenBarrierError);
});

test('a Condition waits for notify and re-acquires its lock', async () => {
  await using m = new Manager();
  const c = m.condition();
  const items: number[] = [];
  const consumer = (async () => {
    await c.acquire();
    const ok = await c.waitFor(() => items.length > 0, { timeout: 5000 });
    const got = items.shift();
    await c.release();
    return { ok, got };
  })();
  // The consumer is parked in wait() once the lock is free again.
  await c.acquire();
  items.push(7);
  await c.notify();
  await c.release();
  assert.deepEqual(await consumer, { ok: true, got: 7 });
  await c.acquire();
  assert.equal(await c.wait({ timeout: 10 }), false);
  await c.notifyAll();
  await c.release();
  await assert.rejects(c.notify(), { code: 'ERR_FORKPOOL_INVALID_STATE', message: /acquire\(\) it first/ });
});

test('every proxy fails with ManagerShutdownError after shutdown, and waiters are released', async () => {
  const m = new Manager();
  const list = m.list();
  const e = m.event();
  const waiting = e.wait();
  await m.shutdown();
  await assert.rejects(waiting, ManagerShutdownError);
  await assert.rejects(list.append(1), (err: Error) =>
    err instanceof ManagerShutdownError && /Cannot call append\(\): SharedList #\d+ belongs to a Manager that was shut down/.test(err.message));
  assert.throws(() => m.list(), { code: 'ERR_FORKPOOL_MANAGER_SHUTDOWN' });
  await m.shutdown();
});

test('a Queue blocks, times out with QueueFull/QueueEmpty, and drains after close', async () => {
  const q = new Queue<number>({ maxsize: 2 });
  assert.equal(q.maxsize, 2);
  await q.put(1);
  await q.putNowait(2);
  assert.equal(await q.full(), true);
  await assert.rejects(q.putNowait(3), QueueFullError);
  await assert.rejects(q.put(3, { timeout: 10 }), (e: Error) => e instanceof QueueFullError && /timeout of 10 ms/.test(e.message));
  const blocked = q.put(3);
  assert.equal(await q.get(), 1);
  await blocked;
  assert.equal(await q.qsize(), 2);
  await q.close();
  await assert.rejects(q.put(4), (e: Error) => e instanceof QueueClosedError && /put\(\) on Queue #\d+, which is closed/.test(e.message));
  const rest = [];
  for await (const x of q) rest.push(x);
  assert.deepEqual(rest, [2, 3]);
  await assert.rejects(q.getNowait(), QueueClosedError);
  const q2 = new Queue();
  await assert.rejects(q2.getNowait(), QueueEmptyError);
  await assert.rejects(q2.get({ timeout: 5 }), QueueEmptyError);
  const waiting = q2.get();
  await q2.close();
  await assert.rejects(waiting, { code: 'ERR_FORKPOOL_QUEUE_CLOSED', message: /closed while waiting in get/ });
  assert.throws(() => new Queue({ maxsize: -1 }), { name: 'RangeError', message: /got -1/ });
});

test('a JoinableQueue join() waits for every taskDone()', async () => {
  const q = new JoinableQueue<string>();
  await q.put('a');
  await q.put('b');
  let joined = false;
  const j = q.join().then(() => { joined = true; });
  await q.get(); await q.taskDone();
  assert.equal(joined, false);
  await q.get(); await q.taskDone();
  await j;
  assert.equal(joined, true);
  await assert.rejects(q.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
});

test('a Pipe carries values both ways, polls, and recv after close rejects with EOF', async () => {
  const [a, b] = Pipe<unknown>();
  await a.send({ x: new Map([[1, 2]]) });
  assert.equal(await b.poll(), true);
  assert.deepEqual(await b.recv(), { x: new Map([[1, 2]]) });
  await b.send('back');
  assert.equal(await a.recv(), 'back');
  assert.equal(await a.poll(10), false);
  await assert.rejects(a.recv({ timeout: 5 }), RecvTimeoutError);
  const pending = a.recv();
  await b.send('last');
  assert.equal(await pending, 'last');
  await b.send('buffered');
  await b.close();
  assert.equal(await a.recv(), 'buffered', 'data sent before close is still delivered');
  await assert.rejects(a.recv(), (e: Error) => e instanceof EOFError && /the other end was closed/.test(e.message));
  await assert.rejects(a.send(1), PipeClosedError);
  const [r, w] = Pipe({ duplex: false });
  assert.equal(r.writable, false);
  await assert.rejects(r.send(1), /receive-only end/);
  const waiting = r.recv();
  await w.close();
  await assert.rejects(waiting, EOFError);
});

test('values that cannot be copied fail the call with a DataCloneError', async () => {
  await using m = new Manager();
  await assert.rejects(m.list().append(() => 1), { code: 'ERR_FORKPOOL_DATA_CLONE' });
  // The initial value too: forkpool's error with its code, not structuredClone's DOMException.
  assert.throws(() => m.value(() => 1), (e: Error & { code?: string }) => e.code === 'ERR_FORKPOOL_DATA_CLONE' && /initial value of manager\.value\(\)/.test(e.message));
});

test('a misspelled option is a TypeError naming it, never a silent default (an unbounded queue, a wait with no timeout)', async () => {
  await using m = new Manager();
  const invalid = (name: string) => (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_FORKPOOL_INVALID_ARG' && e.message.includes(`\`${name}\``);
  assert.throws(() => new Queue({ maxSize: 1 } as never), invalid('maxSize'));
  assert.throws(() => new JoinableQueue(5 as never), /options of new JoinableQueue\(\) to be an object/);
  assert.throws(() => Pipe({ duplx: false } as never), invalid('duplx'));
  const q = new Queue();
  await assert.rejects(q.get({ timeot: 100 } as never), invalid('timeot'));
  await assert.rejects(q.put(1, { timout: 5 } as never), invalid('timout'));
  await assert.rejects(m.lock().acquire({ blocking: false } as never), invalid('blocking'));
  // Python's JoinableQueue.join() has no timeout: one given is refused, not ignored (it waited forever).
  const jq = new JoinableQueue();
  await jq.put(1);
  await assert.rejects(jq.join({ timeout: 100 } as never), /takes no `timeout`.*AbortSignal\.timeout/);
  // (A ref'd timer: AbortSignal.timeout's would let the test's event loop end first.)
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('gave up')), 50);
  await assert.rejects(jq.join({ signal: ac.signal }), /gave up/);
});

test('SharedList.extend() refuses what is not iterable, as Python does (Array.from made it a silent no-op)', async () => {
  await using m = new Manager();
  const list = m.list();
  for (const bad of [5, true, { a: 1 }, null, undefined]) {
    await assert.rejects(list.extend(bad as never), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_FORKPOOL_INVALID_ARG', String(bad));
  }
  await list.extend('ab');
  await list.extend(new Set([3]));
  assert.deepEqual(await list.toArray(), ['a', 'b', 3]);
});

test('manager.list(items) and manager.dict(source) start with copies of what they are given, as Python\'s do', async () => {
  await using m = new Manager();
  const nested = { n: 1 };
  const list = m.list([nested, 'b', 3]);
  nested.n = 2;
  assert.deepEqual(await list.toArray(), [{ n: 1 }, 'b', 3], 'a copy, taken when the list was made');
  assert.deepEqual(await m.list(new Set(['x'])).toArray(), ['x']);
  assert.deepEqual(await m.dict({ a: 1, b: [2] }).toObject(), { a: 1, b: [2] });
  assert.deepEqual(await m.dict(new Map([['k', 'v']])).entries(), [['k', 'v']]);
  assert.deepEqual(await m.dict([['p', 1], ['q', 2]]).keys(), ['p', 'q']);
  // A Queue inside arrives as the same live Queue, as it does through append().
  const q = new Queue();
  const [got] = await m.list([q]).toArray();
  assert.equal(got, q);
  const invalid = (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_FORKPOOL_INVALID_ARG';
  assert.throws(() => m.list(5 as never), invalid);
  assert.throws(() => m.dict('ab' as never), invalid);
  assert.throws(() => m.dict([['ok', 1], [2, 'not a string key']] as never), invalid);
  assert.throws(() => m.dict([['a', 1, 'extra']] as never), invalid);
  assert.throws(() => m.list([() => 1]), { code: 'ERR_FORKPOOL_DATA_CLONE' });
});
