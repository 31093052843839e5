import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Pool, WorkerCrashedError, PoolBrokenError, WorkerStartError, MemoryLimitError } from 'forkpool';
import type * as crashy from '../fixtures/crashy.ts';
import { fixture, runtime, isThread, pidAlive, eventually, makePool, onRedis, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const SIGNALS_NEED_PROCESSES = 'under the thread runtime a signal ends the whole process, so signal isolation needs runtime: "process"';

async function onlyTheCrashingTaskFails(pool: Pool<typeof crashy>, crash: () => Promise<unknown>) {
  const before = Array.from({ length: 10 }, (_, i) => pool.apply('later', [i, 5]));
  const failure = crash().then(() => assert.fail('the crashing task resolved'), (e) => e);
  const after = Array.from({ length: 10 }, (_, i) => pool.apply('later', [100 + i, 5]));
  const err = await failure;
  assert.deepEqual(await Promise.all(before), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(await Promise.all(after), Array.from({ length: 10 }, (_, i) => 100 + i));
  assert.equal(await pool.apply('ok', [7]), 7, 'the pool keeps working');
  return err as Error;
}

test('a worker that calls process.exit(n) fails only its task, with exitCode and pid, and is replaced', async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  const exits: unknown[] = [];
  pool.on('workerExit', (e) => exits.push(e));
  const err = await onlyTheCrashingTaskFails(pool, () => pool.apply('exitWith', [3]));
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.code, 'ERR_FORKPOOL_WORKER_CRASHED');
  assert.equal(err.exitCode, 3);
  assert.equal(err.signal, null);
  assert.equal(typeof err.pid, 'number');
  assert.match(err.message, /exited with code 3 while running the task/);
  // A thread's pid is this process's own: the message must not pass it off as the worker's.
  if (!onRedis) assert.match(err.message, isThread ? /^Worker \d+ \(a thread of pid \d+\)/ : /^Worker \d+ \(pid \d+\)/);
  // 'workerExit' is about this process's workers: a node replaces its own, unseen by the client.
  if (!onRedis) {
    assert.equal(exits.length, 1);
    assert.equal((exits[0] as { reason: string }).reason, 'crash');
  }
});

test('a worker killed by SIGKILL fails only its task and is replaced', { skip: isThread && SIGNALS_NEED_PROCESSES }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  const err = await onlyTheCrashingTaskFails(pool, () => pool.apply('killSelf', ['SIGKILL']));
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.signal, 'SIGKILL');
});

test('a worker that segfaults (SIGSEGV) fails only its task and is replaced', { skip: isThread && SIGNALS_NEED_PROCESSES }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  const err = await onlyTheCrashingTaskFails(pool, () => pool.apply('killSelf', ['SIGSEGV']));
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.signal, 'SIGSEGV');
});

test('a worker killed from outside while idle is replaced and nothing fails', { skip: (isThread && SIGNALS_NEED_PROCESSES) || localOnly('signals a worker by its pid (pids()); a node killed from outside is test/cluster/faults.test.ts') }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  await pool.ready();
  const exited = once(pool, 'workerExit');
  const victim = pool.pids()[0]!;
  process.kill(victim, 'SIGKILL');
  // Work makes the pool hold the event loop open, so the death is noticed.
  assert.deepEqual(await pool.map('ok', [1, 2, 3, 4, 5, 6], { chunksize: 1 }), [1, 2, 3, 4, 5, 6]);
  const [info] = await exited;
  assert.equal(info.pid, victim);
  assert.equal(info.signal, 'SIGKILL');
  await pool.ready();
  assert.equal(pool.pids().length, 2);
  assert.ok(!pool.pids().includes(victim));
});

test('a worker that runs out of V8 heap fails only its task (MemoryLimitError with a heap cap) and is replaced', { skip: localOnly('`maxOldGenerationSizeMb` is refused beside `backend` (node flags of the node)') }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, maxOldGenerationSizeMb: 64 });
  const exits: Array<{ reason: string }> = [];
  pool.on('workerExit', (e) => exits.push(e));
  const err = await onlyTheCrashingTaskFails(pool, () => pool.apply('exhaustHeap'));
  assert.ok(err instanceof MemoryLimitError, `got ${err}`);
  assert.equal(err.code, 'ERR_FORKPOOL_MEMORY_LIMIT');
  // The exit says why, as the task's error does (it said 'crash' before).
  assert.deepEqual(exits.map((e) => e.reason), ['memory']);
  assert.ok(pool.stats().workers.some((w) => w.lastExitReason === 'memory'), 'its replacement knows why it came');
});

