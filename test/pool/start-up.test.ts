/**
 * A worker's start-up: what it does before `ready` still works now that a
 * worker process reads its commands only from `ready` on (or from its
 * initializer on), and builds its stdout and stderr only when first used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, Queue } from 'forkpool';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

test(`[${runtime}] output a module writes while it loads arrives, from each worker, with no task`, { skip: localOnly("a node's workers load the module before any pool exists: that output is the node's own log") }, async () => {
  const lines: Array<{ workerId: number; taskId: number | null; text: string; stream: string }> = [];
  await using pool = await makePool(fixture('start-up.mjs'), { processes: 2, runtime, logs: (l) => lines.push(l) });
  await pool.ready();
  // A task's own line comes after the load-time ones of its worker: wait for it.
  await pool.apply('stdoutFacts');
  const loaded = lines.filter((l) => l.text.startsWith('loaded: '));
  assert.deepEqual(loaded.map((l) => `${l.workerId} ${l.stream} ${l.text}`).sort(), [
    '1 stderr loaded: stderr', '1 stdout loaded: stdout', '2 stderr loaded: stderr', '2 stdout loaded: stdout',
  ]);
  assert.ok(loaded.every((l) => l.taskId === null), JSON.stringify(loaded));
});

test(`[${runtime}] a task's process.stdout is one stream, Node's own, whose writes reach the pool before the task's result`, async () => {
  const lines: string[] = [];
  await using pool = await makePool(fixture('start-up.mjs'), { processes: 1, runtime, logs: (l) => lines.push(l.text) });
  const facts = await pool.apply('stdoutFacts', [2000]);
  assert.deepEqual(facts, { same: true, fd: runtime === 'process' ? 1 : undefined, writable: true, isTTY: false, called: true });
  // Captured writes travel with the result, in order: all of them are here already.
  const written = lines.filter((l) => l.startsWith('line '));
  assert.equal(written.length, 2000);
  assert.equal(written[1999], 'line 1999');
  assert.ok(lines.includes('with a callback'), JSON.stringify(lines.slice(-3)));
});

test(`[${runtime}] each line is tagged with the task that wrote it, also with two tasks running at once in one worker`, { skip: localOnly('`concurrentTasksPerWorker` is refused beside `backend`') }, async () => {
  const lines: Array<{ taskId: number | null; text: string }> = [];
  await using pool = await makePool(fixture('start-up.mjs'), { processes: 1, runtime, concurrentTasksPerWorker: 2, logs: (l) => lines.push(l) });
  const [a, b] = await Promise.all([pool.apply('interleaved', ['A', 20]), pool.apply('interleaved', ['B', 20])]);
  for (const [tag, id] of [['A', a], ['B', b]] as const) {
    const mine = lines.filter((l) => l.text.startsWith(`${tag} `));
    assert.equal(mine.length, 20);
    assert.deepEqual([...new Set(mine.map((l) => l.taskId))], [id], `${tag}'s lines name task ${id}`);
  }
});

test(`[${runtime}] an initializer can wait on a shared object from its initargs (its replies come before the worker is ready)`, { skip: localOnly('`initializer` is refused beside `backend`') }, async () => {
  const queue = new Queue<string>();
  await using pool = new Pool(fixture('start-up.mjs'), { processes: 2, runtime, logs: 'silent', initializer: 'waitForItem', initargs: [queue] });
  const ready = pool.ready();
  // Each worker's initializer is blocked in get() until an item arrives.
  await new Promise((r) => setTimeout(r, 200));
  await queue.put('first');
  await queue.put('second');
  await ready;
  const seen = await Promise.all([pool.apply('itemSeen'), pool.apply('itemSeen')]);
  assert.deepEqual(seen.sort(), ['first', 'second']);
});

test(`[${runtime}] a worker with no task yet keeps running its module after ready (its timers tick)`, { skip: localOnly("a node's workers are started by the node") }, async () => {
  const ticks = new Map<number, number>();
  await using pool = await makePool(fixture('ticker.mjs'), {
    processes: 2, runtime, logs: (l) => { if (l.text === 'tick') ticks.set(l.workerId, (ticks.get(l.workerId) ?? 0) + 1); },
  });
  await pool.ready();
  // One task: one worker gets it, the other is answered with nothing to do.
  assert.equal(await pool.apply('noop'), 1);
  ticks.clear();
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual([...ticks.keys()].sort(), [1, 2], `ticks per worker: ${JSON.stringify([...ticks])}`);
  for (const [id, n] of ticks) assert.ok(n >= 5, `worker ${id} ticked ${n} times in 400 ms`);
});


test(`[${runtime}] a worker that starts and runs single calls of plain values never loads node:v8 (about 4 ms of its start-up)`, { skip: localOnly("a node's workers are started by the node") }, async () => {
  await using pool = await makePool(fixture('start-up.mjs'), { processes: 1, runtime, logs: 'silent' });
  assert.equal(await pool.apply('v8Loaded', [1, 'two', null]), false);
  assert.equal(await pool.apply('v8Loaded'), false);
  // An argument only V8 carries loads it in a worker process, when first needed (a thread gets it by postMessage).
  assert.equal(await pool.apply('v8Loaded', [new Map([[1, 2]])]), runtime === 'process');
});
