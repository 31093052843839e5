// Every shared primitive used from workers, where it arrives as a proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager, Queue, JoinableQueue, Pipe } from '../../dist/shared/index.js';
import { makePool, makeSpreadPool, runtime } from './helpers.ts';

test(`[${runtime}] a SharedList passed to a task is the same list, changed in place by the worker`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const list = m.list<string>();
  const r = await pool.apply('listOps', [list]);
  assert.deepEqual(r, { popped: 'Y', seen: ['first', 'w', 'x'], len: 3, idx: 2, slice: ['w', 'x'], removed: true });
  assert.deepEqual(await list.toArray(), ['w', 'x']);
});

test(`[${runtime}] a SharedDict works from a worker; a nested object is updated by setting the copy back`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const d = m.dict<{ n: number }>();
  const r = await pool.apply('dictOps', [d]);
  assert.deepEqual(r, {
    a: { n: 2 }, def: { n: 4 }, keys: ['a', 'b', 'c'], size: 3, has: true, del: true, obj: { a: { n: 2 }, c: { n: 4 } },
  });
  assert.deepEqual(await d.get('a'), { n: 2 });
});

test(`[${runtime}] a SharedValue adds and compares-and-sets from a worker`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const v = m.value(1);
  assert.deepEqual(await pool.apply('valueOps', [v]), { added: 11, cas: true, now: 100 });
  assert.equal(await v.get(), 100);
});

test(`[${runtime}] a shared object inside a cycle, a class instance or a Map key arrives live, and the graph keeps its shape`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const list = m.list<string>();
  class Job { constructor(readonly list: unknown, readonly when: Date) {} }
  const shared = { n: 1 };
  const g: Record<string, unknown> = { list, job: new Job(list, new Date(0)), byList: new Map([[list, 1]]), twice: [shared, shared] };
  g.self = g;
  // Two back-references per level: a walk that unrolls cycles instead of visiting each object once never ends.
  g.a = g;
  g.b = g;
  const r = await pool.apply('graphShape', [g]);
  assert.deepEqual(r, { cycle: true, sameTwice: true, inCycle: true, inInstance: true, asMapKey: true, proto: true, date: true });
  assert.deepEqual(await list.toArray(), ['cycle', 'instance', 'key']);
  assert.equal(g.list, list, "the caller's value is not changed");
});

test(`[${runtime}] shared objects nested in objects and initargs arrive as live proxies, and a result can return one`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const v = m.value(0);
  const back = await pool.apply('identity', [{ deep: [v] }]) as { deep: [typeof v] };
  assert.equal(back.deep[0], v, 'a handle returned by a worker resolves to the main-side object');
  await pool.apply('valueOps', [v]);
  assert.equal(await v.get(), 100);
});

test(`[${runtime}] a Lock held by the main process blocks a worker, which times out`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const lock = m.lock();
  await lock.acquire();
  assert.deepEqual(await pool.apply('tryLock', [lock]), { immediate: false, short: false });
  await lock.release();
  assert.deepEqual(await pool.apply('tryLock', [lock]), { immediate: true, short: false });
  await assert.rejects(lock.acquire({ timeout: 0 }).then((ok) => { if (!ok) throw new Error('held by the worker'); }));
});

test(`[${runtime}] an RLock is reentrant inside a worker`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  assert.deepEqual(await pool.apply('rlockTwice', [m.rlock()]), { a: true, b: true, stillHeld: true, after: false });
});

test(`[${runtime}] a Semaphore(1) lets one worker in at a time`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const sem = m.semaphore(1);
  const inside = m.value(0);
  const maxInside = m.value(0);
  const gate = m.event();
  const runs = [pool.apply('semaphoreSlot', [sem, inside, maxInside, gate]), pool.apply('semaphoreSlot', [sem, inside, maxInside, gate])];
  await gate.set();
  assert.deepEqual(await Promise.all(runs), [1, 1]);
  assert.equal(await maxInside.get(), 1);
  assert.equal(await sem.value(), 1);
});

test(`[${runtime}] an Event set by one worker wakes a waiting worker; wait times out with false`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const e = m.event();
  assert.equal(await pool.apply('eventWait', [e, 10]), false);
  const waiting = pool.apply('eventWait', [e]);
  assert.equal(await pool.apply('eventSet', [e]), true);
  assert.equal(await waiting, true);
});

