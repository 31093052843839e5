/**
 * Abort of a task already sent (src/cluster/cancel.ts): a waiting job is
 * removed from Redis, a running one is cancelled on its node over pub/sub,
 * so the node is free again after its abort grace, not after the task's end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { eventually } from '../helpers.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('abort of a task sent to Redis', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let dir: string;
  const nodes: NodeProcess[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-abort-'));
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a running task aborted by its signal is cancelled on its node: the node is free within its abort grace, not after 30 s', async (t) => {
    nodes.push(await startNode(redis.url, 'running'));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'running' } });
    try {
      const ms = await abortRunningThenNext(pool, join(dir, 'running'));
      t.diagnostic(`the node ran the next task ${ms} ms after the abort`);
      assert.ok(ms < 8_000, `next task after ${ms} ms`);
    } finally {
      await pool.terminate();
    }
  });

  test("the pool's abortGrace travels with the job: a running task aborted with abortGrace 4 s keeps its node's slot about 4 s, not the node's 1 s", async (t) => {
    nodes.push(await startNode(redis.url, 'grace'));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'grace' }, abortGrace: 4_000 });
    try {
      const ms = await abortRunningThenNext(pool, join(dir, 'grace'));
      t.diagnostic(`the node ran the next task ${ms} ms after the abort`);
      assert.ok(ms >= 3_500, `the slot was free after ${ms} ms: the node used its own grace, not the pool's 4 s`);
      assert.ok(ms < 12_000, `next task after ${ms} ms`);
    } finally {
      await pool.terminate();
    }
  });

  test("terminate() stops the pool's running task on its node, as a local terminate() kills its workers: the node serves the next pool at once", async (t) => {
    nodes.push(await startNode(redis.url, 'terminate'));
    const first = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'terminate' } });
    const marker = join(dir, 'terminate');
    first.apply('long', [30_000, marker]).catch(() => {});
    assert.ok(await eventually(() => existsSync(marker), 10_000), 'the task runs');
    const stoppedAt = Date.now();
    await first.terminate();
    const next = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'terminate' } });
    try {
      // One slot (-j 1): free only once the 30 s task was stopped.
      assert.equal(await next.apply('double', [3]), 6);
      const ms = Date.now() - stoppedAt;
      t.diagnostic(`the node ran the next pool's task ${ms} ms after terminate()`);
      assert.ok(ms < 8_000, `next task after ${ms} ms`);
    } finally {
      await next.terminate();
    }
  });

  test('a task aborted while its job waits in Redis: the job is removed and never runs', async () => {
    nodes.push(await startNode(redis.url, 'waiting'));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'waiting' } });
    const client = new Redis(redis.url);
    const jobs = async () => (await client.keys('forkpool:waiting.*')).filter((k) => /:[0-9a-f]{32}-\d+$/.test(k)).length;
    const file = join(dir, 'waiting');
    // Every task waits for this file: nothing ends before the test says so, however slow the machine.
    const gate = join(dir, 'waiting.gate');
    const ran = () => existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0])) : [];
    try {
      await pool.ready();
      // One slot: A runs, B and C wait in Redis (a node fetches a job only for a free slot).
      const first = pool.apply('logged', [1, file, gate]);
      await new Promise((r) => setImmediate(r));
      const second = pool.apply('logged', [2, file, gate]);
      // terminate() in finally rejects these if an assertion fails first: that failure must be the one reported.
      first.catch(() => {});
      second.catch(() => {});
      await new Promise((r) => setImmediate(r));
      const ac = new AbortController();
      const third = pool.apply('logged', [3, file, gate], { signal: ac.signal });
      third.catch(() => {});
      assert.ok(await eventually(() => ran().length === 1, 10_000), 'A runs');
      // addBulk answers asynchronously: on a loaded machine C's job may land after A already runs.
      assert.ok(await eventually(async () => await jobs() === 3, 10_000), `jobs in Redis: ${(await client.keys('forkpool:waiting.*')).sort().join(' ')}`);
      ac.abort();
      await assert.rejects(third, AbortError);
      assert.ok(await eventually(async () => await jobs() === 2, 2_000), 'the waiting job left Redis');
      writeFileSync(gate, '');
      await Promise.all([first, second]);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(ran(), [1, 2], 'the aborted task never ran');
    } finally {
      client.disconnect();
      await pool.terminate();
    }
  });
});

/**
 * Starts a 30 s task (`long` ignores its signal, so its worker is killed once
 * the abort grace is over), aborts it once it runs, then runs a quick one: on
 * a one-slot node (-j 1) that starts only when the slot is free. Returns the
 * ms from the abort to the quick task's result.
 */
async function abortRunningThenNext(pool: Pool<typeof tasks>, marker: string): Promise<number> {
  const ac = new AbortController();
  const long = pool.apply('long', [30_000, marker], { signal: ac.signal });
  assert.ok(await eventually(() => existsSync(marker), 10_000), 'the task runs');
  const abortedAt = Date.now();
  ac.abort();
  await assert.rejects(long, AbortError);
  assert.equal(await pool.apply('double', [2]), 4);
  return Date.now() - abortedAt;
}
