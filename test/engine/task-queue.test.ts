/** The queue of tasks waiting for a worker, and its lane for retries (src/engine/task-queue.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskQueue } from '../../src/engine/task-queue.ts';
import { Task } from '../../src/engine/task.ts';

function task(name: string, over: Partial<Pick<Task, 'minWorkerId' | 'exclusive'>> = {}): Task {
  const t = new Task({ name, args: [], retries: 0, retryOnError: false, sink: () => {} });
  Object.assign(t, over);
  return t;
}

test('retries wait in their own lane: the queue head is what a live worker can take now', () => {
  const q = new TaskQueue(Infinity);
  const a = task('a');
  const retry = task('retry', { minWorkerId: 3 });
  const b = task('b');
  q.add(a, false);
  q.add(retry, true); // requeued at the front, as exits.ts does
  q.add(b, false);
  assert.equal(q.size, 3);
  assert.equal(q.retrying, true);
  // Worker 2 predates the crash: the retry is not for it, and it does not hold back a and b.
  assert.equal(q.takeRetry((t) => t.minWorkerId < 2), undefined);
  assert.equal(q.peek(), a);
  assert.equal(q.take(), a);
  // Worker 4 came after it.
  assert.equal(q.takeRetry((t) => t.minWorkerId < 4), retry);
  assert.equal(q.retrying, false);
  assert.equal(q.size, 1);
  assert.equal(q.peek(), b);
});

test('takeRetry takes the oldest retry that fits, and drops settled ones', () => {
  const q = new TaskQueue(Infinity);
  const [r1, r2, r3] = [task('r1', { minWorkerId: 1, exclusive: true }), task('r2', { minWorkerId: 1 }), task('r3', { minWorkerId: 1 })];
  for (const r of [r1, r2, r3]) q.add(r, true);
  assert.equal(q.size, 3);
  // A worker that is not empty passes over the one that must run alone.
  assert.equal(q.takeRetry((t) => !t.exclusive), r2);
  r3.settle(new Error('aborted while queued'));
  q.forget();
  assert.equal(q.size, 1);
  assert.equal(q.takeRetry((t) => !t.exclusive), undefined);
  assert.equal(q.takeRetry(() => true), r1);
  assert.equal(q.retrying, false);
  assert.equal(q.size, 0);
});

test('drain returns the live tasks of both lanes, retries first, and empties the queue', () => {
  const q = new TaskQueue(Infinity);
  const [a, b, r] = [task('a'), task('b'), task('r', { minWorkerId: 2 })];
  q.add(a, false);
  q.add(b, false);
  q.add(r, true);
  b.settle(new Error('withdrawn'));
  q.forget();
  assert.deepEqual(q.drain(), [r, a]);
  assert.equal(q.size, 0);
  assert.equal(q.retrying, false);
  assert.equal(q.peek(), undefined);
});
