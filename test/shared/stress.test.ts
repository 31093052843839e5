// Volume: exact totals under a lock, and a long producer/consumer pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager, Queue } from '../../dist/shared/index.js';
import { makeSpreadPool, runtime } from './helpers.ts';

test(`[${runtime}] 2 workers × 10,000 locked read-modify-write increments end at exactly 20,000`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const lock = m.lock();
  const total = m.value(0);
  await Promise.all([
    pool.apply('lockedIncrements', [lock, total, 10_000]),
    pool.apply('lockedIncrements', [lock, total, 10_000]),
  ]);
  assert.equal(await total.get(), 20_000);
  assert.equal(await lock.locked(), false);
});

test(`[${runtime}] a producer/consumer pipeline of 100,000 items through a bounded Queue loses and duplicates nothing`, async () => {
  await using pool = await makeSpreadPool(2);
  const q = new Queue<number>({ maxsize: 1000 });
  const consumer = pool.apply('consumeAll', [q]) as Promise<number[]>;
  await pool.apply('produce', [q, 0, 100_000]);
  await q.close();
  const got = await consumer;
  assert.equal(got.length, 100_000);
  // One producer: items arrive in the order put, so each is exactly its index.
  for (let i = 0; i < got.length; i++) if (got[i] !== i) assert.fail(`item ${i} is ${got[i]}`);
});
