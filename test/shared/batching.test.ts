// Hub messages made in one synchronous turn travel as one batch, in order, and
// a batch never widens a failure: a value that cannot be copied fails its own call only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoinableQueue, Manager, Queue } from '../../dist/shared/index.js';
import { encodeShared } from '../../dist/shared/codec.js';
import { hubReceive, hubPeerGone } from '../../dist/shared/link.js';
import { makePool, runtime } from './helpers.ts';

test('requests sent as one batch are applied in order and answered in one message, in order', async () => {
  await using m = new Manager();
  const list = m.list<number>();
  const o = (encodeShared(list).value as { id: number }).id;
  const sent: unknown[] = [];
  const peer = { id: 'w-batch', send: (a: unknown) => { sent.push(a); } };
  hubReceive(peer, { k: 'b', m: [1, 2, 3].map((x, r) => ({ k: 'q', r, o, op: 'append', a: [x] })).concat({ k: 'q', r: 3, o, op: 'toArray', a: [] }) });
  await new Promise(setImmediate);
  assert.deepEqual(sent, [{ k: 'b', m: [
    { k: 'r', r: 0, v: undefined }, { k: 'r', r: 1, v: undefined }, { k: 'r', r: 2, v: undefined }, { k: 'r', r: 3, v: [1, 2, 3] },
  ] }]);
  hubPeerGone(peer, true);
});

test(`[${runtime}] a worker's puts made in one turn arrive in order, and one whose item cannot be copied fails alone`, async () => {
  await using pool = makePool(1);
  const q = new Queue<number>();
  const codes = await pool.apply('putBatchWithBadItem', [q]) as string[];
  assert.deepEqual(codes, ['resolved', 'resolved', 'ERR_FORKPOOL_DATA_CLONE', 'resolved']);
  assert.deepEqual([await q.getNowait(), await q.getNowait(), await q.getNowait()], [1, 2, 4]);
  assert.equal(await q.qsize(), 0);
});

test(`[${runtime}] a worker's puts in one turn on a bounded queue are still decided one by one: those past maxsize fail with QueueFullError`, async () => {
  await using pool = makePool(1);
  const q = new Queue<number>({ maxsize: 2 });
  assert.deepEqual(await pool.apply('putBurstNowait', [q, 4]), ['resolved', 'resolved', 'ERR_FORKPOOL_QUEUE_FULL', 'ERR_FORKPOOL_QUEUE_FULL']);
  assert.deepEqual([await q.getNowait(), await q.getNowait()], [0, 1]);
});

test(`[${runtime}] a worker's puts in one turn on a JoinableQueue each count one unfinished item`, async () => {
  await using pool = makePool(1);
  const q = new JoinableQueue<number>();
  const worker = pool.apply('putAllThenJoin', [q, 50]);
  let sum = 0;
  for (let i = 0; i < 50; i++) { sum += await q.get(); await q.taskDone(); }
  assert.equal(await worker, 'joined');
  assert.equal(sum, (49 * 50) / 2);
});
