/**
 * Chaos (issue 11): `forkpool run --redis` over 20,000 items on 3 nodes; one
 * node is SIGKILLed mid-run and a new one joins. Every key is recorded once
 * with its right value; every item ran at least once (counted by the task).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, executions } from '../helpers.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, spawnCli, startNode, type NodeProcess } from './nodes.ts';

const ITEMS = 20_000;

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

describe('chaos: a node killed and another added during a run', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  let dir: string;

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'forkpool-chaos-'));
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('3 nodes, 20,000 items, one SIGKILLed mid-run and one added: each key recorded once with the right value', async (t) => {
    const queue = 'chaos';
    const input = join(dir, 'in.txt');
    const out = join(dir, 'out.jsonl');
    const tally = join(dir, 'tally.txt');
    writeFileSync(input, `${Array.from({ length: ITEMS }, (_, i) => i).join('\n')}\n`);
    const env = { FORKPOOL_TEST_TALLY: tally, FORKPOOL_TEST_TALLY_MS: '1' };
    const start = () => startNode(redis.url, queue, [], undefined, env).then((n) => { nodes.push(n); return n; });
    const [victim] = await Promise.all([start(), start(), start()]);
    const startedAt = Date.now();
    const cli = spawnCli(['run', `${TASKS}#tally`, '--input', input, '-o', out, '--redis', redis.url, '--queue', queue, '-q']);
    let stderr = '';
    cli.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    const killer = setTimeout(() => cli.kill('SIGKILL'), 90_000);
    try {
      assert.ok(await eventually(() => lines(`${out}.journal`).length > ITEMS / 4, 60_000), 'a quarter of the run is recorded');
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      t.diagnostic(`node killed after ${lines(`${out}.journal`).length - 1} records, ${Date.now() - startedAt} ms`);
      await start();
      assert.equal(await exited, 0, stderr);
      t.diagnostic(`run done in ${Date.now() - startedAt} ms`);
    } finally {
      clearTimeout(killer);
    }
    const seen = new Set<string>();
    for (const l of lines(out)) {
      const r = JSON.parse(l) as { key: string; input: string; ok: boolean; value: unknown };
      assert.ok(!seen.has(r.key), `key ${r.key} recorded once`);
      seen.add(r.key);
      assert.ok(r.ok, `item ${r.key} succeeded`);
      assert.equal(r.value, Number(r.input) * 2);
    }
    assert.equal(seen.size, ITEMS);
    const counts = executions(tally);
    assert.equal(counts.size, ITEMS, 'every item ran');
    t.diagnostic(`executions beyond one per item: ${[...counts.values()].reduce((a, n) => a + n - 1, 0)}`);
  });
});
