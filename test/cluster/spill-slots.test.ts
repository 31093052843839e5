/**
 * Spill on nodes with more than one slot (`forkpool worker -j 2`). There the
 * tasks packed into a job with a long one do not wait for a worker: the
 * node's other worker runs them at once, so nothing is left to spill
 * (spill.test.ts covers `-j 1`), and their results waited inside the job
 * until the long task ended. Now a node reports the results of tasks that
 * ended while others of their job run (src/cluster/early-results.ts), from
 * SPILL_AFTER_MS (1 s) after the job started.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

/** Long enough to tell "about SPILL_AFTER_MS" from "after the long task" on a noisy machine; terminate() cuts it short. */
const LONG_MS = 10_000;

describe('tasks packed with a long task on nodes of two slots', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let dir: string;
  const nodes: NodeProcess[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-spill-slots-'));
    const env = { FORKPOOL_TEST_TALLY: join(dir, 'tally') };
    for (let i = 0; i < 2; i++) nodes.push(await startNode(redis.url, 'spill2', ['-j', '2'], undefined, env));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('do not wait for it: their results arrive about 1 s after the job started, long before it ends, each counted once', async (t) => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'spill2' } });
    try {
      await pool.ready();
      // 201 calls in one tick: more than the 64 jobs allowed in Redis, so they are packed 4 per job,
      // and the long task shares its job with 3 quick ones.
      const started = Date.now();
      let longEnded = false;
      const long = pool.apply('long', [LONG_MS, join(dir, 'long')]);
      long.then(() => { longEnded = true; }, () => { longEnded = true; });
      // Half count their runs (tally), half say where they ran (whereAmI), interleaved, so both kinds share the long task's job.
      const quick = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? pool.apply('tally', [String(i)]) : pool.apply('whereAmI', [])));
      const ended = quick.map((p) => p.then(() => Date.now() - started));
      const values = await Promise.all(quick);
      const times = await Promise.all(ended);
      const last = Math.max(...times);
      const where = values.slice(0, 3).map((v, i) => (i % 2 === 1 ? JSON.stringify(v) : String(v)));
      t.diagnostic(`200 quick calls packed with a ${LONG_MS} ms one: the first 3 (its job's) ended at ${times.slice(0, 3).join(', ')} ms (${where.join(' ')}); the last at ${last} ms`);
      assert.equal(longEnded, false, 'the long task still runs when the quick calls have all ended');
      assert.ok(last < LONG_MS / 2, `the quick calls waited ${last} ms for the ${LONG_MS} ms task they were packed with`);
      assert.deepEqual(values.filter((_, i) => i % 2 === 0), Array.from({ length: 100 }, (_, k) => 4 * k));
      const ran = readFileSync(join(dir, 'tally'), 'utf8').trim().split('\n').sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(ran, Array.from({ length: 100 }, (_, k) => String(2 * k)), 'each quick task ran once');
      // Reported early and again with the job's result: applied once.
      assert.equal(pool.stats().completed, 200);
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      await pool.terminate();
    }
  });
});
