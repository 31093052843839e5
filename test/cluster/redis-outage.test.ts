/** Redis away for long, or back without its data: tasks reject with typed errors, never wait forever. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { RedisConnectionError, RedisDataLostError } from '../../src/cluster/errors.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

/** unavailableTimeout for this file (the default is 60 s). */
const UNAVAILABLE_MS = 2_000;
process.env.FORKPOOL_REDIS_UNAVAILABLE_TIMEOUT = String(UNAVAILABLE_MS);

describe('Redis outages', { skip: redisSkip }, () => {
  const servers: RedisServer[] = [];
  const nodes: NodeProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-outage-'));

  after(async () => {
    // Redis may be gone: SIGKILL instead of a drain that would wait for it.
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a 30 s task and returns once it runs (wrapped: awaiting a promise of a promise would wait for the task). */
  async function running(pool: Pool<typeof tasks>, name: string): Promise<{ result: Promise<unknown> }> {
    const marker = join(dir, name);
    const result = pool.apply('long', [30_000, marker]);
    result.catch(() => {});
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
    return { result };
  }

  test('Redis stopped longer than unavailableTimeout: the running task and new ones reject with RedisConnectionError; once Redis is back, its job is removed', async (t) => {
    const redis = await startRedis();
    servers.push(redis);
    nodes.push(await startNode(redis.url, 'down'));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'down' } });
    try {
      const { result } = await running(pool, 'down');
      // The running task's job, named while Redis is up.
      const before = new Redis(redis.url, { lazyConnect: true });
      let jobKey: string;
      try {
        const jobKeys = (await before.keys('forkpool:down.*')).filter((k) => /:[0-9a-f]{32}-\d+$/.test(k));
        assert.equal(jobKeys.length, 1, `one job in Redis: ${jobKeys.join(', ')}`);
        jobKey = jobKeys[0]!;
      } finally {
        before.disconnect();
      }
      const jobId = jobKey.slice(jobKey.lastIndexOf(':') + 1);
      const eventsKey = `${jobKey.slice(0, jobKey.lastIndexOf(':'))}:events`;

      const stoppedAt = Date.now();
      await redis.kill();
      await assert.rejects(result, (e: unknown) => e instanceof RedisConnectionError && /unavailable for \d+ s/.test((e as Error).message));
      const ms = Date.now() - stoppedAt;
      t.diagnostic(`rejected ${ms} ms after Redis stopped`);
      // Bounded well below the 60 s default, generously above the 2 s set here: a loaded machine delays timers.
      assert.ok(ms >= UNAVAILABLE_MS - 100 && ms < UNAVAILABLE_MS + 5_000, `rejected ${ms} ms after Redis stopped`);
      await assert.rejects(pool.apply('double', [1]), RedisConnectionError);

      // Back (appendonly yes: the job survived): the job given up on is removed, so it neither runs again nor waits 24 h.
      await redis.restart();
      const client = new Redis(redis.url, { lazyConnect: true });
      try {
        const backAt = Date.now();
        while (await client.exists(jobKey)) {
          assert.ok(Date.now() - backAt < 10_000, `job still in Redis ${Date.now() - backAt} ms after Redis was back`);
          await new Promise((r) => setTimeout(r, 100));
        }
        t.diagnostic(`job removed ${Date.now() - backAt} ms after Redis was back`);
        // Removed, not lost in the restart: BullMQ writes a 'removed' event only when it deleted the job's keys.
        // (The pool may remove it before this client reconnects, so the key's presence after the restart is not checked.)
        const events = await client.xrange(eventsKey, '-', '+');
        const removed = events.filter(([, f]) => f[f.indexOf('event') + 1] === 'removed' && f[f.indexOf('jobId') + 1] === jobId);
        assert.equal(removed.length, 1, `one 'removed' event for job ${jobId}`);
      } finally {
        client.disconnect();
      }
    } finally {
      await pool.terminate();
    }
  });

  test('Redis frozen (SIGSTOP) longer than unavailableTimeout, its connections open: the running task and new ones reject with RedisConnectionError; after SIGCONT the pool works again and the job is removed', async (t) => {
    const redis = await startRedis();
    servers.push(redis);
    nodes.push(await startNode(redis.url, 'frozen'));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'frozen' } });
    const pid = redis.pid()!;
    let frozen = false;
    try {
      // 8 s, not running()'s 30 s: the node runs the task given up on to its end before it takes the next one.
      const marker = join(dir, 'frozen');
      const result = pool.apply('long', [8_000, marker]);
      result.catch(() => {});
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
      const client = new Redis(redis.url, { lazyConnect: true });
      let jobKey: string;
      try {
        const jobKeys = (await client.keys('forkpool:frozen.*')).filter((k) => /:[0-9a-f]{32}-\d+$/.test(k));
        assert.equal(jobKeys.length, 1, `one job in Redis: ${jobKeys.join(', ')}`);
        jobKey = jobKeys[0]!;
      } finally {
        client.disconnect();
      }

      // No 'close' ever comes: the kernel keeps the sockets open for a stopped process.
      const stoppedAt = Date.now();
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      // Bounded: before the fix the task waited for the frozen Redis forever.
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('still pending')), UNAVAILABLE_MS + 8_000).unref());
      await assert.rejects(Promise.race([result, deadline]), (e: unknown) => e instanceof RedisConnectionError && /unavailable for \d+ s/.test((e as Error).message));
      const ms = Date.now() - stoppedAt;
      t.diagnostic(`rejected ${ms} ms after Redis froze`);
      assert.ok(ms >= UNAVAILABLE_MS - 100 && ms < UNAVAILABLE_MS + 5_000, `rejected ${ms} ms after Redis froze`);
      await assert.rejects(pool.apply('double', [1]), RedisConnectionError);

      process.kill(pid, 'SIGCONT');
      frozen = false;
      const backAt = Date.now();
      // Refused until the pool has heard Redis answer again (its PING in flight), then accepted.
      let value: Promise<unknown>;
      for (;;) {
        value = pool.apply('double', [21]);
        const refused = await value.then(() => false, (e: unknown) => {
          assert.ok(e instanceof RedisConnectionError, String(e));
          return true;
        });
        if (!refused) break;
        assert.ok(Date.now() - backAt < 5_000, `new tasks still refused ${Date.now() - backAt} ms after SIGCONT`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await value, 42);
      t.diagnostic(`a new task ran ${Date.now() - backAt} ms after SIGCONT`);
      // The job given up on is removed once it has ended (a running job is locked; the node may run it again, its
      // lock having expired on Redis's clock during the freeze).
      const after = new Redis(redis.url, { lazyConnect: true });
      try {
        while (await after.exists(jobKey)) {
          assert.ok(Date.now() - backAt < 25_000, `job still in Redis ${Date.now() - backAt} ms after SIGCONT`);
          await new Promise((r) => setTimeout(r, 100));
        }
        t.diagnostic(`job removed ${Date.now() - backAt} ms after SIGCONT`);
      } finally {
        after.disconnect();
      }
    } finally {
      // Continued before after() kills it: a process this test stopped is never left stopped.
      if (frozen) process.kill(pid, 'SIGCONT');
      await pool.terminate();
    }
  });

  test('Redis restarted without persistence: a warning at start, then tasks reject with RedisDataLostError within 10 s of Redis being back', async (t) => {
    const redis = await startRedis({ persistence: false });
    servers.push(redis);
    nodes.push(await startNode(redis.url, 'lost'));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => { if ((w as { code?: string }).code === 'FORKPOOL_REDIS_SETTINGS') warnings.push(w); };
    process.on('warning', onWarning);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'lost' } });
    try {
      const { result } = await running(pool, 'lost');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!.message, /nothing persists/);
      await redis.kill();
      await redis.restart();
      const backAt = Date.now();
      await assert.rejects(result, (e: unknown) => e instanceof RedisDataLostError && (e as RedisDataLostError).code === 'ERR_FORKPOOL_REDIS_DATA_LOST');
      const ms = Date.now() - backAt;
      t.diagnostic(`rejected ${ms} ms after Redis was back`);
      assert.ok(ms < 10_000, `rejected ${ms} ms after Redis was back`);
      await assert.rejects(pool.apply('double', [1]), RedisDataLostError);
    } finally {
      process.off('warning', onWarning);
      await pool.terminate();
    }
  });
});
