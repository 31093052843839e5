/** Large results: by reference above 64 KB (never in the events stream), one item over maxResultBytes fails alone, nothing left after close(). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, type SettledItem } from 'forkpool';
import { Redis } from 'ioredis';
import { ResultTooLargeError } from '../../src/cluster/errors.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

const MB = 1024 * 1024;

describe('large results', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let node: NodeProcess;
  let client: Redis;
  const queue = 'large';

  before(async () => {
    redis = await startRedis();
    node = await startNode(redis.url, queue);
    client = new Redis(redis.url);
  });

  after(async () => {
    client?.disconnect();
    await node?.stop();
    await redis?.stop();
  });

  test('a 1 MB result arrives by reference: the events stream stays small and no key is left after close()', async () => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    const buf = await pool.apply('bytes', [MB]);
    assert.equal(buf.length, MB);
    assert.equal(buf[MB - 1], 7);
    const [events] = (await client.keys('forkpool:large.*:events'));
    const usage = Number(await client.call('MEMORY', 'USAGE', events!));
    assert.ok(usage < 64 * 1024, `the events stream takes ${usage} bytes`);
    pool.close();
    await pool.join();
    assert.deepEqual(await client.keys('forkpool:large.*:result:*'), [], 'no stored result left');
  });

  test('an item whose result passes maxResultBytes (20 MB) fails alone with ResultTooLargeError; the rest of its chunk succeeds', async () => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    try {
      const got: SettledItem<Buffer>[] = [];
      for await (const s of pool.imapSettled('bytes', [10, 20 * MB, 100 * 1024], { chunksize: 3 })) got.push(s);
      got.sort((a, b) => a.index - b.index);
      assert.equal(got[0]!.ok && got[0]!.value.length, 10);
      assert.equal(got[2]!.ok && got[2]!.value.length, 100 * 1024);
      const big = got[1]!;
      assert.ok(!big.ok && big.error instanceof ResultTooLargeError, `got ${big.ok ? 'a value' : big.error}`);
      assert.equal((big as { error: ResultTooLargeError }).error.code, 'ERR_FORKPOOL_RESULT_TOO_LARGE');
      assert.match((big as { error: Error }).error.message, /more than the 16777216 bytes/);
    } finally {
      pool.close();
      await pool.join();
    }
    assert.deepEqual(await client.keys('forkpool:large.*:result:*'), [], 'no stored result left');
  });
});
