/**
 * A crashed task runs once (plus its retries), and an innocent task that
 * never started runs once, elsewhere. Counted by the tasks themselves in a
 * side file, so a second execution cannot hide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, WorkerCrashedError } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, isThread, executions, makePool } from '../helpers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const opts = { processes: 2, runtime, logs: 'silent' } as const;


for (const kind of ['exit', 'kill'] as const) {
  test(`a map item whose worker dies (${kind}) runs once with retries: 0, and every other item runs exactly once`, { skip: kind === 'kill' && isThread && 'a signal would end the whole test process under the thread runtime' }, async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(mkdtempSync(join(tmpdir(), 'fp-once-')), 'runs.txt');
      const pool = await makePool<typeof abuse>(TASKS, opts);
      const bad = 37 + round * 11;
      const items = Array.from({ length: 200 }, (_, i) => [file, i, bad] as [string, number, number]);
      const fn = kind === 'exit' ? 'countOrExit' : 'countOrKill';
      const err = await pool.map(fn, items, { chunksize: 4 }).then(() => assert.fail('the map resolved'), (e) => e);
      assert.ok(err instanceof WorkerCrashedError, String(err));
      await pool.terminate();
      const counts = executions(file);
      assert.equal(counts.get(bad), 1, `the crashing item ran ${counts.get(bad)} times`);
      for (const [x, c] of counts) assert.equal(c, 1, `item ${x} ran ${c} times`);
    }
  });
}

test('imapSettled: the crashing item fails alone, once; every other item succeeds exactly once', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'fp-once-')), 'runs.txt');
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const items = Array.from({ length: 300 }, (_, i) => [file, i, 123] as [string, number, number]);
  let failed = 0;
  let ok = 0;
  for await (const r of pool.imapSettled('countOrExit', items.map((x) => x), { chunksize: 1 })) {
    if (r.ok) ok++;
    else { failed++; assert.ok(r.error instanceof WorkerCrashedError); }
  }
  assert.equal(failed, 1);
  assert.equal(ok, 299);
  const counts = executions(file);
  for (const [x, c] of counts) assert.equal(c, 1, `item ${x} ran ${c} times`);
  assert.equal(counts.size, 300);
  await pool.terminate();
});

test('with retries: 2, a task that always crashes runs exactly three times', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'fp-once-')), 'runs.txt');
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, retries: 2 });
  const err = await pool.apply('countOrExit', [[file, 5, 5]]).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.attempts.length, 3);
  assert.equal(executions(file).get(5), 3);
  await pool.terminate();
});
