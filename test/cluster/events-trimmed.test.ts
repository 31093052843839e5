/**
 * Trimmed events (issue 11): the events stream cut to 100 entries while the
 * client's event loop is blocked for 6 s and another client keeps the queue
 * busy. Events only wake the reader; results come from the job hashes, and
 * every POLL_MS (5 s) the client reads all its outstanding jobs, so every
 * result arrives within one poll of the client unblocking: POLL_MS, plus the
 * poll's own reading of the jobs (a CI run measured 5,026 ms once, a result
 * whose event was trimmed before the reader caught up). A reader that needed
 * a second poll, or missed a result, fails this.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';
import { POLL_MS } from '../../src/cluster/reader.ts';

const MAX_LEN = 100;
process.env.FORKPOOL_REDIS_EVENTS_MAXLEN = String(MAX_LEN);
const BLOCK_MS = 6_000;
const TASKS_N = 500;
/** What one poll may take to read and apply the outstanding jobs, on a loaded 2-core machine. */
const POLL_READ_SLACK_MS = 1_500;

describe('a trimmed events stream', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];

  before(async () => { redis = await startRedis(); });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  test('events maxLen 100, the client blocked 6 s during 500 tasks: every result arrives within one poll (5 s) of unblocking', async (t) => {
    const queue = 'trim';
    nodes.push(...await Promise.all([startNode(redis.url, queue), startNode(redis.url, queue)]));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    // Another client, one job after another for the whole block: thousands of events, so the stream is trimmed under us.
    const script = `
      import { Pool } from 'forkpool';
      const pool = new Pool(${JSON.stringify(TASKS)}, { backend: { redis: ${JSON.stringify(redis.url)}, queue: 'trim' } });
      await pool.ready();
      console.log('ready');
      const end = Date.now() + ${BLOCK_MS + 1_000};
      let i = 0;
      while (Date.now() < end) await Promise.all(Array.from({ length: 8 }, () => pool.apply('double', [i++])));
      pool.close();
      await pool.join();
    `;
    const busy = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const busyDone = new Promise((r) => busy.once('exit', r));
    const client = new Redis(redis.url);
    try {
      await pool.ready();
      await new Promise<void>((r) => busy.stdout!.once('data', () => r()));
      const arrived: number[] = [];
      const all = Promise.all(Array.from({ length: TASKS_N }, (_, i) => pool.apply('double', [i]).then((v) => { arrived.push(Date.now()); return v; })));
      // Let the first jobs reach Redis, then block the event loop: no event is read, no poll runs.
      await new Promise((r) => setTimeout(r, 50));
      const [key] = await client.keys(`forkpool:${queue}.*:events`);
      const infoBefore = (await client.call('XINFO', 'STREAM', key!)) as unknown[];
      const before = Number(infoBefore[infoBefore.indexOf('entries-added') + 1]);
      const blockEnd = Date.now() + BLOCK_MS;
      while (Date.now() < blockEnd) { /* synchronous busy-wait: the client's event loop is blocked */ }
      const unblocked = Date.now();
      const values = await all;
      const last = Math.max(...arrived) - unblocked;
      t.diagnostic(`last result ${last} ms after the client unblocked`);
      assert.deepEqual(values, Array.from({ length: TASKS_N }, (_, i) => i * 2));
      assert.ok(last <= POLL_MS + POLL_READ_SLACK_MS, `the last result came ${last} ms after unblocking`);
      // The stream was trimmed meanwhile: far more events were added than it holds.
      const info = (await client.call('XINFO', 'STREAM', key!)) as unknown[];
      const added = Number(info[info.indexOf('entries-added') + 1]) - before;
      const length = Number(info[info.indexOf('length') + 1]);
      t.diagnostic(`${added} events added during the test, ${length} kept`);
      assert.ok(length <= 2 * MAX_LEN + 100, `stream length ${length}`);
      assert.ok(added > 3 * length, `events were trimmed: ${added} added, ${length} kept`);
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      client.disconnect();
      await pool.terminate();
      busy.kill('SIGKILL');
      await busyDone;
    }
  });
});
