// An idle worker still runs what its last task left behind. Under the thread
// runtime an idle thread parks in Atomics.wait between tasks (see
// src/worker/thread-port.ts); it must not park while a timer, a file read or
// a port of its own is pending, or these would wait for the next task.
// Each test gives the worker 45 ms alone, less than the longest park (50 ms),
// so a thread that parked regardless would answer `false` or 0.
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

test('calls after idle gaps shorter and longer than a park all succeed, in order', { skip }, async () => {
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
  // Generous for a loaded host; a thread that could not be woken would take the whole SIGKILL grace.
  assert.ok(performance.now() - t0 < 2000, `terminate took ${Math.round(performance.now() - t0)} ms`);
});
