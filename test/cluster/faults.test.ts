import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

/** Test locks: 2 s lock, 1 s stalled check; the job must be running elsewhere within about 3 s of the kill (4 s margin). */
const RESTART_BOUND_MS = 2_000 + 1_000 + 4_000;

describe('node and client faults', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  let dir: string;

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-cluster-'));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a SIGKILLed node's running task restarts on another node within the lock bound, with one result", async (t) => {
    const queue = 'kill';
    nodes.push(...await Promise.all([startNode(redis.url, queue), startNode(redis.url, queue)]));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    try {
      await pool.ready();
      const marker = join(dir, 'first');
      const result = pool.apply('long', [1_500, marker]);
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
      const victim = Number(readFileSync(marker, 'utf8'));
      const node = nodes.find((n) => n.pid === victim)!;
      assert.ok(node, 'the task ran on one of our nodes');
      rmSync(marker);
      const killedAt = Date.now();
      node.child.kill('SIGKILL');
      await node.exited;
      while (!existsSync(marker)) {
        assert.ok(Date.now() - killedAt < RESTART_BOUND_MS, 'the task restarted elsewhere in time');
        await new Promise((r) => setTimeout(r, 20));
      }
      const restartedAfter = Date.now() - killedAt;
      t.diagnostic(`restarted on another node ${restartedAfter} ms after the SIGKILL`);
      const { node: ranOn } = await result;
      assert.notEqual(ranOn, victim);
      assert.ok(restartedAfter < RESTART_BOUND_MS, `restarted after ${restartedAfter} ms`);
      assert.equal((pool.stats() as { duplicates?: number }).duplicates, 0);
    } finally {
      await pool.terminate();
    }
  });

  test('close() then join() leaves no job in Redis and the client process exits by itself', async () => {
    const queue = 'exit';
    nodes.push(await startNode(redis.url, queue));
    const script = `
      import { Pool } from 'forkpool';
      const pool = new Pool(${JSON.stringify(TASKS)}, { backend: { redis: ${JSON.stringify(redis.url)}, queue: 'exit' } });
      const values = await pool.map('double', Array.from({ length: 500 }, (_, i) => i));
      const one = await pool.apply('double', [4]);
      pool.close();
      await pool.join();
      console.log(JSON.stringify({ sum: values.reduce((a, b) => a + b, 0), one }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    clearTimeout(killer);
    assert.equal(signal, null, 'the client exited by itself (not killed after 20 s)');
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), { sum: 249_500, one: 8 });
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('forkpool:exit.*');
      const jobKeys = keys.filter((k) => /:[0-9a-f]{32}-\d+$/.test(k));
      assert.deepEqual(jobKeys, [], 'no job hash left');
      for (const set of ['wait', 'active', 'completed', 'failed']) {
        const k = keys.find((x) => x.endsWith(`:${set}`));
        if (!k) continue;
        const type = await client.type(k);
        const n = type === 'list' ? await client.llen(k) : type === 'zset' ? await client.zcard(k) : 0;
        assert.equal(n, 0, `${set} is empty`);
      }
    } finally {
      client.disconnect();
    }
  });

  test('an idle open pool (no close()) lets the client process exit by itself, as a local pool does; work after an idle spell is woken by events again', async () => {
    const queue = 'idle';
    nodes.push(await startNode(redis.url, queue));
    const script = `
      import { Pool } from 'forkpool';
      const pool = new Pool(${JSON.stringify(TASKS)}, { backend: { redis: ${JSON.stringify(redis.url)}, queue: 'idle' } });
      const values = await pool.map('double', [1, 2, 3]);
      // Idle longer than the 1 s after which QueueEvents closes; the next task reopens it.
      await new Promise((r) => setTimeout(r, 1_500));
      const t0 = Date.now();
      const one = await pool.apply('double', [5]);
      console.log(JSON.stringify({ values, one, ms: Date.now() - t0 }));
      // No close(), no join(): nothing outstanding, so nothing may keep the process alive.
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let printedAt = 0;
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); printedAt = Date.now(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    const exitedAfter = Date.now() - printedAt;
    clearTimeout(killer);
    assert.equal(signal, null, 'the client exited by itself (not killed after 20 s)');
    assert.equal(code, 0);
    const r = JSON.parse(out) as { values: number[]; one: number; ms: number };
    assert.deepEqual([r.values, r.one], [[2, 4, 6], 10]);
    // Woken by an event, not by the 5 s poll (the margin below it is for a loaded machine).
    assert.ok(r.ms < 4_000, `the task after the idle spell took ${r.ms} ms`);
    // Within the 1 s idle close and a blocking read's end, never the 10 s block time.
    assert.ok(exitedAfter < 5_000, `exited ${exitedAfter} ms after its last task`);
  });

  test('SIGTERM lets a running job finish, then the node exits 0', async () => {
    const queue = 'drain';
    const node = await startNode(redis.url, queue);
    nodes.push(node);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    try {
      const marker = join(dir, 'drain');
      const result = pool.apply('long', [1_000, marker]);
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
      node.child.kill('SIGTERM');
      assert.deepEqual(await result, { node: node.pid });
      assert.equal(await node.exited, 0);
    } finally {
      await pool.terminate();
    }
  });
});
