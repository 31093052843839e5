// A worker that dies while idle has no running task: nothing fails, and the
// task it ran last (finished) or the next one sent to it is never blamed.
// Under the thread runtime this pins the shared "running task" record
// (src/runtime/thread.ts): it still names the finished task when the thread dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type * as crashy from '../fixtures/crashy.ts';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

test('a worker that exits while idle, after its task returned, fails nothing; the next call succeeds', { skip: localOnly('watches the exit of a local worker') }, async (t) => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { processes: 1, runtime, logs: 'silent' });
  // An idle pool does not keep the process alive (by design): this test does, while it waits for the exit.
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  for (let round = 0; round < 3; round++) {
    const exited = once(pool, 'workerExit');
    assert.equal(await pool.apply('exitAfter', [30, 3]), 'returned');
    const [info] = await exited;
    assert.equal(info.exitCode, 3);
    assert.equal(await pool.apply('ok', [round]), round);
  }
  const stats = pool.stats();
  assert.equal(stats.failed.crash, 0, 'no task was blamed for an idle exit');
  assert.equal(stats.completed, 6);
});
