/**
 * map with a timeout and no chunksize: chunks stay adaptive (cheap items go
 * many per message), and the timeout still covers each item, as it did when
 * such a map sent one item per task. The worker records when each item of a
 * chunk starts; the pool reads that only when the chunk's clock runs out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskTimeoutError } from 'forkpool';
import type * as clock from '../fixtures/item-clock.mjs';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const LOCAL = localOnly('map\'s item clock is local: a distributed pool keeps one item per task under a timeout (test/pool/timeout-abort.test.ts covers its timeouts)');
const N = 300;

test('starmap with a timeout and no chunksize sends chunks; items that each stay under the timeout pass though their chunk runs longer', { skip: LOCAL }, async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  // Four adjacent items of 300 ms under a 500 ms timeout: a chunk holds more
  // than four items, so one chunk holds at least two of them and runs 600 ms or more.
  const args = Array.from({ length: N }, (_, x) => [x, 100, 4, 300] as [number, number, number, number]);
  const out = await pool.starmap('slowAt', args, { timeout: 500 });
  assert.deepEqual(out.map((r) => r.v), args.map(([x]) => x * 2));
  const chunks = new Set(out.map((r) => r.task));
  assert.ok(chunks.size < N / 4, `${chunks.size} tasks for ${N} items: the map went item by item`);
  // The four slow items did not each run alone.
  assert.ok(new Set(out.slice(100, 104).map((r) => r.task)).size < 4, 'the slow items ran in chunks of their own');
});

test('the same with map over short strings (chunks that take the compact wire form)', { skip: LOCAL }, async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  const texts = Array.from({ length: N }, (_, i) => (i >= 100 && i < 104 ? `item ${i} slow` : `item ${i}`));
  const out = await pool.map('slowText', texts, { timeout: 500 });
  assert.deepEqual(out.map((r) => r.v), texts.map((t) => t.length));
  assert.ok(new Set(out.map((r) => r.task)).size < N / 4);
  assert.ok(new Set(out.slice(100, 104).map((r) => r.task)).size < 4, 'the slow items ran in chunks of their own');
});

test('the pool-wide taskTimeout keeps map\'s chunks too', { skip: LOCAL }, async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), { ...opts, taskTimeout: 30_000 });
  const out = await pool.starmap('slowAt', Array.from({ length: N }, (_, x) => [x, 0, 0, 0] as [number, number, number, number]));
  assert.ok(new Set(out.map((r) => r.task)).size < N / 4);
});

test('an item stuck inside a chunk times out after about the timeout; its worker is replaced and the pool goes on', { skip: LOCAL }, async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  const started = Date.now();
  const err = await pool.starmap('stuckAt', Array.from({ length: N }, (_, x) => [x, 150] as [number, number]), { timeout: 500 }).catch((e) => e);
  const took = Date.now() - started;
  assert.ok(err instanceof TaskTimeoutError, String(err));
  assert.equal(err.timeout, 500);
  // Not a per-chunk clock that kept being re-armed: the stuck item's own 500 ms, plus start-up and slack for a loaded machine.
  assert.ok(took < 10_000, `took ${took} ms`);
  assert.deepEqual(await pool.map('stuckAt', [1, 2, 3]), [2, 4, 6]);
});

test('with an explicit chunksize the timeout still covers the whole chunk, as documented', { skip: LOCAL }, async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  // One chunk of 4 items, 300 ms each, under 500 ms: the chunk's clock runs out.
  const err = await pool.starmap('slowAt', [0, 1, 2, 3].map((x) => [x, 0, 4, 300] as [number, number, number, number]), { timeout: 500, chunksize: 4 }).catch((e) => e);
  assert.ok(err instanceof TaskTimeoutError, String(err));
});