test('without a memory cap, running out of heap is a WorkerCrashedError that says so', { skip: (isThread && 'threads always run with a heap cap (resourceLimits)') || localOnly('`execArgv` is refused beside `backend` (node flags of the node)') }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, execArgv: ['--max-old-space-size=64'] });
  const exited = once(pool, 'workerExit');
  const err = await pool.apply('exhaustHeap').catch((e) => e);
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /out of heap/);
  assert.equal((await exited)[0].reason, 'memory');
});

test('tasks queued behind a crashing task on the same worker are re-run elsewhere, not failed', async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, processes: 1 });
  await pool.ready();
  // Warm the worker up so several tasks are pipelined to it at once.
  await pool.map('ok', Array.from({ length: 50 }, (_, i) => i), { chunksize: 1 });
  const crash = pool.apply('exitWith', [9]);
  const behind = Array.from({ length: 20 }, (_, i) => pool.apply('ok', [i]));
  await assert.rejects(crash, WorkerCrashedError);
  assert.deepEqual(await Promise.all(behind), Array.from({ length: 20 }, (_, i) => i));
});

test('a module that throws on import breaks the pool: pending tasks reject with PoolBrokenError carrying the module error, and spawning stops', { skip: localOnly('on the backend such a module stops `forkpool worker` at start (exit 255, one line), so no node ever serves it') }, async () => {
  const pool = await makePool(fixture('throws-on-import.mjs'), { ...opts, maxStartFailures: 3 });
  const exits: Array<{ reason: string }> = [];
  pool.on('workerExit', (e) => exits.push(e));
  const err = await pool.apply('never').catch((e) => e);
  assert.ok(err instanceof PoolBrokenError, String(err));
  assert.equal(err.code, 'ERR_FORKPOOL_POOL_BROKEN');
  assert.ok(err.cause instanceof WorkerStartError);
  assert.match((err.cause as Error & { cause: Error }).cause.message, /cannot load this module/);
  await assert.rejects(pool.apply('never'), PoolBrokenError);
  await assert.rejects(pool.ready(), PoolBrokenError);
  await pool.terminate();
  const attempts = exits.length;
  assert.ok(attempts >= 3 && attempts <= 4, `start attempts: ${attempts}`);
  // Absence of a respawn can only be shown by waiting past the longest backoff.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(exits.length, attempts, 'no respawn after the pool broke');
  assert.deepEqual(pool.pids(), []);
});

test('an initializer that throws is a start failure carrying its error, with no endless respawn loop', { skip: localOnly('`initializer` is refused beside `backend` (not supported by forkpool worker yet)') }, async () => {
  const pool = await makePool(fixture('init.mjs'), { ...opts, initializer: 'failingSetup' });
  let starts = 0;
  pool.on('workerExit', () => starts++);
  const err = await pool.apply('readState').catch((e) => e);
  assert.ok(err instanceof PoolBrokenError);
  const startErr = err.cause as WorkerStartError;
  assert.match(startErr.message, /initializer "failingSetup" threw/);
  assert.ok(startErr.cause instanceof TypeError);
  await pool.terminate();
  assert.ok(starts <= 4, `start attempts: ${starts}`);
});

for (const [initializer, left] of [['leavesRejection', 'rejection left behind'], ['leavesThrowingTimer', 'timer left behind'], ['leavesThrowingMicrotask', 'microtask left behind']] as const) {
  test(`an initializer that leaves an error behind (${initializer}) is a start failure too: backoff, then PoolBrokenError, and join() returns`, { timeout: 30_000, skip: localOnly('`initializer` is refused beside `backend` (not supported by forkpool worker yet)') }, async () => {
    const pool = await makePool(fixture('init.mjs'), { ...opts, processes: 1, initializer });
    const reasons: string[] = [];
    pool.on('workerExit', (e) => reasons.push(e.reason));
    // The task may win the race against a timer left behind and run first: it then succeeds, and the pool still breaks after.
    const outcome = await pool.apply('readState').then(() => 'ran', (e) => e);
    if (outcome !== 'ran') {
      assert.ok(outcome instanceof PoolBrokenError, `got ${outcome}`);
      const startErr = outcome.cause as WorkerStartError;
      assert.ok(startErr instanceof WorkerStartError);
      // A microtask may throw before the worker says ready (an ordinary start failure) or just after.
      assert.match(startErr.message, new RegExp(`(before it was ready|after it was ready, before it ran any task).*${left}`));
      assert.equal(reasons.length, 3, `exits: ${reasons.join(', ')}`);
      assert.ok(reasons.every((r) => r === 'start-failure'), reasons.join(', '));
    }
    pool.close();
    await pool.join();
  });
}

