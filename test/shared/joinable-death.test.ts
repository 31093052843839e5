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

const JQ = new URL('../fixtures/shared/joinable.mjs', import.meta.url);
const pool = (): Pool => new Pool(JQ, { processes: 1, runtime, logs: 'silent' });
/** A join that would hang fails the test instead. */
const join = (jq: JoinableQueue, ms = 10_000): Promise<void> => jq.join({ signal: AbortSignal.timeout(ms) });

type Report = { pid: number; got: string[] } | null;

const deaths = runtime === 'process' ? ['process.exit', 'SIGKILL by pid', 'task timeout'] as const : ['process.exit', 'task timeout'] as const;

for (const how of deaths) {
  test(`[${runtime}] a JoinableQueue consumer that dies (${how}) after taking 3 items and marking 1 done: the 2 others come back first, in order, and join() resolves once they are done`, async () => {
    await using p = pool();
    await using m = new Manager();
    const jq = new JoinableQueue<string>();
    for (const x of ['a', 'b', 'c', 'd', 'e']) await jq.put(x);
    const report = m.value<Report>(null);
    // A timeout long enough for the takes on a loaded host; the task then waits to be killed.
    const opts = how === 'task timeout' ? { timeout: 3000 } : {};
    const task = p.apply('jqTakeThenDie', [jq, 3, 1, report, how === 'process.exit' ? 'exit' : 'wait'], opts);
    task.catch(() => {});
    assert.ok(await eventually(async () => (await report.get()) !== null, 10_000), 'the consumer took its items');
    const { pid, got } = (await report.get())!;
    assert.deepEqual(got, ['a', 'b', 'c']);
    const joined = join(jq, 20_000);
    if (how === 'SIGKILL by pid') process.kill(pid, 'SIGKILL');
    await assert.rejects(task, { code: how === 'task timeout' ? 'ERR_FORKPOOL_TASK_TIMEOUT' : 'ERR_FORKPOOL_WORKER_CRASHED' });
    if (runtime === 'process') assert.ok(await eventually(() => !pidAlive(pid), 5000));
    assert.ok(await eventually(async () => (await jq.qsize()) === 4, 5000), 'b and c are back, with d and e');
    // Another consumer (the replacement worker) does the work; join() then resolves.
    assert.deepEqual(await p.apply('jqWork', [jq, 4]), ['b', 'c', 'd', 'e']);
    await joined;
    assert.equal(await jq.qsize(), 0);
    await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
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

test(`[${runtime}] a plain Queue consumer that dies holding items does not get them back (at most once)`, async () => {
  await using p = pool();
  await using m = new Manager();
  const { Queue } = await import('../../dist/shared/index.js');
  const q = new Queue<string>();
  for (const x of ['a', 'b', 'c']) await q.put(x);
  const report = m.value<unknown>(null);
  // jqTakeThenDie with 0 marked done never calls taskDone, which a plain Queue lacks.
  await assert.rejects(p.apply('jqTakeThenDie', [q, 2, 0, report, 'exit']), { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
  assert.equal(await q.qsize(), 1);
  assert.equal(await q.get(), 'c');
});
