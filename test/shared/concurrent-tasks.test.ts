// Tasks with shared objects in their arguments on a pool that runs several
// tasks per worker (concurrentTasksPerWorker). Such a task may block on
// another task, so nothing is queued behind it; but tasks that start at once
// beside it are fine, and the pool's concurrency holds for them too. Before,
// a worker holding one took nothing more: a consumer and its producer
// submitted to a one-worker pool waited on each other for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { Manager, Queue } from '../../dist/shared/index.js';
import { runtime, TASKS } from './helpers.ts';
import { eventually } from '../helpers.ts';

const pool = (concurrentTasksPerWorker: number) => new Pool(TASKS, { processes: 1, runtime, logs: 'silent', concurrentTasksPerWorker });

test(`[${runtime}] one worker with concurrentTasksPerWorker 3 runs three tasks that meet at a Barrier at once`, { timeout: 30_000 }, async () => {
  await using p = pool(3);
  await using m = new Manager();
  const barrier = m.barrier(3);
  const waits = [0, 1, 2].map(() => p.apply('barrierWait', [barrier, 10_000]) as Promise<number>);
  assert.deepEqual((await Promise.all(waits)).sort(), [0, 1, 2]);
});

test(`[${runtime}] a consumer and then its producer on one worker with concurrentTasksPerWorker 2: both finish`, { timeout: 30_000 }, async () => {
  await using p = pool(2);
  const q = new Queue<number>();
  const consumer = p.apply('consumeAll', [q]) as Promise<number[]>;
  const producer = p.apply('produce', [q, 0, 50]) as Promise<number>;
  assert.equal(await producer, 50);
  await q.close();
  assert.deepEqual(await consumer, Array.from({ length: 50 }, (_, i) => i));
});

test(`[${runtime}] nothing is queued behind tasks with shared objects: with both slots blocked, a third task waits in the pool, then runs`, { timeout: 30_000 }, async () => {
  await using p = pool(2);
  await using m = new Manager();
  const barrier = m.barrier(3);
  const waits = [0, 1].map(() => p.apply('barrierWait', [barrier, 20_000]) as Promise<number>);
  const plain = p.apply('identity', [7]);
  // Both barrier tasks went to the worker (they start at once, side by side); the plain task stays in the pool.
  assert.ok(await eventually(() => p.stats().queued === 1, 5_000), `queued: ${p.stats().queued}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(p.stats().queued, 1, 'the plain task waits in the pool, not inside the worker behind blocked tasks');
  await barrier.wait({ timeout: 10_000 }); // the main process is the third party
  assert.equal((await Promise.all(waits)).length, 2);
  assert.equal(await plain, 7);
});
