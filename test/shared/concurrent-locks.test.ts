// Locks taken by tasks that run side by side in one worker
// (concurrentTasksPerWorker: 2). Each task owns what it acquires: an RLock
// keeps two tasks of one worker apart as it keeps two workers apart, and a
// Condition's wait/notify need the calling task to hold its lock. Before,
// ownership was the worker's: both tasks were inside an RLock at once, and a
// task could notify (or wait on, releasing it) a Condition another task held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { Manager, type Condition, type Lock, type RLock, type SharedList } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';

const FIXTURE = new URL('../fixtures/shared/concurrent-locks.mjs', import.meta.url);

function pool(lock: Lock | RLock, cond: Condition, log: SharedList<string>): Pool {
  return new Pool(FIXTURE, {
    processes: 1, runtime, logs: 'silent', concurrentTasksPerWorker: 2, initializer: 'keep', initargs: [lock, cond, log],
  });
}

for (const kind of ['Lock', 'RLock'] as const) {
  test(`[${runtime}] ${kind === 'Lock' ? 'a Lock' : 'an RLock'} keeps two tasks of one worker apart`, async () => {
    await using m = new Manager();
    const log = m.list<string>();
    await using p = pool(kind === 'Lock' ? m.lock() : m.rlock(), m.condition(), log);
    await Promise.all([p.apply('section', ['A', 300]), p.apply('section', ['B', 300])]);
    const seen = await log.toArray();
    // Whichever entered first left before the other entered.
    assert.deepEqual(seen.map((x) => x.split(' ')[1]), ['in', 'out', 'in', 'out'], seen.join(', '));
    assert.equal(seen[0]!.split(' ')[0], seen[1]!.split(' ')[0]);
  });
}

test(`[${runtime}] an RLock stays reentrant for the task that holds it, and another task of its worker cannot release it`, async () => {
  await using m = new Manager();
  const log = m.list<string>();
  const rlock = m.rlock();
  await using p = pool(rlock, m.condition(), log);
  assert.equal(await p.apply('reenter', []), true);
  assert.equal(await rlock.locked(), false);
  await p.apply('acquireOnly', []);
  assert.equal(await rlock.locked(), true);
  // The task that acquired it has ended; another task of the same worker is not its owner.
  assert.equal(await p.apply('releaseOther', []), 'ERR_FORKPOOL_INVALID_STATE');
  assert.equal(await rlock.locked(), true);
});

test(`[${runtime}] a Condition: a task of the worker that does not hold its lock cannot notify, and wait/notify between two tasks of one worker works`, async () => {
  await using m = new Manager();
  const log = m.list<string>();
  const cond = m.condition();
  await using p = pool(m.lock(), cond, log);
  const waiter = p.apply('waitForSignal', []);
  // signal() waits until the waiter waits, then notifies holding the lock.
  await p.apply('signal', []);
  assert.equal(await waiter, true, 'woken by notify, not by its timeout');
  assert.equal(await p.apply('notifyUnheld', []), 'ERR_FORKPOOL_INVALID_STATE');
  // One task holding it does not let the task beside it notify (before: 'notified').
  const [, beside] = await Promise.all([p.apply('holdCond', [500]), p.apply('notifyBeside', [])]);
  assert.equal(beside, 'ERR_FORKPOOL_INVALID_STATE');
});
