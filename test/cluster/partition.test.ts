/**
 * A node that loses Redis and comes back (issue 11's failure table): a TCP
 * relay (test/helpers/relay.ts) sits between one node and Redis. A cut shorter
 * than the lock re-runs nothing; a longer one re-runs the task on the other
 * node, the late completion is dropped (logged once by the node), and the
 * node serves on. Executions are counted by the task itself in a side file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import { Redis } from 'ioredis';
import { eventually } from '../helpers.ts';
import { startRelay, type Relay } from '../helpers/relay.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { startNode, TASKS, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

/** The test lock (nodes.ts TEST_LOCKS). */
const LOCK_MS = 2_000;

/** `<item> <node pid>` lines the `logged` task wrote, one per execution. */
function runs(file: string): Array<{ item: number; node: number }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
    const [item, node] = l.split(' ').map(Number);
    return { item: item!, node: node! };
  });
}

describe('a node that loses Redis and comes back', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let dir: string;
  const nodes: NodeProcess[] = [];
  const relays: Relay[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-partition-'));
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await Promise.all(relays.map((r) => r.close()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Node A (through a relay) runs a task that ends when the test writes its gate file; node B (direct) is up before the cut. */
  async function setup(queue: string, pad = 0) {
    const relay = await startRelay(redis.url);
    relays.push(relay);
    const a = await startNode(relay.url, queue);
    nodes.push(a);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    const file = join(dir, queue);
    const gate = join(dir, `${queue}.gate`);
    const result = pool.apply('logged', [1, file, gate, pad]);
    result.catch(() => {});
    // Only A exists when the task is taken, so it runs there; it runs until the gate opens, however long B takes to start.
    assert.ok(await eventually(() => runs(file).length === 1, 10_000), 'the task started');
    assert.equal(runs(file)[0]!.node, a.pid);
    const b = await startNode(redis.url, queue);
    nodes.push(b);
    return { relay, a, b, pool, file, open: () => writeFileSync(gate, ''), result };
  }

  test('a cut of ½ × lockDuration (TCP survives): nothing runs again, one result', async () => {
    const { relay, a, pool, file, open, result } = await setup('short');
    try {
      await relay.stall(LOCK_MS / 2);
      open();
      const r = await result;
      assert.deepEqual([r.value, r.node], [2, a.pid]);
      assert.deepEqual(runs(file).map((x) => x.node), [a.pid], 'one execution, on A');
      assert.doesNotMatch(a.stderr(), /late completion/);
      assert.equal(pool.stats().duplicates, 0);
    } finally {
      await pool.terminate();
    }
  });

  test('a cut of 3 × lockDuration (connections reset): the task re-runs on the other node, the late completion is dropped and logged once, the node serves on', async (t) => {
    // A result over 64 KB travels by reference: A's refused copy must not leave its key behind.
    const pad = 100 * 1024;
    const { relay, a, b, pool, file, open, result } = await setup('long', pad);
    const client = new Redis(redis.url);
    try {
      const cutAt = Date.now();
      const cut = relay.sever(3 * LOCK_MS);
      // A's copy ends during the cut: its completion waits for a connection that comes back too late.
      open();
      // B takes the job once A's lock has expired (lock + sweep), while A is still cut off.
      const r = await result;
      t.diagnostic(`result from B ${Date.now() - cutAt} ms after the cut`);
      assert.deepEqual([r.value, r.node, r.pad?.length], [2, b.pid, pad]);
      assert.deepEqual(runs(file).map((x) => x.node), [a.pid, b.pid], 'ran on A, then once more on B');
      await cut;
      // A reconnects and finishes its copy: BullMQ refuses the completion (lock gone).
      const lateLines = () => a.stderr().match(/late completion of job \S+ dropped/g)?.length ?? 0;
      assert.ok(await eventually(() => lateLines() > 0, 10_000), `A logged the late completion: ${a.stderr()}`);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(lateLines(), 1, 'logged once');
      // BullMQ also refuses the retry it attempts after the refused completion: not a second line.
      assert.doesNotMatch(a.stderr(), /worker error: .*(moveToFinished|retryJob)/);
      t.diagnostic(a.stderr().split('\n').find((l) => l.includes('late completion'))!);
      // The node deletes its refused copy's key right after logging; B's was deleted by the client once applied.
      let left: string[] = [];
      for (let i = 0; i < 20; i++) {
        left = await client.keys('forkpool:long.*:result:*');
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(left, [], 'no stored result key left');
      assert.equal(pool.stats().duplicates, 0);
      // A serves on: with B stopped, the next task can only run on A.
      await b.stop();
      const next = await pool.apply('logged', [2, file, undefined as unknown as string]);
      assert.deepEqual([next.value, next.node], [4, a.pid]);
      assert.equal(runs(file).length, 3);
    } finally {
      client.disconnect();
      await pool.terminate();
    }
  });
});
