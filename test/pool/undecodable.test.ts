/**
 * A value a worker cannot send, or the pool cannot send to it, fails that
 * task once, with DataCloneError, under both runtimes: never a crash, never
 * a retry (the same value would fail again), never a hang, and the pool goes
 * on. "Cannot send" includes values nested deeper than the receiving side's
 * deserializer follows: a worker thread (4 MB of stack) serializes what the
 * main thread (about 1 MB) cannot read back, and the main process serializes
 * arguments a worker process cannot read. The thread runtime once killed the
 * worker for such a result and ran the task again as a crash; the process
 * runtime sent such arguments to one worker after another, forever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataCloneError, WorkerCrashedError, type Pool } from 'forkpool';
import type * as deep from '../fixtures/deep-values.mjs';
import { executions, fixture, isThread, localOnly, makePool, runtime } from '../helpers.ts';

const TASKS = fixture('deep-values.mjs');
const BETWEEN = isThread ? 'between threads' : 'between processes';
/** Past what the main side decodes, within what a worker serializes: the message is written whole and cannot be read. */
const UNREADABLE = 2500;
/** The brief's case: past a worker process's serializer (refused in the worker), within a thread's (written, unreadable). */
const DEEPER = 8000;
/** Generous, only so that a regression (a crash loop) fails instead of hanging the suite. */
const NO_HANG = { timeout: 60_000 };
const LOCAL = localOnly('counts crashes, retries and worker exits of local workers');

function sideFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'forkpool-undecodable-')), 'runs');
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then((v) => assert.fail(`resolved with ${typeof v}`), (e: Error) => e);
}

/** No worker was blamed for a crash, nothing was retried, and the pool still runs tasks. */
async function poolIsWhole(pool: Pool<typeof deep>): Promise<void> {
  const stats = pool.stats();
  assert.equal(stats.failed.crash, 0, 'no task failed as a crash');
  assert.equal(stats.retried, 0, 'nothing was run again');
  assert.equal(await pool.apply('quick', [7]), 7, 'the pool goes on');
}

for (const task of ['returnDeep', 'throwDeepCause', 'throwDeepProperty', 'throwDeepValue'] as const) {
  for (const depth of [UNREADABLE, DEEPER]) {
    test(`[${runtime}] ${task} at depth ${depth}: one failure, typed, not a crash, run once even with retries`, { ...NO_HANG, skip: LOCAL }, async () => {
      await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent', retries: 2 });
      const file = sideFile();
      const err = await failure(pool.apply(task, [file, depth]));
      assert.ok(!(err instanceof WorkerCrashedError), `not a crash: ${err.message}`);
      // The value either failed to serialize in the worker (its own error, or
      // the cause/property left out of a thrown error) or was written and
      // could not be read here: then DataCloneError names the task.
      if (err instanceof DataCloneError) {
        assert.equal(err.code, 'ERR_FORKPOOL_DATA_CLONE');
        assert.match(err.message, new RegExp(`^Could not send the result.* ${BETWEEN}: `));
      }
      assert.deepEqual([...executions(file).values()], [1], 'ran once');
      await poolIsWhole(pool);
    });
  }
}

test(`[${runtime}] a result that cannot be read here fails with DataCloneError naming the task, as under either runtime`, { ...NO_HANG, skip: LOCAL }, async () => {
  await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent', retries: 2 });
  const err = await failure(pool.apply('returnDeep', ['', UNREADABLE]));
  assert.ok(err instanceof DataCloneError, String(err));
  // A worker process's result names its task ahead of its V8 bytes (protocol/done-head.ts); a thread's lost message names nothing.
  const which = isThread ? ' \\(or a value it sent to a shared object\\)' : '';
  assert.match(err.message, new RegExp(`^Could not send the result of task "returnDeep"${which} ${BETWEEN}: .*could not be decoded: Maximum call stack size exceeded$`));
  await poolIsWhole(pool);
});

test(`[${runtime}] an argument the worker cannot read fails that task alone (apply and map), no worker dies, nothing is sent again`, { ...NO_HANG, skip: LOCAL }, async () => {
  await using pool = await makePool<typeof deep>(TASKS, { processes: 2, runtime, logs: 'silent', retries: 2 });
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  const arg = (await import('../fixtures/deep-values.mjs')).nested(UNREADABLE);
  const single = pool.apply('depthOf', [arg]).catch((e: Error) => e);
  const mapped = pool.map('depthOf', [1, arg, 3], { chunksize: 3 }).catch((e: Error) => e);
  const apart = pool.map('depthOf', [{ o: 1 }, arg, {}], { chunksize: 1 }).catch((e: Error) => e);
  if (isThread) {
    // A worker thread's stack reads what the main thread could write.
    assert.equal(await single, UNREADABLE);
    assert.deepEqual(await mapped, [0, UNREADABLE, 0]);
    assert.deepEqual(await apart, [1, UNREADABLE, 0]);
  } else {
    for (const r of [await single, await mapped, await apart]) {
      assert.ok(r instanceof DataCloneError, String(r));
      assert.match((r as Error).message, /^Could not send the arguments of task "depthOf" between processes: .*could not be decoded/);
    }
  }
  assert.deepEqual(exits, [], 'no worker died for it');
  await poolIsWhole(pool);
});

