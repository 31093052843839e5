import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  Pool, TaskTimeoutError, AbortError, MemoryLimitError, WorkerCrashedError, QueueFullError, SIGKILL_GRACE_MS,
} from 'forkpool';
import { fixture, runtime, isThread } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('a task past its timeout rejects with TaskTimeoutError; its worker is replaced and other workers are unaffected', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, taskTimeout: 300 });
  await pool.ready();
  const exited = once(pool, 'workerExit');
  const hung = pool.apply('spin');
  const fine = pool.apply('sleep', [100], { timeout: 5000 });
  const err = await hung.catch((e) => e);
  assert.ok(err instanceof TaskTimeoutError);
  assert.equal(err.code, 'ERR_FORKPOOL_TASK_TIMEOUT');
  assert.equal(err.timeout, 300);
  assert.equal(await fine, 100);
  const [info] = await exited;
  assert.equal(info.reason, 'timeout');
  assert.equal(await pool.apply('sleep', [1]), 1);
});

test('the timeout clock starts when the task starts running, not when it is queued', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  const first = pool.apply('sleep', [400]);
  const second = pool.apply('sleep', [50], { timeout: 300 }); // waits ~400 ms in the queue, runs 50 ms
  assert.equal(await first, 400);
  assert.equal(await second, 50);
});

test('a queued task that is aborted never runs and rejects with AbortError carrying the reason', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  await pool.ready();
  const busy = pool.apply('sleep', [200]);
  const ctl = new AbortController();
  const queued = pool.apply('sleep', [1], { signal: ctl.signal });
  ctl.abort(new Error('changed my mind'));
  const err = await queued.catch((e) => e);
  assert.ok(err instanceof AbortError);
  assert.equal(err.code, 'ERR_FORKPOOL_ABORTED');
  assert.equal((err.cause as Error).message, 'changed my mind');
  await busy;
  assert.equal(pool.stats().failed.aborted, 1);
  assert.equal(pool.stats().completed, 1, 'only the busy task ran');
});

test('a running task sees its signal abort through currentTask().signal, and its worker survives', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1 });
  const pid = await pool.apply('pid');
  const ctl = new AbortController();
  const running = pool.apply('waitForAbort', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort('stop'), 100);
  await assert.rejects(running, (e) => e instanceof AbortError && e.cause === 'stop');
  assert.equal(await pool.apply('pid'), pid, 'same worker, not killed');
});

test('a running task that ignores its abort has its worker killed after the grace period', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1, abortGrace: 200 });
  await pool.ready();
  const exited = once(pool, 'workerExit');
  const ctl = new AbortController();
  const running = pool.apply('spin', [], { signal: ctl.signal });
  setTimeout(() => ctl.abort(), 100);
  await assert.rejects(running, AbortError);
  const [info] = await exited;
  assert.equal(info.reason, 'abort');
  assert.equal(await pool.apply('sleep', [1]), 1);
});

test('a worker over maxMemory after a task is recycled before its next task; the task itself succeeds', async () => {
  await using pool = new Pool(fixture('leak-memory.mjs'), { ...opts, processes: 1, maxMemory: '150MB' });
  const exited = once(pool, 'workerExit');
  assert.equal(await pool.apply('leak', [160]), 20);
  const [info] = await exited;
  assert.equal(info.reason, 'memory');
  assert.equal(await pool.apply('ok', [1]), 1);
  assert.equal(pool.stats().recycled, 1);
  assert.equal(pool.stats().workers[0]!.lastExitReason, 'memory');
});

test('a worker far past its memory cap while a task runs is killed and the task fails with MemoryLimitError', async () => {
  await using pool = new Pool(fixture('leak-memory.mjs'), { ...opts, maxMemory: '100MB' });
  const err = await pool.apply('balloon').catch((e) => e);
  assert.ok(err instanceof MemoryLimitError, String(err));
  assert.equal(err.code, 'ERR_FORKPOOL_MEMORY_LIMIT');
  assert.equal(await pool.apply('ok', [2]), 2);
  assert.equal(pool.stats().failed.memory, 1);
});

test('retries re-run a task whose worker crashed, on a fresh worker', async () => {
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 1 });
  assert.equal(await pool.apply('crashOnFirstAttempt'), 2);
  assert.equal(pool.stats().retried, 1);
});

test('a task that crashes more than `retries` times rejects with the crash error listing every attempt', async () => {
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 2 });
  const err = await pool.apply('alwaysCrash').catch((e) => e);
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.attempts.length, 3);
  assert.deepEqual(err.attempts.map((a: { exitCode: number }) => a.exitCode), [5, 5, 5]);
  assert.match(err.message, /3 attempts/);
});

test('a task that threw is not retried, unless retryOn is "error"', async () => {
  {
    await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 2 });
    await assert.rejects(pool.apply('throwOnFirstAttempt'), { message: 'transient' });
  }
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 2, retryOn: 'error' });
  assert.equal(await pool.apply('throwOnFirstAttempt'), 2);
});

