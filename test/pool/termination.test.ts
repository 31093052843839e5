/** terminate() and close()+join() always finish. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError, SIGKILL_GRACE_MS } from 'forkpool';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('terminate() finishes even when a worker ignores SIGTERM (SIGKILL after the grace period)', async () => {
  const pool = await makePool(fixture('hang-forever.mjs'), opts);
  const stuck = pool.apply('ignoreSigtermAndSpin').catch((e) => e);
  await pool.ready();
  await new Promise((r) => setTimeout(r, 100)); // let the task install its handler
  const t0 = Date.now();
  await pool.terminate();
  assert.ok(Date.now() - t0 < SIGKILL_GRACE_MS + 3000);
  assert.equal(SIGKILL_GRACE_MS, 1000);
  assert.equal((await stuck).code, 'ERR_FORKPOOL_TERMINATED');
  assert.deepEqual(pool.pids(), []);
});

test('close() + join() resolves after the last task even when a worker dies during the drain', async () => {
  const pool = await makePool(fixture('flaky.mjs'), opts);
  const results = Array.from({ length: 20 }, (_, i) => (i === 5 ? pool.apply('alwaysCrash') : pool.apply('logLines', ['t', 0])));
  const settled = Promise.allSettled(results);
  pool.close();
  await pool.join();
  const outcomes = await settled;
  assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 1);
  assert.ok((outcomes[5] as PromiseRejectedResult).reason instanceof WorkerCrashedError);
});
