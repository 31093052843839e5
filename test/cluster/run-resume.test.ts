/**
 * `forkpool run --redis` with a journal: job ids named by the journal's run
 * id, and a resume that takes over what the killed run left in Redis
 * (src/cluster/runs.ts). Real redis-server, real nodes, real SIGKILL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { Redis } from 'ioredis';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, runCli, spawnCli, startNode, type NodeProcess } from './nodes.ts';

const ITEMS = 2_000;

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** key → value of an output file (JSON Lines records). */
function outputOf(path: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const l of lines(path)) {
    const r = JSON.parse(l) as { key: string; input: unknown; ok: boolean; value: unknown };
    assert.ok(!out.has(r.key), `key ${r.key} written once`);
    assert.ok(r.ok, `item ${r.key} succeeded`);
    assert.equal(r.value, Number(r.input) * 2);
    out.set(r.key, r.value);
  }
  return out;
}

/** Items of the jobs of `queue` that are running now. */
async function activeItems(client: Redis, queue: string): Promise<number> {
  let n = 0;
  for (const active of await client.keys(`forkpool:${queue}.*:active`)) {
    const base = active.slice(0, -'active'.length);
    for (const id of await client.lrange(active, 0, -1)) {
      const data = await client.hget(`${base}${id}`, 'data');
      if (!data) continue;
      for (const t of (JSON.parse(data) as { t: string[] }).t) n += ((deserialize(Buffer.from(t, 'base64')) as { m?: unknown[] }).m?.length ?? 1);
    }
  }
  return n;
}

describe('forkpool run --redis', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  let dir: string;
  let input: string;
  const tally = () => join(dir, 'tally.txt');

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-run-redis-'));
    input = join(dir, 'in.txt');
    writeFileSync(input, `${Array.from({ length: ITEMS }, (_, i) => i).join('\n')}\n`);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGKILLed at a random point and resumed: the output equals an uninterrupted run, each key recorded once, no extra executions beyond the running jobs', async (t) => {
    const queue = 'resume';
    nodes.push(...await Promise.all([1, 2].map(() => startNode(redis.url, queue, ['-j', '2'], undefined, { FORKPOOL_TEST_TALLY: tally(), FORKPOOL_TEST_TALLY_MS: '2' }))));
    const out = join(dir, 'out.jsonl');
    const args = ['run', `${TASKS}#tally`, '--input', input, '-o', out, '--redis', redis.url, '--queue', queue, '-q'];
    const client = new Redis(redis.url);
    try {
      // Killed once the journal holds a random number of records.
      const target = 200 + Math.floor(Math.random() * (ITEMS - 700));
      const first = spawnCli(args);
      const firstExit = new Promise((r) => first.once('exit', r));
      while (lines(`${out}.journal`).length < target + 1) {
        assert.equal(first.exitCode, null, 'the first run is still running');
        await new Promise((r) => setTimeout(r, 5));
      }
      first.kill('SIGKILL');
      await firstExit;
      const running = await activeItems(client, queue);
      const recorded = lines(`${out}.journal`).length - 1;

      const resumed = await runCli([...args, '--resume'], 60_000);
      assert.equal(resumed.code, 0, resumed.stderr);
      t.diagnostic(`resume took ${resumed.ms} ms`);

      const executions = lines(tally()).length;
      t.diagnostic(`killed with ${recorded} items recorded and ${running} items running; ${executions - ITEMS} extra executions`);
      assert.ok(executions >= ITEMS, 'every item ran');
      assert.ok(executions - ITEMS <= running, `extra executions ${executions - ITEMS} ≤ items running at the kill ${running}`);

      const journalKeys = lines(`${out}.journal`).slice(1).map((l) => (JSON.parse(l) as { k: string }).k);
      assert.equal(new Set(journalKeys).size, journalKeys.length, 'no key recorded twice');
      assert.equal(journalKeys.length, ITEMS);

      const got = outputOf(out);
      const whole = join(dir, 'whole.jsonl');
      const uninterrupted = await runCli(['run', `${TASKS}#tally`, '--input', input, '-o', whole, '--redis', redis.url, '--queue', queue, '-q'], 60_000);
      assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
      t.diagnostic(`uninterrupted run took ${uninterrupted.ms} ms`);
      assert.deepEqual(new Map([...got].sort()), new Map([...outputOf(whole)].sort()), 'same records as an uninterrupted run');

      // A run that ended normally leaves nothing of itself in Redis.
      const left = (await client.keys(`forkpool:${queue}.*`)).filter((k) => /:run:|[0-9a-f]{12}\.\d+-\d+$/.test(k));
      assert.deepEqual(left, []);
    } finally {
      client.disconnect();
    }
  });

  test("a journaled run names its jobs by the journal's run id: each task's key starts with it", async () => {
    const queue = 'names';
    nodes.push(await startNode(redis.url, queue, ['-j', '1']));
    const out = join(dir, 'names.jsonl');
    // `null` items: `context` with no marker only reports its key.
    const three = join(dir, 'three.jsonl');
    writeFileSync(three, 'null\nnull\nnull\n');
    const r = await runCli(['run', `${TASKS}#context`, '--input', three, '-o', out, '--redis', redis.url, '--queue', queue, '-q'], 30_000);
    assert.equal(r.code, 0, r.stderr);
    const run = (JSON.parse(lines(`${out}.journal`)[0]!) as { run: string }).run;
    assert.match(run, /^[0-9a-f]{12}$/);
    const keys = lines(out).map((l) => (JSON.parse(l) as { value: { key: string } }).value.key);
    assert.equal(keys.length, 3);
    // Job ids `<run>.<incarnation>-<seq>`, and the item's index in its job.
    for (const key of keys) assert.match(key, new RegExp(`^${run}\\.\\d+-\\d+/\\d+$`), key);
  });

  test('Redis restarted without its data mid-run: exit 102 with a resume hint, and the resume completes the output', async () => {
    const lossy = await startRedis({ persistence: false });
    const queue = 'lost';
    // Slow items (5 ms each): jobs are always in Redis when it restarts.
    const node = await startNode(lossy.url, queue, ['-j', '2'], undefined, { FORKPOOL_TEST_TALLY_MS: '5' });
    const out = join(dir, 'lost.jsonl');
    const small = join(dir, 'small.txt');
    writeFileSync(small, `${Array.from({ length: 1_000 }, (_, i) => i).join('\n')}\n`);
    const args = ['run', `${TASKS}#tally`, '--input', small, '-o', out, '--redis', lossy.url, '--queue', queue, '-q'];
    try {
      const first = spawnCli(args);
      let stderr = '';
      first.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      const code = new Promise<number | null>((r) => first.once('exit', (c) => r(c)));
      while (lines(`${out}.journal`).length < 200) await new Promise((r) => setTimeout(r, 5));
      await lossy.kill();
      await lossy.restart();
      const exit = await code;
      assert.equal(exit, 102, stderr);
      assert.match(stderr, /lost the pool's data/);
      assert.match(stderr, /--resume/);
      const resumed = await runCli([...args, '--resume'], 30_000);
      assert.equal(resumed.code, 0, `${resumed.stderr}\nnode: ${node.stderr()}`);
      assert.equal(outputOf(out).size, 1_000);
    } finally {
      await node.stop();
      await lossy.stop();
    }
  });
});
