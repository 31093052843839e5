// Which JoinableQueue items a consumer's death puts back: only those a worker
// took and never marked done, while the task that took them was running.
// Regression tests for the two faults of the first attempt (adec8fa, reverted
// in 4dfb522): a taskDone() from the main process for an item a worker took
// from its read-ahead settled nothing, so the worker's death put back an item
// counted done (and a later taskDone() threw InvalidStateError); and a task
// that returned without taskDone() had its items put back when its worker was
// recycled or its pool closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'forkpool';
import { JoinableQueue, Manager } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';
import { eventually } from '../helpers.ts';

const JQ = new URL('../fixtures/shared/joinable.mjs', import.meta.url);
const pool = (opts: { maxTasksPerChild?: number } = {}): Pool => new Pool(JQ, { processes: 1, runtime, logs: 'silent', ...opts });
/** A join that would hang fails the test instead. */
const join = (jq: JoinableQueue, ms = 10_000): Promise<void> => jq.join({ signal: AbortSignal.timeout(ms) });
/** 'waiting' if join() has not resolved within `ms` (bounded: a wrong put-back would have resolved it at once or made it unreachable). */
const stillWaiting = async (jq: JoinableQueue, ms = 300): Promise<string> => {
  const ac = new AbortController();
  const r = await Promise.race([jq.join({ signal: ac.signal }).then(() => 'resolved', () => 'aborted'), delay(ms, 'waiting')]);
  ac.abort();
  return r;
};
const letters = (n: number): string[] => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));

type Report = { pid: number; got: string[] } | null;

for (const [took, doneByMain] of [[1, 1], [4, 2]] as const) {
  test(`[${runtime}] taskDone() from the main process for ${doneByMain} of the ${took} items a worker took (read-ahead included) settles them: the worker's death puts back only the rest, and no taskDone() fails`, async () => {
    await using p = pool();
    await using m = new Manager();
    const jq = new JoinableQueue<string>();
    const items = letters(10);
    for (const x of items) await jq.put(x);
    const report = m.value<Report>(null);
    const kill = m.event();
    const task = p.apply('jqTakeThenDie', [jq, took, 0, report, runtime === 'process' ? 'wait' : kill]);
    task.catch(() => {});
    assert.ok(await eventually(async () => (await report.get()) !== null, 10_000), 'the worker took its items');
    const { pid, got } = (await report.get())!;
    assert.deepEqual(got, items.slice(0, took));
    // The main process finishes the worker's first items (it took none itself).
    for (let i = 0; i < doneByMain; i++) await jq.taskDone();
    if (runtime === 'process') process.kill(pid, 'SIGKILL');
    else await kill.set();
    await assert.rejects(task, { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
    const back = items.slice(doneByMain);
    assert.ok(await eventually(async () => (await jq.qsize()) === back.length, 5000), `the ${took - doneByMain} not marked done are back, not the ones counted done`);
    const rest: string[] = [];
    for (let i = 0; i < back.length; i++) { rest.push(await jq.get({ timeout: 5000 })); await jq.taskDone(); }
    assert.deepEqual(rest, back);
    await join(jq);
    await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
  });
}

const cleanExits = [
  ['recycled by maxTasksPerChild, then the pool closed', 'recycle'],
  ['stopped by the pool\'s close()', 'shutdown'],
] as const;

for (const [how, reason] of cleanExits) {
  test(`[${runtime}] a task that returned without taskDone(): its worker ${how}, the items are not put back and join() still waits for them`, async () => {
    const p = pool(reason === 'recycle' ? { maxTasksPerChild: 1 } : {});
    const jq = new JoinableQueue<string>();
    for (const x of ['a', 'b', 'c']) await jq.put(x);
    const exited = once(p, 'workerExit');
    assert.deepEqual(await p.apply('jqTakeAndReturn', [jq, 2]), ['a', 'b']);
    if (reason === 'recycle') assert.equal((await exited)[0].reason, 'recycle');
    p.close();
    await p.join();
    if (reason === 'shutdown') assert.equal((await exited)[0].reason, 'shutdown');
    assert.equal(await jq.qsize(), 1, 'only c is in the queue');
    assert.equal(await stillWaiting(jq), 'waiting', 'a and b are still unfinished');
    // The caller finishes them (it has the task's result), then c.
    await jq.taskDone();
    await jq.taskDone();
    assert.equal(await jq.get({ timeout: 0 }), 'c');
    await jq.taskDone();
    await join(jq);
    await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
  });
}

test(`[${runtime}] a worker stopped by terminate() mid-task does not put back the items its task took`, async () => {
  const p = pool();
  await using m = new Manager();
  const jq = new JoinableQueue<string>();
  for (const x of ['a', 'b', 'c']) await jq.put(x);
  const report = m.value<Report>(null);
  const task = p.apply('jqTakeThenDie', [jq, 2, 0, report, 'wait']);
  task.catch(() => {});
  assert.ok(await eventually(async () => (await report.get()) !== null, 10_000));
  await p.terminate();
  await assert.rejects(task, { code: 'ERR_FORKPOOL_TERMINATED' });
  assert.equal(await jq.qsize(), 1);
  assert.equal(await stillWaiting(jq), 'waiting');
});

test(`[${runtime}] a task that returned keeps its items when its worker dies in a later task: only the later task's item comes back`, async () => {
  await using p = pool();
  await using m = new Manager();
  const jq = new JoinableQueue<string>();
  for (const x of ['a', 'b', 'c']) await jq.put(x);
  assert.deepEqual(await p.apply('jqTakeAndReturn', [jq, 1]), ['a']);
  const report = m.value<Report>(null);
  await assert.rejects(p.apply('jqTakeThenDie', [jq, 1, 0, report, 'exit']), { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
  assert.deepEqual((await report.get())?.got, ['b']);
  assert.equal(await jq.qsize(), 2, 'b is back before c; a is not');
  assert.equal(await jq.get({ timeout: 0 }), 'b');
  await jq.taskDone();
  assert.equal(await stillWaiting(jq), 'waiting', 'a and c are unfinished');
  await jq.taskDone(); // a, finished by the caller
  assert.equal(await jq.get({ timeout: 0 }), 'c');
  await jq.taskDone();
  await join(jq);
});
