// A JoinableQueue consumer that dies holding items it took and never marked
// done: those items go back to the front of the queue, still unfinished, so
// another consumer does the work and join() resolves. Before, they were gone:
// qsize() said 0 and join() never resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { JoinableQueue, Manager } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';
import { eventually, pidAlive } from '../helpers.ts';

const CHECKS = new URL('../fixtures/shared/checks.mjs', import.meta.url);
const pool = (): Pool => new Pool(CHECKS, { processes: 1, runtime, logs: 'silent' });
/** A join that would hang fails the test instead. */
const join = (jq: JoinableQueue, ms = 5000): Promise<void> => jq.join({ signal: AbortSignal.timeout(ms) });

const deaths = runtime === 'process' ? ['exit', 'SIGKILL by pid'] as const : ['exit'] as const;

for (const how of deaths) {
  test(`[${runtime}] a JoinableQueue consumer that dies (${how}) after taking 3 items and marking 1 done: the 2 others come back first, in order, and join() resolves once they are done`, async () => {
    await using p = pool();
    await using m = new Manager();
    const jq = new JoinableQueue<string>();
    for (const x of ['a', 'b', 'c', 'd', 'e']) await jq.put(x);
    const report = m.value<{ pid: number; got: string[] } | null>(null);
    const task = p.apply('jqTakeThenDie', [jq, 3, 1, report, how === 'exit' ? 'exit' : 'wait']);
    task.catch(() => {});
    assert.ok(await eventually(async () => (await report.get()) !== null, 5000), 'the consumer took its items');
    const { pid, got } = (await report.get())!;
    assert.deepEqual(got, ['a', 'b', 'c']);
    const joined = join(jq, 8000);
    if (how !== 'exit') process.kill(pid, 'SIGKILL');
    await assert.rejects(task, { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
    if (runtime === 'process') assert.ok(await eventually(() => !pidAlive(pid), 2000));
    assert.equal(await jq.qsize(), 4, 'b and c are back, with d and e');
    // Another consumer (the replacement worker) does the work; join() then resolves.
    assert.deepEqual(await p.apply('jqWork', [jq, 4]), ['b', 'c', 'd', 'e']);
    await joined;
    assert.equal(await jq.qsize(), 0);
  });
}

test(`[${runtime}] a JoinableQueue consumer that marked everything it took done and then dies puts nothing back`, async () => {
  await using p = pool();
  await using m = new Manager();
  const jq = new JoinableQueue<number>();
  for (let i = 0; i < 20; i++) await jq.put(i);
  const report = m.value<unknown>(null);
  await assert.rejects(p.apply('jqTakeThenDie', [jq, 20, 20, report, 'exit']), { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
  assert.equal(await jq.qsize(), 0);
  await join(jq);
});

test(`[${runtime}] taskDone() from the main process for a worker's item settles that item: the worker's death then puts back only the rest`, async () => {
  const p = pool();
  await using m = new Manager();
  const jq = new JoinableQueue<string>();
  for (const x of ['a', 'b']) await jq.put(x);
  const report = m.value<unknown>(null);
  p.apply('jqTakeThenDie', [jq, 2, 0, report, 'wait']).catch(() => {});
  assert.ok(await eventually(async () => (await report.get()) !== null, 5000), 'the consumer took a and b');
  await jq.taskDone(); // the main process finishes a for the worker (it owes nothing itself)
  await p.terminate(); // the worker dies holding b
  assert.equal(await jq.qsize(), 1);
  assert.equal(await jq.get(), 'b');
  await jq.taskDone();
  await join(jq);
  await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
});
