import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
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
  let limitedUrl: string;
  before(async () => {
    secured = await startRedis({ password: 'right' });
    // An ACL user that may run every command, but only on keys outside the pool's prefix (forkpool:*).
    const admin = new Redis(secured.url);
    await admin.call('ACL', 'SETUSER', 'limited', 'on', '>s3cret', '~other:*', '&*', '+@all');
    admin.disconnect();
    limitedUrl = `redis://limited:s3cret@127.0.0.1:${secured.port}`;
  });
  after(async () => { await secured?.stop(); });

  test('an unreachable Redis: tasks and ready() reject with RedisConnectionError within 5 s', async () => {
    await expectConnectionError(`redis://:s3cret@127.0.0.1:${await freePort()}`, /refused/);
  });

  test('a server that is not Redis (an HTTP server): RedisConnectionError saying so, not the parser\'s "please report this"', async () => {
    const { createServer } = await import('node:net');
    const http = createServer((socket) => socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const port = (http.address() as { port: number }).port;
      await expectConnectionError(`redis://:s3cret@127.0.0.1:${port}`, /does not speak the Redis protocol \(its answer began with "H"\): is this the port of a Redis server\?$/);
    } finally {
      http.close();
    }
  });

  test('a wrong password: RedisConnectionError naming the reason, never the password', async () => {
    await expectConnectionError(`redis://:s3cret@127.0.0.1:${secured.port}`, /WRONGPASS|auth/i);
  });

  test('an ACL user without permission on the prefix: RedisConnectionError naming NOPERM, never the password', async () => {
    await expectConnectionError(limitedUrl, /permission denied.*NOPERM/);
  });

  // A timeout: before the fix the pool used db 0 and ready() waited for a node forever.
  test('a database the server does not have (/99 of 16): RedisConnectionError naming it, never db 0 in its place', { timeout: 15_000 }, async () => {
    // ioredis only emitted SELECT's refusal as an event and went on in db 0.
    await expectConnectionError(`redis://:right@127.0.0.1:${secured.port}/99`, /no database 99 .*DB index is out of range/);
  });

  test('forkpool run and forkpool worker with a database the server does not have: exit 255, one line naming it', async () => {
    const url = `redis://:right@127.0.0.1:${secured.port}/99`;
    for (const args of [['run', `${TASKS}#double`, '1', '2', '-q'], ['worker', TASKS, '-j', '1']]) {
      const r = await runCli([...args, '--redis', url, '--queue', 'conn']);
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/99: the server has no database 99 /);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  });

  test('forkpool worker exits 255 with one line naming NOPERM when its ACL user lacks the prefix', async () => {
    const r = await runCli(['worker', TASKS, '--redis', limitedUrl, '--queue', 'conn', '-j', '1']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/limited:\*\*\*@127\.0\.0\.1:\d+\/?: permission denied.*NOPERM/);
    assert.doesNotMatch(r.stderr, /s3cret/);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.ok(r.ms < BOUND_MS + 2_000, `took ${r.ms} ms`);
  });

  test('forkpool worker exits 255 with one line when Redis is unreachable', async () => {
    const r = await runCli(['worker', TASKS, '--redis', `redis://127.0.0.1:${await freePort()}`, '--queue', 'conn', '-j', '1']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/127\.0\.0\.1:\d+.*refused/);
    assert.ok(r.ms < BOUND_MS + 2_000);
  });
});
