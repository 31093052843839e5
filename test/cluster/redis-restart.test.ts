/**
 * Redis SIGKILLed mid-run and restarted 2 s later on the same port and dir,
 * with `appendonly yes` (issue 11's failure table): the run completes with
 * every value, nothing lost. Kept apart from redis-outage.test.ts, whose short
 * unavailableTimeout would fail the run during the 2 s outage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, type SettledItem } from 'forkpool';
import { eventually, executions } from '../helpers.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { startNode, TASKS, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

const ITEMS = 3_000;

describe('Redis restarted with appendonly yes', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let dir: string;
  const nodes: NodeProcess[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-restart-'));
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGKILL redis-server mid-run, restart it 2 s later: the run completes, each item settles once with its value, none is lost', async (t) => {
    const tally = join(dir, 'tally');
    const env = { FORKPOOL_TEST_TALLY: tally, FORKPOOL_TEST_TALLY_MS: '2' };
    nodes.push(...await Promise.all([startNode(redis.url, 'aof', [], undefined, env), startNode(redis.url, 'aof', [], undefined, env)]));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'aof' } });
    try {
      await pool.ready();
      const items = Array.from({ length: ITEMS }, (_, i) => String(i));
      const got: Array<SettledItem<number>> = [];
      const run = (async () => { for await (const s of pool.imapSettled('tally', items, { chunksize: 10 })) got.push(s); })();
      const lines = () => existsSync(tally) ? readFileSync(tally, 'utf8').split('\n').length - 1 : 0;
      assert.ok(await eventually(() => lines() >= ITEMS / 3, 30_000), 'a third of the items ran');
      await redis.kill();
      const killedAt = Date.now();
      t.diagnostic(`Redis killed after ${lines()} executions`);
      await new Promise((r) => setTimeout(r, 2_000));
      await redis.restart();
      await run;
      t.diagnostic(`run completed ${Date.now() - killedAt} ms after the kill`);
      assert.equal(got.length, ITEMS, 'each item settled once');
      assert.deepEqual(new Set(got.map((s) => s.index)).size, ITEMS);
      for (const s of got) assert.ok(s.ok && s.value === s.index * 2, `item ${s.index}: ${s.ok ? s.value : s.error}`);
      const counts = executions(tally);
      assert.equal(counts.size, ITEMS, 'every item ran at least once');
      const extra = [...counts.values()].reduce((a, n) => a + n - 1, 0);
      t.diagnostic(`executions beyond one per item: ${extra}`);
    } finally {
      await pool.terminate();
    }
  });
});