test(`[${runtime}] a chunk item whose result cannot be read fails alone, named, with the runtime's wording`, { ...NO_HANG, skip: LOCAL }, async () => {
  await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent', retries: 2 });
  for (const depth of [UNREADABLE, DEEPER]) {
    const items = [0, 1, 2].map((x) => [x, depth] as [number, number]);
    const settled: string[] = [];
    for await (const s of pool.imapSettled('deepAtOne', items, { chunksize: 3 })) {
      settled.push(s.ok ? `ok ${String(s.value)}` : `${s.error.name}: ${s.error.message}`);
    }
    assert.equal(settled.length, 3);
    assert.equal(settled[0], 'ok 0');
    assert.match(settled[1]!, new RegExp(`^DataCloneError: Could not send the result.* ${BETWEEN}: `));
    assert.equal(settled[2], 'ok 2');
    const err = await failure(pool.map('deepAtOne', items, { chunksize: 3 }));
    assert.ok(err instanceof DataCloneError, String(err));
    assert.match(err.message, new RegExp(BETWEEN));
  }
  await poolIsWhole(pool);
});

test(`[${runtime}] the tasks queued behind one whose result cannot be read each run once and keep their results`, { ...NO_HANG, skip: LOCAL }, async () => {
  await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent' });
  await pool.ready();
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  const file = sideFile();
  for (let round = 0; round < 8; round++) {
    const bad = pool.apply('returnDeep', ['', UNREADABLE]).catch((e: Error) => e);
    const innocent = Array.from({ length: 6 }, (_, i) => pool.apply('count', [file, round * 10 + i]).catch((e: Error) => e));
    assert.ok(await bad instanceof DataCloneError);
    for (const [i, r] of (await Promise.all(innocent)).entries()) {
      // A neighbour running when the pool replaced the worker dies with it, as any victim of a kill; it is never blamed for the value.
      if (r instanceof Error) assert.ok(r instanceof WorkerCrashedError, `round ${round}, task ${i}: ${r.name}: ${r.message}`);
      else assert.equal(r, round * 10 + i);
    }
  }
  const twice = [...executions(file)].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no task ran twice');
  if (!isThread) {
    // A worker process's result names its task and the one it started next
    // (protocol/done-head.ts): nothing is lost, so nothing is killed and no
    // neighbour fails. (A thread's message that did not decode names nothing:
    // that worker is replaced, above.)
    assert.deepEqual(exits, [], 'no worker was replaced');
    assert.equal(executions(file).size, 8 * 6, 'every neighbour ran');
    assert.equal(pool.stats().failed.crash, 0, 'no neighbour failed as a crash victim');
  }
});

test(`[${runtime}] a task a worker started right after a result that cannot be read runs once and keeps its result, however long it runs`, { ...NO_HANG, skip: LOCAL }, async () => {
  // The unreadable result names the task started next (`nx`), which is
  // still running when the pool gives up reading it. The pool used to kill
  // the worker for the lost frame: that task died with it as a crash victim,
  // or, taken for unstarted, could be sent again while it had already begun.
  await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent' });
  await pool.ready();
  const file = sideFile();
  for (let round = 0; round < 4; round++) {
    const bad = pool.apply('returnDeepAfterBulk', [UNREADABLE]).catch((e: Error) => e);
    const slow = pool.apply('countSlowly', [file, round, 300]).catch((e: Error) => e);
    assert.ok(await bad instanceof DataCloneError);
    const r = await slow;
    // Under threads the worker is replaced for the lost message: the neighbour it was running is a victim of that kill.
    if (isThread && r instanceof Error) assert.ok(r instanceof WorkerCrashedError, `${r.name}: ${r.message}`);
    else assert.equal(r, round);
  }
  const twice = [...executions(file)].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no task ran twice');
});

for (const [kind, processFails, threadFails] of [
  ['function', true, true], ['symbol', true, true], ['sharedArrayBuffer', true, false], ['messagePort', true, true],
  ['throwingGetter', true, true], ['proxy', true, true], ['throwingProxy', true, true],
] as const) {
  test(`[${runtime}] a result holding a ${kind} fails its task once, typed; no crash, no retry`, { ...NO_HANG, skip: LOCAL }, async () => {
    await using pool = await makePool<typeof deep>(TASKS, { processes: 1, runtime, logs: 'silent', retries: 2 });
    const file = sideFile();
    const r = await pool.apply('returnUnsendable', [file, kind]).then((v) => v, (e: Error) => e);
    if (isThread ? threadFails : processFails) {
      assert.ok(r instanceof Error, `${kind}: resolved`);
      // A Proxy whose every property read throws fails as a thenable does: with what its trap threw.
      if (kind === 'throwingProxy') assert.equal(r.message, 'proxy boom');
      else {
        assert.ok(r instanceof DataCloneError, `${kind}: ${String(r)}`);
        assert.match(r.message, new RegExp(`^Could not send the result ${BETWEEN}: `));
        assert.ok(!r.message.includes('\n'), `one line: ${r.message.slice(0, 200)}`);
      }
    } else {
      assert.ok(!(r instanceof Error), `${kind}: ${String(r)}`);
    }
    assert.deepEqual([...executions(file).values()], [1], 'ran once');
    await poolIsWhole(pool);
  });
}
