/**
 * Node clamps timer delays above 2^31−1 ms to 1 ms. Long timeouts must be
 * honoured (and Infinity means none), not fire at once and kill a worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, makePool } from '../helpers.ts';
import { longTimeout, MAX_TIMER_DELAY_MS } from '../../src/util/timers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const DAY = 24 * 3600 * 1000;

for (const taskTimeout of [Infinity, 1e12, 2 ** 31, 25 * DAY]) {
  test(`taskTimeout ${taskTimeout} lets a 150 ms task finish and kills no worker`, async () => {
    const pool = await makePool<typeof abuse>(TASKS, { processes: 1, runtime, logs: 'silent', taskTimeout });
    const exits: unknown[] = [];
    pool.on('workerExit', (e) => exits.push(e));
    assert.equal(await pool.apply('sleep', [150]), 150);
    assert.equal(await pool.apply('sleep', [10], { timeout: 25 * DAY }), 10);
    assert.equal(await pool.apply('sleep', [10], { timeout: Infinity }), 10);
    assert.equal(exits.length, 0);
    await pool.terminate();
  });
}

test('AsyncResult.get(2 ** 31) and wait(1e12) wait for the result instead of timing out at once', async () => {
  const pool = await makePool<typeof abuse>(TASKS, { processes: 1, runtime, logs: 'silent' });
  const r = pool.applyAsync('sleep', [150]);
  assert.equal(await r.get(2 ** 31), 150);
  const r2 = pool.applyAsync('sleep', [50]);
  await r2.wait(1e12);
  assert.equal(r2.ready(), true);
  assert.equal(await r.get(Infinity), 150);
  await pool.terminate();
});

test('longTimeout re-arms below the limit and fires only at the deadline; Infinity never fires', async () => {
  let fired = false;
  const t = longTimeout(() => { fired = true; }, MAX_TIMER_DELAY_MS + 1000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, false);
  t.clear();
  const never = longTimeout(() => { fired = true; }, Infinity);
  never.unref();
  let short = false;
  await new Promise<void>((resolve) => longTimeout(() => { short = true; resolve(); }, 20));
  assert.equal(short, true);
  assert.equal(fired, false);
});
