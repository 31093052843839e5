// A JoinableQueue consumer that dies while another task runs beside it in the
// same worker (concurrentTasksPerWorker: 2). What each task took is its own:
// the other task's end or its taskDone() must not free the items the dying
// task still holds. Before, the hub knew only which worker had taken an item:
// the sibling's end freed the holder's items too, and its taskDone() could
// settle the holder's oldest item, so on the holder's death nothing came back
// and join() waited for taskDone() calls that would never come.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { JoinableQueue, Manager, type SharedDict } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';
import { eventually } from '../helpers.ts';

const FIXTURE = new URL('../fixtures/shared/joinable-concurrent.mjs', import.meta.url);

async function setUp(m: Manager): Promise<{ p: Pool; jq: JoinableQueue<string>; report: SharedDict<string[]> }> {
  const jq = new JoinableQueue<string>();
  for (const x of ['a', 'b', 'c', 'd', 'e']) await jq.put(x);
  const report = m.dict<string[]>();
  const p = new Pool(FIXTURE, {
    processes: 1, runtime, logs: 'silent', concurrentTasksPerWorker: 2, initializer: 'keep', initargs: [jq, report],
  });
  return { p, jq, report };
}

/** Starts the holder (killed by its 3 s timeout) and waits until it has taken its items. */
async function startHolder(p: Pool, report: SharedDict<string[]>, n: number): Promise<{ holder: Promise<unknown> }> {
  const holder = p.apply('holdThenWait', [n, 'holder'], { timeout: 3000 });
  holder.catch(() => {});
  assert.ok(await eventually(async () => (await report.get('holder')) !== undefined, 10_000), 'the holder took its items');
  // In an object: an async function returning the promise itself would wait for it.
  return { holder };
}

test(`[${runtime}] a task ending beside a JoinableQueue consumer does not free the items that consumer still holds: they come back when it dies`, async () => {
  await using m = new Manager();
  const { p, jq, report } = await setUp(m);
  await using _pool = p;
  const { holder } = await startHolder(p, report, 2);
  assert.deepEqual(await report.get('holder'), ['a', 'b']);
  // The sibling runs on the same worker while the holder waits, takes one item and returns it unfinished.
  assert.deepEqual(await p.apply('takeAndReturn', [1]), ['c']);
  await jq.taskDone(); // the main process finishes the sibling's item
  await assert.rejects(holder, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  // a and b are back at the front, with d and e behind them (before: qsize 2).
  assert.ok(await eventually(async () => (await jq.qsize()) === 4, 5000), `qsize ${await jq.qsize()}, expected 4`);
  assert.deepEqual(await p.apply('takeMarkAndReturn', [4]), ['a', 'b', 'd', 'e']);
  await jq.join({ signal: AbortSignal.timeout(10_000) });
  await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
});

test(`[${runtime}] taskDone() in a task settles that task's own item, never the one a task beside it is still working on`, async () => {
  await using m = new Manager();
  const { p, jq, report } = await setUp(m);
  await using _pool = p;
  const { holder } = await startHolder(p, report, 1);
  assert.deepEqual(await report.get('holder'), ['a']);
  // The sibling takes b and marks it done: that settles b, not the holder's older a.
  assert.deepEqual(await p.apply('takeMarkAndReturn', [1]), ['b']);
  await assert.rejects(holder, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  // a comes back first (before: nothing came back, and a was never processed).
  assert.ok(await eventually(async () => (await jq.qsize()) === 4, 5000), `qsize ${await jq.qsize()}, expected 4`);
  assert.deepEqual(await p.apply('takeMarkAndReturn', [4]), ['a', 'c', 'd', 'e']);
  await jq.join({ signal: AbortSignal.timeout(10_000) });
});

test(`[${runtime}] taskDone() in a task that holds no item settles one whose task ended, not one a running task holds`, async () => {
  await using m = new Manager();
  const { p, jq, report } = await setUp(m);
  await using _pool = p;
  // c is taken by a task that returns it unfinished: its task has ended.
  const { holder } = await startHolder(p, report, 2);
  assert.deepEqual(await p.apply('takeAndReturn', [1]), ['c']);
  // A task holding nothing finishes work handed on: c's, not the holder's a.
  await p.apply('markOne', []);
  await assert.rejects(holder, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  assert.ok(await eventually(async () => (await jq.qsize()) === 4, 5000), `qsize ${await jq.qsize()}, expected 4`);
  assert.deepEqual(await p.apply('takeMarkAndReturn', [4]), ['a', 'b', 'd', 'e']);
  await jq.join({ signal: AbortSignal.timeout(10_000) });
});
