import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError, UnknownTaskError } from 'forkpool';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('a distributed pool on two nodes', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let nodes: NodeProcess[] = [];
  let pool: Pool<typeof tasks>;
  const queue = 'roundtrip';

  before(async () => {
    redis = await startRedis();
    nodes = await Promise.all([startNode(redis.url, queue), startNode(redis.url, queue)]);
    pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    await pool.ready();
  });

  after(async () => {
    await pool?.terminate();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  test('apply, map and imap return the same values as a local pool', async () => {
    assert.equal(await pool.apply('double', [21]), 42);
    assert.equal(await pool.apply('add', [2, 3]), 5);
    const items = Array.from({ length: 1000 }, (_, i) => i);
    assert.deepEqual(await pool.map('double', items), items.map((x) => x * 2));
    assert.deepEqual(await pool.starmap('add', [[1, 2], [3, 4]]), [3, 7]);
    const seen: number[] = [];
    for await (const v of pool.imap('double', items.slice(0, 200))) seen.push(v);
    assert.deepEqual(seen, items.slice(0, 200).map((x) => x * 2));
    const buf = await pool.apply('bytes', [16]);
    assert.ok(Buffer.isBuffer(buf) || buf instanceof Uint8Array, 'binary values cross as bytes');
    assert.equal(buf.length, 16);
  });

  test('both nodes take work, and capacity is their slots', async () => {
    assert.equal(pool.stats().workers.length, 2);
    const where = await pool.map('whereAmI', Array.from({ length: 64 }, () => undefined as never), { chunksize: 1 });
    const nodePids = new Set(where.map((w) => w.node));
    assert.deepEqual([...nodePids].sort(), nodes.map((n) => n.pid).sort());
  });

  test("a task's error keeps its name, message, code and own properties", async () => {
    const err = await pool.apply('fail', ['boom']).then(() => assert.fail('should reject'), (e: unknown) => e as RangeError & { code: string; detail: unknown });
    assert.ok(err instanceof RangeError);
    assert.equal(err.name, 'RangeError');
    assert.equal(err.message, 'boom');
    assert.equal(err.code, 'E_CUSTOM');
    assert.deepEqual(err.detail, { n: 1 });
  });

  test('a task that crashes its local worker fails alone with WorkerCrashedError, and the node serves on', async () => {
    const crash = pool.apply('crash', []);
    const others = Array.from({ length: 20 }, (_, i) => pool.apply('double', [i]));
    await assert.rejects(crash, (e: unknown) => e instanceof WorkerCrashedError && (e as WorkerCrashedError).code === 'ERR_FORKPOOL_WORKER_CRASHED');
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i * 2));
    assert.equal(await pool.apply('double', [5]), 10);
    assert.ok(nodes.every((n) => n.child.exitCode === null), 'no node died');
  });

  test("an unknown task name rejects with UnknownTaskError listing the nodes' exports", async () => {
    await assert.rejects(pool.apply('nope' as 'double', [1]), (e: unknown) => {
      assert.ok(e instanceof UnknownTaskError);
      assert.ok((e as UnknownTaskError).exports.includes('double'));
      return true;
    });
  });

  test('each task settles once: callbacks run once and no duplicate outcome is counted', async () => {
    let calls = 0;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.applyAsync('double', [i], { callback: () => { calls++; } }).get()));
    assert.equal(calls, 50);
    assert.equal(results[49], 98);
    assert.equal((pool.stats() as { duplicates?: number }).duplicates, 0);
  });
});
