/**
 * Recovery of jobs whose node died: the sweep (src/cluster/recover.ts) moves
 * them back as soon as their lock or their node's heartbeat is gone, and a
 * job lost too often is resubmitted one item per job so only its culprit fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, type SettledItem } from 'forkpool';
import { Redis } from 'ioredis';
import { WorkerLostError } from '../../src/cluster/errors.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('recovery of lost jobs', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  let dir: string;

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-recovery-'));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a dead node's job moves back once its heartbeat is gone, long before its 30 s lock expires", async (t) => {
    const queue = 'heartbeat';
    const longLock = ['--lock-duration', '30s', '--stalled-interval', '30s'];
    const [a, b] = await Promise.all([startNode(redis.url, queue, [], longLock), startNode(redis.url, queue, [], longLock)]);
    nodes.push(a!, b!);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    const client = new Redis(redis.url);
    try {
      await pool.ready();
      const marker = join(dir, 'hb');
      const result = pool.apply('long', [500, marker]);
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
      const victim = nodes.find((n) => n.pid === Number(readFileSync(marker, 'utf8')))!;
      rmSync(marker);
      victim.child.kill('SIGKILL');
      await victim.exited;
      // What the heartbeat's TTL (15 s) does by itself, done now so the test is short.
      const gone = (await client.keys('forkpool:heartbeat:node:*')).filter((k) => k.includes(`-${victim.pid}-`));
      assert.equal(gone.length, 1, 'the victim had a heartbeat');
      const deletedAt = Date.now();
      await client.del(gone[0]!);
      const { node } = await result;
      const ms = Date.now() - deletedAt;
      t.diagnostic(`restarted and finished ${ms} ms after the heartbeat went`);
      assert.notEqual(node, victim.pid);
      // One sweep period (1 s) plus the 500 ms task and slack; the lock alone would take 30 s.
      assert.ok(ms < 5_000, `took ${ms} ms`);
    } finally {
      client.disconnect();
      await pool.terminate();
    }
  });

  test('after a FLUSHALL, a job a live node took before it beat again is not taken from it: one run, no "lost node", no refused completion', async () => {
    // Its own Redis: the flush must not touch the other tests' queues.
    const own = await startRedis();
    const queue = 'wiped';
    const runs = join(dir, 'wiped-runs.txt');
    const env = { FORKPOOL_TEST_TALLY: runs, FORKPOOL_TEST_TALLY_MS: '3000' };
    const pair = await Promise.all([startNode(own.url, queue, [], undefined, env), startNode(own.url, queue, [], undefined, env)]);
    const client = new Redis(own.url);
    let pool: Pool<typeof tasks> | undefined;
    try {
      // Just after the nodes started: their heartbeats are gone until their next beats, 5 s away.
      await client.flushall();
      // Created after the flush, the pool adopts the new epoch: nothing of it was lost.
      pool = new Pool<typeof tasks>(TASKS, { backend: { redis: own.url, queue } });
      // 3 s of running spans 3 sweeps; the sweep took the job as its node's, and the other node ran it again.
      assert.equal(await pool.apply('tally', ['21']), 42);
      assert.deepEqual(readFileSync(runs, 'utf8').split('\n').filter(Boolean), ['21'], 'the task ran once');
      for (const n of pair) assert.doesNotMatch(n.stderr(), /lost node|late completion|Missing lock/);
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      client.disconnect();
      await pool?.terminate();
      await Promise.all(pair.map((n) => n.stop()));
      await own.stop();
    }
  });

  test("currentTask() on a node: a stable key and an attempt that counts the job's runs on nodes that died", async () => {
    const queue = 'context';
    nodes.push(...await Promise.all([startNode(redis.url, queue), startNode(redis.url, queue)]));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    try {
      const plain = await pool.apply('context', [undefined as unknown as string]);
      assert.match(String(plain.key), /^[0-9a-f]{32}-\d+\/0$/);
      assert.equal(plain.attempt, 1);
      // The first run kills its node; the job runs again on the other one.
      const again = await pool.apply('context', [join(dir, 'context')]) as { key: string; attempt: number; first: { key: string; attempt: number } };
      assert.equal(again.first.attempt, 1);
      assert.equal(again.attempt, 2, 'the second run of the job');
      assert.equal(again.key, again.first.key, 'the key is the same on both nodes');
    } finally {
      await pool.terminate();
    }
  });

  test('a job lost over maxStalledCount is resubmitted one item per job: only the culprit fails with WorkerLostError', async () => {
    const queue = 'poison';
    // The poison kills every node that runs it (4 in all: 2 for its chunk's job, 2 for its own); each is replaced.
    let replacing = true;
    // Replacements still starting: awaited at the end, so none is left running (and holding this process) after the suite's stop.
    const starting = new Set<Promise<void>>();
    const keep = (n: NodeProcess): void => {
      nodes.push(n);
      void n.exited.then(() => {
        if (!replacing) return;
        const s = startNode(redis.url, queue, ['-j', '2']).then(keep, () => undefined);
        starting.add(s);
        void s.finally(() => starting.delete(s));
      });
    };
    (await Promise.all([1, 2, 3].map(() => startNode(redis.url, queue, ['-j', '2'])))).forEach(keep);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    try {
      const items = [1, 2, 'poison', 4, 5, 6] as unknown as number[];
      const got: SettledItem<number>[] = [];
      for await (const s of pool.imapSettled('poisonous', items, { chunksize: items.length })) got.push(s);
      got.sort((x, y) => x.index - y.index);
      assert.deepEqual(got.map((s) => s.ok ? s.value : 'failed'), [2, 4, 'failed', 8, 10, 12]);
      const culprit = got[2]!;
      assert.ok(!culprit.ok && culprit.error instanceof WorkerLostError, `culprit: ${culprit.ok ? 'ok' : culprit.error}`);
      assert.equal((culprit as { error: WorkerLostError }).error.code, 'ERR_FORKPOOL_WORKER_LOST');
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      replacing = false;
      await pool.terminate();
      await Promise.all(starting);
    }
  });
});
