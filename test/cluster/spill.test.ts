/**
 * A job's tasks run one after another on its node and its result leaves
 * only when all have ended, so a task that never ends held the tasks packed
 * with it while another node sat idle. Now tasks that waited SPILL_AFTER_MS
 * (1 s) on a node without starting are re-added as jobs of their own
 * (src/cluster/spill.ts), which any node takes; the client follows them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { eventually } from '../helpers.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('tasks packed with a long task', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let dir: string;
  const nodes: NodeProcess[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-spill-'));
    const tally = join(dir, 'tally');
    for (let i = 0; i < 2; i++) nodes.push(await startNode(redis.url, 'spill', [], undefined, { FORKPOOL_TEST_TALLY: tally }));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('do not wait for it: they move to the idle node after about 1 s, each runs once, and nothing is left in Redis', async (t) => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'spill' } });
    const client = new Redis(redis.url);
    try {
      await pool.ready();
      const marker = join(dir, 'long');
      // 201 calls in one tick: more than the 64 jobs allowed in Redis, so they are packed 4 per job,
      // and the 30 s task shares its job with 3 quick ones.
      const long = pool.apply('long', [30_000, marker]);
      long.catch(() => {});
      const started = Date.now();
      // Half count their runs (tally), half report currentTask().key (context), interleaved, so both kinds share the long task's job.
      const quick = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? pool.apply('tally', [String(i)]) : pool.apply('context', [])));
      const values = await Promise.all(quick);
      const ms = Date.now() - started;
      t.diagnostic(`200 quick calls packed with a 30 s one done after ${ms} ms`);
      assert.ok(existsSync(marker), 'the long task runs');
      assert.ok(ms < 15_000, `the quick calls waited ${ms} ms`);
      assert.deepEqual(values.filter((_, i) => i % 2 === 0), Array.from({ length: 100 }, (_, k) => 4 * k));
      const ran = readFileSync(join(dir, 'tally'), 'utf8').trim().split('\n').sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(ran, Array.from({ length: 100 }, (_, k) => String(2 * k)), 'each quick task ran once');
      // currentTask().key of a moved task is still `<job id>/<index>` of the job it was sent in.
      const keys = values.filter((_, i) => i % 2 === 1).map((v) => (v as { key: string }).key);
      assert.equal(new Set(keys).size, 100);
      for (const key of keys) assert.match(key, /^[0-9a-f]{32}-\d+\/\d+$/);
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      await pool.terminate();
      // The moved tasks' jobs left Redis with their outcomes; the long one's job goes with terminate().
      assert.ok(await eventually(async () => (await client.keys('forkpool:spill.*')).filter((k) => /~\d+$/.test(k)).length === 0, 5_000), 'no moved job left in Redis');
      client.disconnect();
    }
  });

  /**
   * Packs `abortable(marker)` right behind a 30 s task in one job (201 calls in one tick: 4 per job), and
   * waits until it runs after its spill (on the other node, whose one slot it then holds).
   */
  async function spilledVictim(pool: Pool<typeof tasks>, name: string, signal?: AbortSignal): Promise<{ victim: Promise<unknown>; marker: string; rest: Promise<unknown> }> {
    pool.apply('long', [30_000, join(dir, `${name}-long`)]).catch(() => {});
    const marker = join(dir, name);
    const victim = pool.apply('abortable', [marker], { signal });
    victim.catch(() => {});
    const rest = Promise.all(Array.from({ length: 199 }, (_, i) => pool.apply('double', [i])));
    rest.catch(() => {});
    assert.ok(await eventually(() => existsSync(`${marker}.started`), 10_000), 'the task packed behind the long one runs after its spill');
    return { victim, marker, rest };
  }

  test('a cancel sent for the job a spilled task left (its client has not heard of the spill yet) is passed on to the node running it', async () => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'spill' } });
    const client = new Redis(redis.url);
    try {
      await pool.ready();
      const { victim, marker, rest } = await spilledVictim(pool, 'forwarded');
      // Other jobs' second tasks may have spilled too (a node whose one slot the victim now holds
      // spills what waits behind it), so the victim's job is the `~1` job that carries its marker.
      const spilled: string[] = [];
      for (const k of (await client.keys('forkpool:spill.*')).filter((k) => /~1$/.test(k))) {
        const data = await client.hget(k, 'data');
        if (!data) continue;
        const task = deserialize(Buffer.from((JSON.parse(data) as { t: string[] }).t[0]!, 'base64')) as { n: string; a?: unknown[] };
        if (task.n === 'abortable' && task.a?.[0] === marker) spilled.push(k);
      }
      assert.equal(spilled.length, 1, `the victim's own job: ${spilled.join(', ')}`);
      // forkpool:<versioned queue>:<parent job id>~1
      const key = spilled[0]!;
      const queueName = key.slice('forkpool:'.length, key.lastIndexOf(':'));
      const parent = key.slice(key.lastIndexOf(':') + 1).replace(/~1$/, '');
      // What a client sends to abort task 1 of the job it sent (cancel.ts): it reaches the node that spilled it.
      await client.publish(`forkpool:${queueName}:cancel`, `${parent} 1 a`);
      assert.ok(await eventually(() => existsSync(`${marker}.aborted`), 10_000), 'the node running the spilled task aborted it');
      await assert.rejects(victim, (e: Error) => e.name === 'AbortError');
      // Its slot is free again: the quick calls queued behind it finish too.
      assert.equal((await rest as number[]).length, 199);
    } finally {
      await pool.terminate();
      client.disconnect();
    }
  });

  test("a caller's abort of a spilled task stops it on the node running it", async () => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'spill' } });
    try {
      await pool.ready();
      const ac = new AbortController();
      const { victim, marker, rest } = await spilledVictim(pool, 'aborted', ac.signal);
      ac.abort();
      await assert.rejects(victim, (e: Error) => e.name === 'AbortError');
      assert.ok(await eventually(() => existsSync(`${marker}.aborted`), 10_000), 'the node running the spilled task aborted it');
      assert.equal((await rest as number[]).length, 199);
    } finally {
      await pool.terminate();
    }
  });

  test('terminate() stops a spilled task on the node running it, whether or not the client has heard of the spill', async () => {
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'spill' } });
    await pool.ready();
    const { victim, marker, rest } = await spilledVictim(pool, 'terminated');
    await pool.terminate();
    await assert.rejects(victim, (e: Error) => e.name === 'PoolTerminatedError');
    await assert.rejects(rest);
    assert.ok(await eventually(() => existsSync(`${marker}.aborted`), 10_000), 'the node running the spilled task aborted it');
  });
});
