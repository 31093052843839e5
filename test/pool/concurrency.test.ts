/**
 * concurrentTasksPerWorker: a worker runs up to N async tasks at once, each
 * sees its own currentTask(), and when it dies every task it had started
 * fails (each was running) while the unstarted ones run elsewhere, once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, WorkerCrashedError } from 'forkpool';
import type * as tasks from '../fixtures/transfer.mjs';
import { fixture, runtime, executions, localOnly } from '../helpers.ts';

const TASKS = fixture('transfer.mjs');
const opts = { processes: 1, runtime, logs: 'silent' } as const;
const PER_WORKER = localOnly('`concurrentTasksPerWorker` is refused beside `backend` (not supported by forkpool worker yet)');


test('ten 100 ms async tasks on one worker with concurrentTasksPerWorker: 10 run together (under the 1 s they take one by one)', { skip: PER_WORKER }, async () => {
  await using pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 10 });
  await pool.ready();
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: 10 }, () => pool.apply('nap', [100])));
  const ms = performance.now() - t0;
  // One by one they take at least 1,000 ms; together about 110 ms. The margin is for a loaded machine.
  assert.ok(ms < 900, `took ${Math.round(ms)} ms`);
  assert.equal(new Set(ids).size, 10);
});

test('interleaved tasks each see their own currentTask()', { skip: PER_WORKER }, async () => {
  await using pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 8 });
  const pairs = await Promise.all(Array.from({ length: 16 }, (_, i) => pool.apply('ownId', [(i * 7) % 20])));
  for (const [before, after] of pairs) assert.equal(before, after);
  assert.equal(new Set(pairs.map(([id]) => id)).size, 16);
});

test('a worker that dies running 3 tasks fails exactly those 3; the 2 it had not started run once, elsewhere', { skip: PER_WORKER }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-conc-'));
  const file = join(dir, 'runs.txt');
  const pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 3 });
  try {
    await pool.ready();
    const running = [1, 2, 3].map((x) => pool.apply('countThenCrash', [file, x, join(dir, 'peers'), 3, 2]));
    const waiting = [4, 5].map((x) => pool.apply('count', [file, x]));
    const settled = await Promise.allSettled(running);
    for (const s of settled) {
      assert.equal(s.status, 'rejected');
      assert.ok((s as PromiseRejectedResult).reason instanceof WorkerCrashedError, String((s as PromiseRejectedResult).reason));
    }
    assert.deepEqual(await Promise.all(waiting), [4, 5]);
    const counts = executions(file);
    assert.deepEqual([...counts.keys()].sort(), [1, 2, 3, 4, 5]);
    for (const [x, c] of counts) assert.equal(c, 1, `task ${x} ran ${c} times`);
    assert.equal(pool.stats().failed.crash, 3);
  } finally {
    await pool.terminate();
  }
});

test('concurrentTasksPerWorker is checked at construction', { skip: PER_WORKER }, () => {
  assert.throws(() => new Pool(TASKS, { ...opts, concurrentTasksPerWorker: 0 }), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /`concurrentTasksPerWorker` to be a positive integer, got 0/ });
});
