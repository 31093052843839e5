import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, PoolTerminatedError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import type * as crashy from '../fixtures/crashy.ts';
import { fixture, runtime, isThread, pidAlive, makePool, poolOptions, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('close() lets submitted tasks finish; join() resolves after they settle and workers exit', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const results = Array.from({ length: 20 }, (_, i) => pool.apply('slowDouble', [i, 5]));
  await pool.ready();
  const pids = pool.pids();
  pool.close();
  await pool.join();
  assert.deepEqual(await Promise.all(results), Array.from({ length: 20 }, (_, i) => i * 2));
  assert.deepEqual(pool.pids(), []);
  // On the backend pids() is always [] (the workers are on the nodes): the check above is the one that matters there.
  if (!isThread) for (const pid of pids) assert.equal(pidAlive(pid), false, `worker ${pid} still alive`);
});

test('terminate() stops workers now and rejects unfinished tasks with PoolTerminatedError', async () => {
  const pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  const running = pool.apply('spin');
  const queued = pool.apply('ok', [1]);
  const other = pool.apply('spin');
  const outcomes = Promise.allSettled([running, queued, other]);
  await pool.ready();
  await pool.terminate();
  for (const o of await outcomes) {
    assert.equal(o.status, 'rejected');
    const e = (o as PromiseRejectedResult).reason;
    assert.ok(e instanceof PoolTerminatedError && e.code === 'ERR_FORKPOOL_TERMINATED');
  }
  assert.deepEqual(pool.pids(), []);
});

test('await using closes and joins: tasks submitted before disposal complete', async () => {
  let result: Promise<number>;
  {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    result = pool.apply('slowDouble', [3, 50]);
  }
  assert.equal(await result, 6);
});

test('maxTasksPerChild replaces a worker after that many tasks (a chunk counts as one)', { skip: localOnly('`maxTasksPerChild` is a forkpool worker flag (--max-tasks-per-child), refused beside `backend`') }, async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, processes: 1, maxTasksPerChild: 2 });
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await pool.apply('whoami')).workerId);
  assert.deepEqual(ids, [1, 1, 2, 2, 3, 3]);
  // A map of 4 chunks is 4 tasks.
  await pool.map('double', [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 2 });
  assert.equal((await pool.apply('whoami')).workerId, 6);
  // Workers 1–5 each retired after their 2 tasks: recycling, not failure.
  assert.equal(pool.stats().recycled, 5);
  assert.equal(pool.stats().failed.crash, 0);
});

test('a call with only a callback keeps the process alive until its result arrives; then the process exits', async () => {
  const { spawnSync } = await import('node:child_process');
  const options = await poolOptions(fixture('plain.js'), { processes: 2, runtime });
  // Nothing but the pool holds this process open: no await, no timer of its own.
  // The second call is made from the first one's callback, while the pool is idle.
  const script = `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('plain.js').href)}, ${JSON.stringify(options)});
    pool.applyAsync('incLater', [1, 300], { callback: (v) => {
      console.log(v);
      setImmediate(() => pool.applyAsync('incLater', [v, 300], { callback: (w) => console.log(w) }));
    } });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '2\n3');
});

test('a pool that is never closed does not keep the process alive once its work is done', async () => {
  const { spawnSync } = await import('node:child_process');
  // On the backend the child's pool uses this file's nodes.
  const options = await poolOptions(fixture('plain.js'), { processes: 2, runtime });
  const script = `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('plain.js').href)}, ${JSON.stringify(options)});
    console.log(await pool.apply('inc', [41]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '42');
});
