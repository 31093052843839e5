/** stats(): counters, per-worker state and timings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { fixture, runtime, isThread, makePool, onRedis } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('stats() reports counters, per-worker state and timings', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 0 });
  await pool.map('logLines', [['s', 0], ['s', 0]].map(() => 's'), { chunksize: 1 }).catch(() => {});
  await pool.apply('alwaysCrash').catch(() => {});
  await pool.ready();
  const s = pool.stats();
  assert.equal(s.failed.crash, 1);
  assert.equal(typeof s.completed, 'number');
  assert.equal(s.queued, 0);
  assert.equal(s.running, 0);
  assert.equal(s.workers.length, 2);
  for (const w of s.workers) {
    assert.equal(typeof w.id, 'number');
    assert.equal(w.pid === undefined ? 'undefined' : typeof w.pid, 'number');
    assert.equal(typeof w.tasksDone, 'number');
  }
  // On the backend `workers` are the 2 nodes: the crashed local worker was replaced on its node, which keeps that to itself.
  if (!onRedis) assert.ok(s.workers.some((w) => w.restarts === 1 && w.lastExitReason === 'crash'));
  assert.ok(s.runTime.p50 >= 0 && s.runTime.p99 >= s.runTime.p50);
  assert.ok(s.waitTime.p99 >= s.waitTime.p50);
  if (isThread) assert.ok(s.workers.every((w) => w.pid === process.pid));
});
