/**
 * concurrentTasksPerWorker: a worker runs up to N async tasks at once, each
 * sees its own currentTask(), and when it dies every task it had started
 * fails (each was running) while the unstarted ones run elsewhere, once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, WorkerCrashedError } from 'forkpool';
import type * as tasks from '../fixtures/transfer.mjs';
import type * as beside from '../fixtures/beside.mjs';
import { fixture, runtime, executions, localOnly } from '../helpers.ts';

const TASKS = fixture('transfer.mjs');
const BESIDE = fixture('beside.mjs');
const opts = { processes: 1, runtime, logs: 'silent' } as const;
const PER_WORKER = localOnly('`concurrentTasksPerWorker` is a forkpool worker flag (--concurrency), refused beside `backend`');


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

// How the worker dies, and what its three tasks' errors then say.
const DEATHS = [
  {
    how: 'own', task: 'crashBeside', code: 7, title: 'process.exit in one task\'s code: that task is blamed, the others are told it was not them',
    culprit: /while running the task, one of 3 tasks it was running at once: this task's code ended it$/,
    victim: /while running the task, one of 3 tasks it was running at once: another task's code ended it, not this one's$/,
  },
  {
    how: 'own', task: 'rejectBeside', code: 1, title: 'an unhandled rejection from one task\'s code: that task is blamed',
    culprit: /exited with code 1 while running the task, one of 3 tasks it was running at once: (unhandled rejection: Error: )?task 2 let this go; this task's code ended it$/,
    victim: /exited with code 1 while running the task, one of 3 tasks it was running at once: (unhandled rejection: Error: )?task 2 let this go; another task's code ended it, not this one's$/,
  },
  {
    how: 'timer', task: 'crashBeside', code: 9, title: 'an exit from code no task started (a module\'s timer): no task can be blamed',
    culprit: /while running the task, one of 3 tasks it was running at once: which of them caused it, the pool cannot tell$/,
    victim: /while running the task, one of 3 tasks it was running at once: which of them caused it, the pool cannot tell$/,
  },
] as const;

for (const d of DEATHS) {
  test(`a worker that dies running 3 tasks fails exactly those 3, and the 2 it had not started run once, elsewhere: ${d.title}`, { skip: PER_WORKER }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-conc-'));
    const file = join(dir, 'runs.txt');
    const pool = new Pool<typeof beside>(BESIDE, { ...opts, concurrentTasksPerWorker: 3 });
    try {
      await pool.ready();
      const running = [1, 2, 3].map((x) => pool.apply(d.task, [file, x, join(dir, 'peers'), 3, 2, d.how]));
      const waiting = [4, 5].map((x) => pool.apply('count', [file, x]));
      const settled = await Promise.allSettled(running);
      settled.forEach((s, i) => {
        assert.equal(s.status, 'rejected');
        const reason = (s as PromiseRejectedResult).reason;
        assert.ok(reason instanceof WorkerCrashedError, String(reason));
        assert.equal(reason.exitCode, d.code);
        assert.match(reason.message, i === 1 ? d.culprit : d.victim);
      });
      assert.deepEqual(await Promise.all(waiting), [4, 5]);
      const counts = executions(file);
      assert.deepEqual([...counts.keys()].sort(), [1, 2, 3, 4, 5]);
      for (const [x, c] of counts) assert.equal(c, 1, `task ${x} ran ${c} times`);
      assert.equal(pool.stats().failed.crash, 3);
    } finally {
      await pool.terminate();
    }
  });

  test(`with retries, the innocent tasks that died beside a culprit finish, and the culprit fails alone: ${d.title}`, { skip: PER_WORKER }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-conc-'));
    const file = join(dir, 'runs.txt');
    await using pool = new Pool<typeof beside>(BESIDE, { ...opts, concurrentTasksPerWorker: 3, retries: 1 });
    await pool.ready();
    const [a, bad, b] = await Promise.allSettled([1, 2, 3].map((x) => pool.apply(d.task, [file, x, join(dir, 'peers'), 3, 2, d.how])));
    // Retried together on one fresh worker, the culprit took the other two down again.
    assert.deepEqual(a, { status: 'fulfilled', value: 1 });
    assert.deepEqual(b, { status: 'fulfilled', value: 3 });
    assert.equal(bad!.status, 'rejected');
    const err = (bad as PromiseRejectedResult).reason;
    assert.ok(err instanceof WorkerCrashedError, String(err));
    // Its second death came alone: the message blames it, and lists both attempts.
    assert.match(err.message, new RegExp(`while running the task \\(2 attempts: code ${d.code}, code ${d.code}\\)(: .*)?$`));
    const counts = executions(file);
    for (const x of [1, 2, 3]) assert.equal(counts.get(x), 2, `task ${x} ran ${counts.get(x)} times`);
    assert.equal(pool.stats().retried, 3);
    assert.equal(pool.stats().failed.crash, 1);
  });
}

test('a task that closes the record and exits: the worker still dies with its exit code, and blames nobody it cannot name', { skip: PER_WORKER }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-conc-'));
  const file = join(dir, 'runs.txt');
  await using pool = new Pool<typeof beside>(BESIDE, { ...opts, concurrentTasksPerWorker: 3 });
  await pool.ready();
  const settled = await Promise.allSettled([1, 2, 3].map((x) => pool.apply('closeRecordThenExit', [file, x, join(dir, 'peers'), 3, 2])));
  // Before, the failed record write threw out of process.exit() into the task: it rejected with EBADF and the worker lived on.
  settled.forEach((s, i) => {
    assert.equal(s.status, 'rejected');
    const reason = (s as PromiseRejectedResult).reason;
    assert.ok(reason instanceof WorkerCrashedError, String(reason));
    assert.equal(reason.exitCode, 7);
    // A process's record is gone; a thread's is memory and still names the task.
    const blame = runtime === 'process' ? 'which of them caused it, the pool cannot tell' : i === 1 ? 'this task\'s code ended it' : 'another task\'s code ended it, not this one\'s';
    assert.ok(reason.message.endsWith(`one of 3 tasks it was running at once: ${blame}`), reason.message);
  });
});

test('a timeout beside other tasks aborts its task, and the worker lives on when the task stops within abortGrace: the tasks beside it finish', { skip: PER_WORKER }, async () => {
  await using pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 3, abortGrace: 2000 });
  await pool.ready();
  const [pid] = pool.pids();
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  const file = join(mkdtempSync(join(tmpdir(), 'fp-conc-')), 'reason.txt');
  const timedOut = pool.apply('napUntilAborted', [10_000], { timeout: 300 });
  const told = pool.apply('abortReason', [file], { timeout: 300 });
  const beside = pool.apply('nap', [800]);
  await assert.rejects(timedOut, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  await assert.rejects(told, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  // Before, the worker was killed at the timeout and this failed with WorkerCrashedError.
  assert.equal(typeof await beside, 'number');
  // The task's signal said why.
  assert.match(readFileSync(file, 'utf8'), /longer than its timeout of 300 ms/);
  assert.deepEqual(exits, []);
  assert.deepEqual(pool.pids(), [pid]);
  assert.equal(pool.stats().failed.crash, 0);
});

test('a timed-out task that does not stop within abortGrace still has its worker killed: the tasks beside it fail as crash victims', { skip: PER_WORKER }, async () => {
  await using pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 2, abortGrace: 300 });
  await pool.ready();
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  // The nap starts first, then the spin blocks the worker's thread past its timeout and the grace.
  const beside = pool.apply('nap', [50]);
  const stuck = pool.apply('spin', [4000], { timeout: 300 });
  await assert.rejects(stuck, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  // Not a crash of its own: the message says the pool killed the worker over the task beside it.
  await assert.rejects(beside, (err: Error) => {
    assert.ok(err instanceof WorkerCrashedError, String(err));
    assert.match(err.message, /one of 2 tasks it was running at once: the pool killed it because a task beside this one overran its timeout and had not stopped within abortGrace$/);
    return true;
  });
  assert.deepEqual(exits, ['timeout']);
  assert.equal(await pool.apply('nap', [1]) > 0, true, 'a new worker runs the next task');
});

test('an aborted task that does not stop within abortGrace: the task beside it fails with a message naming the abort', { skip: PER_WORKER }, async () => {
  await using pool = new Pool<typeof tasks>(TASKS, { ...opts, concurrentTasksPerWorker: 2, abortGrace: 300 });
  await pool.ready();
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  const ac = new AbortController();
  const beside = pool.apply('nap', [50]);
  const stuck = pool.apply('spin', [4000], { signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(stuck, { name: 'AbortError' });
  await assert.rejects(beside, (err: Error) => {
    assert.ok(err instanceof WorkerCrashedError, String(err));
    assert.match(err.message, /one of 2 tasks it was running at once: the pool killed it because a task beside this one was aborted and had not stopped within abortGrace$/);
    return true;
  });
  assert.deepEqual(exits, ['abort']);
});

test('concurrentTasksPerWorker is checked at construction', { skip: PER_WORKER }, () => {
  assert.throws(() => new Pool(TASKS, { ...opts, concurrentTasksPerWorker: 0 }), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /`concurrentTasksPerWorker` to be a positive integer, got 0/ });
});

test('stats().running counts the tasks running, not the busy workers: three at once on one worker read 3', { skip: localOnly('`concurrentTasksPerWorker` is refused beside `backend`') }, async () => {
  await using pool = new Pool(fixture('basic.ts'), { ...opts, concurrentTasksPerWorker: 3 });
  await pool.ready();
  const sleeping = [1, 2, 3, 4].map((x) => pool.apply('slowDouble', [x, 600]));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const s = pool.stats();
  assert.equal(s.running, 3, JSON.stringify(s));
  assert.ok(s.queued <= 1, 'the fourth waits, in the pool or inside the worker behind the three');
  assert.deepEqual(await Promise.all(sleeping), [2, 4, 6, 8]);
  assert.equal(pool.stats().running, 0);
});
