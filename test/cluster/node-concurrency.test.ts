/**
 * `forkpool worker --concurrency N`: each local worker of the node runs up to
 * N tasks at once, and the node takes processes × N jobs at a time (its
 * slots). Before, the flag did not exist, and a pool could not ask for it
 * (concurrentTasksPerWorker beside `backend` said "not supported yet").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { runCli, startNode, TASKS, type NodeProcess } from './nodes.ts';

describe('forkpool worker --concurrency', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let node: NodeProcess | undefined;
  before(async () => { redis = await startRedis(); });
  after(async () => { await node?.stop(); await redis?.stop(); });

  test('a node with -j 1 --concurrency 3 has 3 slots and runs tasks side by side on its one worker, never more than 3', async () => {
    node = await startNode(redis.url, 'conc', ['-j', '1', '--concurrency', '3']);
    assert.match(node.stderr(), / 3 slots on queue conc/);
    await using pool = new Pool(TASKS, { backend: { redis: redis.url, queue: 'conc' } });
    const most = Math.max(...await Promise.all(Array.from({ length: 6 }, () => pool.apply('overlap', [300]))) as number[]);
    assert.ok(most >= 2 && most <= 3, `most at once: ${most}`);
  });

  test('a bad --concurrency is a usage error naming the value; concurrentTasksPerWorker beside backend names the flag', async () => {
    const r = await runCli(['worker', TASKS, '--redis', redis.url, '--queue', 'conc', '--concurrency', '0']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /--concurrency.*"?0"?/);
    assert.throws(() => new Pool(TASKS, { backend: { redis: redis.url, queue: 'conc' }, concurrentTasksPerWorker: 4 }),
      /`concurrentTasksPerWorker` is a local-only option.*--concurrency/);
  });
});
