/**
 * A task never waits inside a busy worker while another worker is idle or
 * starting (head-of-line blocking), and no task runs twice because of how
 * it was dispatched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, makePool, onRedis } from '../helpers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const opts = { runtime, logs: 'silent' } as const;
const tmp = () => mkdtempSync(join(tmpdir(), 'fp-sched-'));

test('a quick task submitted right after one that never settles runs on the other worker', async () => {
  // Its own nodes on the backend: the task that never settles holds its node's slot until the abort that terminate() sends lands.
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 2 }, { ownNodes: true });
  void pool.apply('never', []).catch(() => {});
  assert.equal(await pool.apply('quick', [42]), 42);
  // Several more quick ones, one at a time and in a burst: none is stranded behind the hung task.
  for (let i = 0; i < 5; i++) assert.equal(await pool.apply('quick', [i]), i);
  assert.deepEqual(await Promise.all([1, 2, 3, 4].map((i) => pool.apply('quick', [i]))), [1, 2, 3, 4]);
  await pool.terminate();
});

test('after the pool is warm, a burst behind a hung task is reclaimed by the idle worker', async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 2 }, { ownNodes: true });
  await pool.ready();
  // Warm both workers with fast tasks so dispatch pipelines.
  await pool.map('quick', Array.from({ length: 2000 }, (_, i) => i), { chunksize: 1 });
  const hung = pool.apply('never', []).catch(() => 'terminated');
  const burst = Array.from({ length: 200 }, (_, i) => pool.apply('quick', [i]));
  assert.equal((await Promise.all(burst)).length, 200);
  await pool.terminate();
  assert.equal(await hung, 'terminated');
});

test('Pool(3) with three tasks that each wait until all three have started completes (CPython test_make_pool)', async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 3 });
  // As many peers as slots: 3 local workers, or on the backend its 2 nodes × 1 (no node may hold two of them).
  const n = onRedis ? 2 : 3;
  const ids = Array.from({ length: n }, (_, i) => i);
  const dir = join(tmp(), 'peers');
  assert.deepEqual(await Promise.all(ids.map((id) => pool.apply('waitForPeers', [dir, n, id]))), ids);
  // And again, once the workers are warm and submitted one tick apart.
  const dir2 = join(tmp(), 'peers2');
  const calls = [];
  for (const id of ids) {
    calls.push(pool.apply('waitForPeers', [dir2, n, id]));
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(calls), ids);
  await pool.terminate();
});

test('every task of a large burst of fast tasks runs exactly once', async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 2 });
  const file = join(tmp(), 'runs.txt');
  const n = 3000;
  await Promise.all(Array.from({ length: n }, (_, i) => pool.apply('count', [file, i])));
  const { readFileSync } = await import('node:fs');
  const runs = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(runs.length, n);
  assert.equal(new Set(runs).size, n);
  await pool.terminate();
});
