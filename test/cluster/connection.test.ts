import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { RedisConnectionError } from '../../src/cluster/errors.ts';
import { freePort, redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, runCli } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

/** The bound for a RedisConnectionError, plus start-up slack on a busy machine. */
const BOUND_MS = 5_000 + 1_500;

async function expectConnectionError(url: string, reason: RegExp): Promise<void> {
  const start = Date.now();
  const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: url, queue: 'conn' } });
  const ready = pool.ready();
  const task = pool.apply('double', [1]);
  const check = (e: unknown) => {
    assert.ok(e instanceof RedisConnectionError, `got ${String(e)}`);
    assert.equal((e as RedisConnectionError).code, 'ERR_FORKPOOL_REDIS_CONNECTION');
    assert.match((e as Error).message, reason);
    assert.doesNotMatch((e as Error).message, /s3cret/, 'the password is never shown');
    return true;
  };
  await assert.rejects(ready, check);
  await assert.rejects(task, check);
  assert.ok(Date.now() - start < BOUND_MS, `took ${Date.now() - start} ms`);
  pool.close();
  await pool.join();
}

describe('Redis that cannot be used', { skip: redisSkip }, () => {
  let secured: RedisServer;
  before(async () => { secured = await startRedis({ password: 'right' }); });
  after(async () => { await secured?.stop(); });

  test('an unreachable Redis: tasks and ready() reject with RedisConnectionError within 5 s', async () => {
    await expectConnectionError(`redis://:s3cret@127.0.0.1:${await freePort()}`, /refused/);
  });

  test('a wrong password: RedisConnectionError naming the reason, never the password', async () => {
    await expectConnectionError(`redis://:s3cret@127.0.0.1:${secured.port}`, /WRONGPASS|auth/i);
  });

  test('forkpool worker exits 255 with one line when Redis is unreachable', async () => {
    const r = await runCli(['worker', TASKS, '--redis', `redis://127.0.0.1:${await freePort()}`, '--queue', 'conn', '-j', '1']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/127\.0\.0\.1:\d+.*refused/);
    assert.ok(r.ms < BOUND_MS + 2_000);
  });
});
