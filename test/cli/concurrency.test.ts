// `forkpool run --concurrency N`: each worker runs up to N items at once (the
// pool's concurrentTasksPerWorker), for items that mostly wait. Before, the
// flag did not exist ("Unknown option"), and an I/O-bound run got one item in
// flight per worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs } from '../../dist/cli/args.js';
import { plan, READ_AHEAD_CHUNKS_PER_WORKER } from '../../dist/cli/plan.js';
import { runCli, TASKS } from './helpers.ts';

const items = (n: number, ms: number) => [':::', ...Array.from({ length: n }, () => String(ms))];

test('--concurrency 4 on one worker runs items side by side, never more than 4; without it, one at a time', async () => {
  const r = await runCli(['run', `${TASKS}#overlap`, '-j', '1', '--concurrency', '4', '--chunksize', '1', '-q', ...items(8, 300)]);
  assert.equal(r.code, 0, r.stderr);
  const most = Math.max(...r.stdout.trim().split('\n').map(Number));
  assert.ok(most >= 2 && most <= 4, `most at once: ${most}`);
  const one = await runCli(['run', `${TASKS}#overlap`, '-j', '1', '--chunksize', '1', '-q', ...items(4, 50)]);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(one.stdout.trim().split('\n').map(Number), [1, 1, 1, 1]);
});

test('a bad --concurrency is a usage error naming the value; with --redis it belongs to forkpool worker', async () => {
  for (const bad of ['0', '-2', '1.5', 'many']) {
    const r = await runCli(['run', `${TASKS}#square`, '--concurrency', bad, '-q', ':::', '1']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /--concurrency/);
    assert.ok(r.stderr.includes(bad), `names ${bad}: ${r.stderr}`);
  }
  const redis = await runCli(['run', `${TASKS}#square`, '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--concurrency', '2', ':::', '1']);
  assert.equal(redis.code, 255, redis.stderr);
  assert.match(redis.stderr, /--concurrency sets the local pool; with --redis, give it to forkpool worker on each node/);
});

test('--concurrency: one item per task (such a worker keeps no item log), two waiting for each item that can run at once', () => {
  const configOf = (flags: string[]) => {
    const parsed = parseRunArgs([`${TASKS}#square`, ...flags]);
    assert.ok(!parsed.help);
    return parsed.config;
  };
  for (const total of [100_000, undefined]) {
    assert.deepEqual(plan(configOf(['-j', '2', '--concurrency', '4']), total), { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 8 });
  }
  // An explicit --chunksize is kept, with read-ahead for every slot.
  assert.deepEqual(plan(configOf(['-j', '2', '--concurrency', '3', '--chunksize', '5']), 1000), { chunksize: 5, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 6 * 5 });
  // --concurrency 1 is the default's plan.
  assert.deepEqual(plan(configOf(['-j', '2', '--concurrency', '1']), 100_000), plan(configOf(['-j', '2']), 100_000));
});