test(`[${runtime}] a Barrier of 3 releases two workers and the main process together`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const b = m.barrier(3);
  const w = [pool.apply('barrierWait', [b]), pool.apply('barrierWait', [b])];
  const mine = await b.wait();
  assert.deepEqual([mine, ...(await Promise.all(w))].sort(), [0, 1, 2]);
  assert.equal(await pool.apply('barrierCode', [b, 10]), 'ERR_FORKPOOL_BROKEN_BARRIER');
});

test(`[${runtime}] a Condition wakes a worker waiting for an item another worker produced`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const c = m.condition();
  const list = m.list<string>();
  const consumer = pool.apply('conditionConsume', [c, list]);
  await pool.apply('conditionProduce', [c, list, 'job']);
  assert.deepEqual(await consumer, { ok: true, item: 'job' });
});

test(`[${runtime}] a Queue works from a worker`, async () => {
  await using pool = makePool(1);
  const q = new Queue({ maxsize: 5 });
  assert.deepEqual(await pool.apply('queueOps', [q]), {
    got: { big: 'xxxxxxxxxx' }, empty: 'ERR_FORKPOOL_QUEUE_EMPTY', size: 0, isEmpty: true, maxsize: 5,
  });
});

test(`[${runtime}] a JoinableQueue's join() resolves when a worker has marked every item done`, async () => {
  await using pool = makePool(1);
  const q = new JoinableQueue<number>();
  const worker = pool.apply('joinableWork', [q]);
  for (let i = 1; i <= 10; i++) await q.put(i);
  await q.join();
  await q.close();
  assert.equal(await worker, 55);
});

test(`[${runtime}] a Pipe end passed to a worker carries values both ways`, async () => {
  await using pool = makePool(1);
  const [mine, theirs] = Pipe<number>();
  const worker = pool.apply('echo', [theirs, 3]);
  for (const x of [1, 2, 3]) {
    await mine.send(x);
    assert.equal(await mine.recv(), x * 2);
  }
  assert.equal(await worker, 3);
});

test(`[${runtime}] bad use from a worker gets clear errors: non-number timeout, put on closed queue, unheld release, Manager in a worker`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const closed = new Queue();
  await closed.close();
  assert.deepEqual(await pool.apply('badUse', [new Queue(), m.lock(), closed]), {
    timeout: 'ERR_FORKPOOL_INVALID_ARG', negative: 'ERR_FORKPOOL_INVALID_ARG', closedPut: 'ERR_FORKPOOL_QUEUE_CLOSED',
    unheld: 'ERR_FORKPOOL_INVALID_STATE', manager: 'ERR_FORKPOOL_INVALID_STATE',
  });
});

test(`[${runtime}] a proxy used in a worker after shutdown() fails with ManagerShutdownError`, async () => {
  await using pool = makePool(1);
  const m = new Manager();
  const list = m.list();
  await m.shutdown();
  const r = await pool.apply('useAfterShutdown', [list]) as { code: string; message: string };
  assert.equal(r.code, 'ERR_FORKPOOL_MANAGER_SHUTDOWN');
  assert.match(r.message, /Cannot call append\(\): SharedList #\d+ belongs to a Manager that was shut down/);
});

test(`[${runtime}] both ends of one Pipe passed to the same worker stay two distinct ends`, async () => {
  await using pool = makePool(1);
  const [a, b] = Pipe<string>();
  assert.deepEqual(await pool.apply('loopback', [a, b]), { got: 'ping', distinct: true });
});

test(`[${runtime}] a 100,000-item SharedList passed to 10,000 tasks arrives as a live proxy each time, not a copy`, async () => {
  await using pool = makePool(2);
  await using m = new Manager();
  const list = m.list<number>();
  await list.extend(Array.from({ length: 100_000 }, (_, i) => i));
  const live = await pool.starmap('isLiveList', Array.from({ length: 10_000 }, () => [list]), { chunksize: 100 });
  assert.equal(live.length, 10_000);
  assert.ok(live.every((x) => x === true));
});

test(`[${runtime}] new Manager(), new Queue() and Pipe() throw InvalidStateError in a worker that has not received any shared object yet`, async () => {
  // A fresh pool: its first task is this one, so the worker has not loaded the shared-object runtime.
  await using pool = makePool(1);
  assert.deepEqual(await pool.apply('createShared'), {
    Manager: 'ERR_FORKPOOL_INVALID_STATE', Queue: 'ERR_FORKPOOL_INVALID_STATE', Pipe: 'ERR_FORKPOOL_INVALID_STATE',
  });
});
