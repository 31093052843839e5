// A worker's Pipe sends are written without waiting for an answer once it knows
// the state of both ends; what it may send is still exactly what the hub allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager, Pipe, Queue } from '../../dist/shared/index.js';
import { makePool, runtime } from './helpers.ts';

test(`[${runtime}] a worker's send of a value that cannot be copied rejects with DataCloneError, and a send after the other end was closed with PipeClosedError`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const go = m.event();
  const [mine, theirs] = Pipe<string>();
  const codes = pool.apply('sendAfterOtherEndClosed', [theirs, go]);
  assert.equal(await mine.recv(), 'first');
  await mine.close();
  await go.set();
  assert.deepEqual(await codes, ['ERR_FORKPOOL_DATA_CLONE', 'ERR_FORKPOOL_PIPE_CLOSED']);
});

test(`[${runtime}] sends made in one turn arrive in order, and one that cannot be copied fails alone`, async () => {
  await using pool = makePool(1);
  const [mine, theirs] = Pipe<number>();
  const codes = pool.apply('sendBurst', [theirs, 100]) as Promise<string[]>;
  const got: number[] = [];
  for (let i = 0; i < 102; i++) got.push(await mine.recv({ timeout: 10_000 }));
  assert.deepEqual(got, [-1, ...Array.from({ length: 100 }, (_, i) => i), 100]);
  const c = await codes;
  assert.equal(c.filter((x) => x === 'resolved').length, 101);
  assert.equal(c[100], 'ERR_FORKPOOL_DATA_CLONE');
  assert.equal(await mine.poll(), false, 'nothing else arrived');
});

test(`[${runtime}] a worker's Queue put of a value that cannot be copied says what it had to cross: ${runtime === 'thread' ? 'threads' : 'processes'}`, async () => {
  await using pool = makePool(1);
  const q = new Queue<unknown>();
  const message = await pool.apply('putFunctionMessage', [q]) as string;
  assert.match(message, new RegExp(`^DataCloneError: Could not send the arguments of put\\(\\) between ${runtime === 'thread' ? 'threads' : 'processes'}: `));
  assert.equal(await q.qsize(), 0);
});