test('maxQueue bounds the tasks waiting for a worker: QueueFullError, or waiting with waitForSpace', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), { ...opts, processes: 1, maxQueue: 2 });
  await pool.ready();
  const a = pool.apply('sleep', [50]);
  const b = pool.apply('sleep', [50]);
  const full = await pool.apply('sleep', [50]).catch((e) => e);
  assert.ok(full instanceof QueueFullError);
  assert.equal(full.code, 'ERR_FORKPOOL_QUEUE_FULL');
  const waited = pool.apply('sleep', [7], { waitForSpace: true });
  assert.deepEqual(await Promise.all([a, b, waited]), [50, 50, 7]);
});

test('imap reads its input lazily: an endless generator is drained only a bounded read-ahead', async () => {
  await using pool = new Pool(fixture('hang-forever.mjs'), opts);
  let pulled = 0;
  let cleanedUp = false;
  function* endless() {
    try { for (let i = 0; ; i++) { pulled++; yield 1; } } finally { cleanedUp = true; }
  }
  let seen = 0;
  for await (const v of pool.imap('sleep', endless(), { readAhead: 20 })) {
    seen += v;
    if (seen === 30) break;
  }
  assert.ok(pulled <= 30 + 20 + 1, `pulled ${pulled} items for 30 consumed`);
  assert.ok(cleanedUp, 'the generator was closed on break');
});

test('terminate() finishes even when a worker ignores SIGTERM (SIGKILL after the grace period)', async () => {
  const pool = new Pool(fixture('hang-forever.mjs'), opts);
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
  const pool = new Pool(fixture('flaky.mjs'), opts);
  const results = Array.from({ length: 20 }, (_, i) => (i === 5 ? pool.apply('alwaysCrash') : pool.apply('logLines', ['t', 0])));
  const settled = Promise.allSettled(results);
  pool.close();
  await pool.join();
  const outcomes = await settled;
  assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 1);
  assert.ok((outcomes[5] as PromiseRejectedResult).reason instanceof WorkerCrashedError);
});

test('worker output arrives as whole lines, in order per worker, never mixed with another worker\'s', async () => {
  const lines: Array<{ workerId: number; text: string; taskId: number | null }> = [];
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, logs: 'pipe' });
  pool.on('log', (l) => lines.push(l));
  await Promise.all([pool.apply('logLines', ['A', 300]), pool.apply('logLines', ['B', 300])]);
  assert.equal(lines.length, 600);
  for (const tag of ['A', 'B']) {
    const mine = lines.filter((l) => l.text.startsWith(`${tag} `));
    assert.equal(mine.length, 300);
    assert.deepEqual(mine.map((l) => l.text), Array.from({ length: 300 }, (_, i) => `${tag} line ${i} ${'x'.repeat(200)}`));
    assert.equal(new Set(mine.map((l) => l.taskId)).size, 1);
  }
});

test('logs: "inherit" prints lines prefixed with worker and task; "silent" prints nothing', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = (logs: string) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('flaky.mjs').href)}, { processes: 1, runtime: ${JSON.stringify(runtime)}, logs: ${JSON.stringify(logs)} });
    await pool.apply('writeStderr', ['to stderr']);
    await pool.apply('logLines', ['hello', 1]);
    pool.close(); await pool.join();`], { encoding: 'utf8' });
  const inherit = run('inherit');
  assert.equal(inherit.status, 0, inherit.stderr);
  assert.match(inherit.stdout, /^\[w1 #\d+\] hello line 0 x+$/m);
  assert.match(inherit.stderr, /^\[w1 #\d+\] to stderr$/m);
  const silent = run('silent');
  assert.equal(silent.stdout + silent.stderr, '');
});

test('stats() reports counters, per-worker state and timings', async () => {
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 0 });
  await pool.map('logLines', [['s', 0], ['s', 0]].map(() => 's'), { chunksize: 1 }).catch(() => {});
  await pool.apply('alwaysCrash').catch(() => {});
  await pool.ready();
  const s = pool.stats();
  assert.equal(s.failed.crash, 1);
  assert.equal(typeof s.completed, 'number');
  assert.equal(s.queued, 0);
  assert.equal(s.running, 0);
  assert.equal(s.workers.length, 2);
  for (const w of s.workers) {
    assert.equal(typeof w.id, 'number');
    assert.equal(w.pid === undefined ? 'undefined' : typeof w.pid, 'number');
    assert.equal(typeof w.tasksDone, 'number');
  }
  assert.ok(s.workers.some((w) => w.restarts === 1 && w.lastExitReason === 'crash'));
  assert.ok(s.runTime.p50 >= 0 && s.runTime.p99 >= s.runTime.p50);
  assert.ok(s.waitTime.p99 >= s.waitTime.p50);
  if (isThread) assert.ok(s.workers.every((w) => w.pid === process.pid));
});