test('a worker SIGKILLed from outside right after it was ready is a crash, replaced at once, not a start failure', { skip: (isThread && 'a thread has no pid of its own') || localOnly("a node's workers are the node's") }, async () => {
  await using pool = await makePool(fixture('init.mjs'), { ...opts, processes: 1 });
  const exits: Array<{ reason: string; signal: string | null }> = [];
  pool.on('workerExit', (e) => exits.push({ reason: e.reason, signal: e.signal }));
  await pool.ready();
  const [pid] = pool.pids();
  process.kill(pid!, 'SIGKILL');
  assert.equal(typeof (await pool.apply('readState')).pid, 'number');
  assert.deepEqual(exits, [{ reason: 'crash', signal: 'SIGKILL' }]);
});

test('lines a worker wrote right before crashing are delivered before the crash is reported', async () => {
  const lines: string[] = [];
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, logs: (l) => lines.push(l.text) });
  await assert.rejects(pool.apply('logThenExit', ['last words', 4]), WorkerCrashedError);
  assert.deepEqual(lines, ['last words', 'partial line without newline']);
});

test('when the main process is SIGKILLed, its worker processes exit within 2 s', { skip: (isThread && 'worker threads cannot outlive their process') || localOnly('a local pool in a child process and its workers\' pids; a client SIGKILLed on the backend is test/cluster/run-resume.test.ts') }, async () => {
  const script = `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('crashy.ts').href)}, { processes: 2, logs: 'silent' });
    await pool.ready();
    pool.apply('spin').catch(() => {});     // one worker stuck in a synchronous loop
    pool.apply('later', [1, 60000]).catch(() => {}); // one waiting on a timer
    setTimeout(() => console.log(JSON.stringify(pool.pids())), 200);
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = await once(parent.stdout!, 'data');
  const pids = JSON.parse(String(chunk)) as number[];
  assert.equal(pids.length, 2);
  parent.kill('SIGKILL');
  await once(parent, 'exit');
  const gone = await eventually(() => pids.every((p) => !pidAlive(p)), 2000);
  for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL'); // never leave strays behind
  assert.ok(gone, `workers still alive 2 s after the parent died: ${pids.filter(pidAlive)}`);
});

test('a worker that dies of an earlier task\'s stray exception or rejection: the task it was running fails with that error as the cause', { skip: localOnly('the next task may go to another node, whose worker has no stray timer') }, async () => {
  for (const [how, text] of [['throw', 'uncaught exception: RangeError: stray timer'], ['reject', 'unhandled rejection: TypeError: stray rejection']] as const) {
    await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, processes: 1 });
    assert.equal(await pool.apply('strayError', [100, how]), 'returned');
    const err = await pool.apply('later', [1, 5_000]).then(() => assert.fail('resolved'), (e: Error) => e);
    assert.ok(err instanceof WorkerCrashedError, String(err));
    // A thread's error comes from the Worker's 'error' event: its message alone.
    assert.match(err.message, new RegExp(`exited with code 1 while running the task: ${isThread ? text.replace(/^.*?: \w+: /, '') : text}`), how);
    assert.equal(await pool.apply('ok', [2]), 2);
  }
});

test('an uncaught exception a worker survives (its own uncaughtException listener) is not the cause of its later crash', async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), { ...opts, processes: 1 });
  assert.equal(await pool.apply('survivesStrayError', []), 'returned');
  assert.equal(await pool.apply('later', [1, 50]), 1, 'the worker lived on');
  const err = await pool.apply('exitWith', [3]).then(() => assert.fail('resolved'), (e: Error) => e);
  assert.match(err.message, /exited with code 3 while running the task$/);
});
