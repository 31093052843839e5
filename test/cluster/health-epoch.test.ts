/**
 * The client adopts the queue's epoch in one step: a FLUSHALL right after
 * the epoch was created must not leave the data-loss check switched off
 * (SET NX then GET read the key as missing, and the epoch as '').
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisHealth } from '../../src/cluster/health.ts';
import type { RedisClient } from '../../src/cluster/connect.ts';
import { epochKey } from '../../src/cluster/settings.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';

describe('the queue epoch', { skip: redisSkip }, () => {
  const servers: RedisServer[] = [];
  after(async () => { await Promise.all(servers.map((s) => s.stop())); });

  /** A client whose first GET is preceded by a FLUSHALL from another connection: the window between SET NX and GET. */
  function flushingBeforeFirstGet(client: Redis, other: Redis): { client: RedisClient; flushed: () => boolean } {
    let flushed = false;
    const proxy = new Proxy(client, {
      get(target, prop) {
        if (prop === 'get') {
          return async (...args: [string]) => {
            if (!flushed) { flushed = true; await other.flushall(); }
            return target.get(...args);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return { client: proxy as unknown as RedisClient, flushed: () => flushed };
  }

  test('a FLUSHALL just after the epoch was created is still reported as data lost', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const raw = new Redis(redis.url, { maxRetriesPerRequest: null });
    const other = new Redis(redis.url);
    const hooked = flushingBeforeFirstGet(raw, other);
    let lost: Error | undefined;
    const health = new RedisHealth(hooked.client, redis.url, 'epoch', 60_000, {
      unavailable: () => assert.fail('Redis never went away'),
      dataLost: (err) => { lost = err; },
      back: () => {},
    });
    try {
      await health.start();
      assert.match(String(await other.get(epochKey('epoch')) ?? ''), /^[0-9a-f]{16}$/, 'the epoch is created');
      // The first GET (whether start's or the periodic check's) comes after a FLUSHALL.
      const deadline = Date.now() + 9_000;
      while (!lost && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(hooked.flushed(), 'the flush happened');
      assert.equal((lost as { code?: string } | undefined)?.code, 'ERR_FORKPOOL_REDIS_DATA_LOST', 'the lost epoch is reported');
    } finally {
      health.stop();
      raw.disconnect();
      other.disconnect();
    }
  });

  test('a second client adopts the epoch the first one created', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const a = new Redis(redis.url);
    const b = new Redis(redis.url);
    const hooks = { unavailable: () => {}, dataLost: () => assert.fail('nothing was lost'), back: () => {} };
    const ha = new RedisHealth(a as unknown as RedisClient, redis.url, 'shared', 60_000, hooks);
    const hb = new RedisHealth(b as unknown as RedisClient, redis.url, 'shared', 60_000, hooks);
    try {
      await ha.start();
      const first = await a.get(epochKey('shared'));
      await hb.start();
      assert.equal(await b.get(epochKey('shared')), first);
    } finally {
      ha.stop(); hb.stop();
      a.disconnect(); b.disconnect();
    }
  });
});
