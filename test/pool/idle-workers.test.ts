// An idle worker still runs what its last task left behind: a timer, a file
// read, a port of its own. A guard for any idle wait that blocks a worker's
// event loop between tasks (piscina's Atomics.wait, tried and measured here
// twice, in rounds five and eight, and not kept: docs/performance.md): one
// that blocked regardless would answer `false` or 0 below. Each test leaves
// the worker 45 ms alone before asking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type * as background from '../fixtures/background.mjs';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const skip = localOnly('watches what runs inside one local worker between two calls');
const IDLE_MS = 45;

test('a timer a task left behind fires while its worker is idle', { skip }, async () => {
  await using pool = await makePool<typeof background>(fixture('background.mjs'), { processes: 1, runtime, logs: 'silent' });
  for (let round = 0; round < 3; round++) {
    await pool.apply('startTimer', [5]);
    await sleep(IDLE_MS);
    assert.equal(await pool.apply('timerFired'), true, `round ${round}: the timer fired before the next call`);
  }
});

test('a file read a task left behind completes while its worker is idle', { skip }, async () => {
  await using pool = await makePool<typeof background>(fixture('background.mjs'), { processes: 1, runtime, logs: 'silent' });
  const path = fileURLToPath(import.meta.url);
  for (let round = 0; round < 3; round++) {
    await pool.apply('startRead', [path]);
    await sleep(IDLE_MS);
    assert.equal(await pool.apply('readDone'), true, `round ${round}: the read ended before the next call`);
  }
});

test("a worker's own MessagePort is heard while the worker is idle", { skip }, async () => {
  await using pool = await makePool<typeof background>(fixture('background.mjs'), { processes: 1, runtime, logs: 'silent' });
  await pool.apply('startOwnChannel', [5]);
  await sleep(IDLE_MS);
  assert.equal(await pool.apply('heardCount'), 1, 'the message arrived before the next call');
});

test('calls after idle gaps of 0 to 120 ms all succeed, in order', { skip }, async () => {
  await using pool = await makePool<typeof background>(fixture('background.mjs'), { processes: 2, runtime, logs: 'silent' });
  for (const gap of [0, 1, 10, 49, 51, 120]) {
    assert.equal(await pool.apply('echo', [gap]), gap);
    await sleep(gap);
    const results = await Promise.all([1, 2, 3].map((i) => pool.apply('echo', [gap * 10 + i])));
    assert.deepEqual(results, [gap * 10 + 1, gap * 10 + 2, gap * 10 + 3]);
  }
});

test('terminate() ends idle workers promptly', { skip }, async () => {
  const pool = await makePool<typeof background>(fixture('background.mjs'), { processes: 2, runtime, logs: 'silent' });
  for (let i = 0; i < 20; i++) await pool.apply('echo', [i]);
  const t0 = performance.now();
  await pool.terminate();
  // Generous for a loaded host; a worker that could not be woken would take the whole SIGKILL grace.
  assert.ok(performance.now() - t0 < 2000, `terminate took ${Math.round(performance.now() - t0)} ms`);
});
