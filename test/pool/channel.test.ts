/**
 * What a worker sends can never crash or hang the main process: a closed or
 * corrupt event channel is a crash of that worker, a message too deep to
 * decode fails only its task, and hostile error names come back as plain
 * Errors with that name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError, DataCloneError } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, isThread, localOnly, makePool, onRedis } from '../helpers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const opts = { processes: 2, runtime, logs: 'silent' } as const;
const PROCESS_ONLY = 'fd 4 is the process runtime\'s event pipe; threads have no such channel';

test('a worker that closes its event channel fails its running task with WorkerCrashedError and is replaced', { skip: isThread && PROCESS_ONLY }, async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const err = await pool.apply('closeEvents', []).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, /closed its event channel/);
  assert.equal(await pool.apply('quick', [3]), 3);
  await pool.terminate();
});

test('a worker that closes its command channel is replaced: the task it never received runs on the next worker, and nothing waits forever', { skip: isThread && PROCESS_ONLY, timeout: 60_000 }, async () => {
  // Once it has run a task its reader no longer notices the close: the next task's write is what fails.
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 1 });
  assert.equal(await pool.apply('quick', [1]), 1);
  assert.equal(await pool.apply('closeCommands', []), 'closed');
  const exits: string[] = [];
  pool.on('workerExit', (e) => exits.push(e.reason));
  assert.equal(await pool.apply('quick', [2]), 2);
  assert.deepEqual(await pool.map('quick', [3, 4, 5]), [3, 4, 5]);
  // On the backend the worker is a node's, and so is its exit event.
  if (!onRedis) assert.deepEqual(exits, ['protocol']);
  await pool.terminate();
});

test('a worker that writes a frame claiming 2 GB is killed; its task fails and the pool goes on', { skip: isThread && PROCESS_ONLY }, async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const err = await pool.apply('writeGarbage', []).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, /frame announced/);
  assert.deepEqual(await pool.map('quick', [1, 2, 3]), [1, 2, 3]);
  await pool.terminate();
});

// Well-formed frames, wrong events: each once crashed the main process (a TypeError thrown
// from the pipe reader) or, for `recycle`, left the next call and join() waiting forever.
const FORGED: Array<[string, unknown]> = [
  ['null', null],
  ['a startError without its error', { t: 'startError', phase: 'import', e: null }],
  ['returned ids that are not a list', { t: 'returned', ids: null }],
  ['a result whose error list holds null', { t: 'done', id: 1, ms: 1, e: [[0, null]] }],
  ['a recycle whose ids are a string', { t: 'recycle', mem: 'x', returned: 'nope' }],
  ['overLimit from a pool with no memory cap', { t: 'overLimit', mem: 1e12 }],
];
for (const [what, event] of FORGED) {
  test(`a worker that sends ${what} is killed as a protocol failure: its task fails, the pool goes on`, { skip: localOnly('the node judges its own worker; the client sees no workerExit') || (isThread && PROCESS_ONLY) }, async () => {
    const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 1 });
    const reasons: string[] = [];
    pool.on('workerExit', (e) => reasons.push(e.reason));
    const err = await pool.apply('forgeEvent', [event]).then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof WorkerCrashedError, String(err));
    assert.match(err.message, /sent an event the protocol does not allow/);
    assert.deepEqual(reasons, ['protocol']);
    assert.equal(await pool.apply('quick', [3]), 3);
    pool.close();
    await pool.join();
  });
}

test('a worker that sends an unreadable result for a task it was never given is killed: its task fails, the pool goes on', { skip: localOnly('the node judges its own worker; the client sees no workerExit') || (isThread && PROCESS_ONLY), timeout: 60_000 }, async () => {
  // Garbage that happens to look like a result's head (protocol/done-head.ts)
  // must not pass for one: the head names a task this worker does not hold.
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 1 });
  const reasons: string[] = [];
  pool.on('workerExit', (e) => reasons.push(e.reason));
  const err = await pool.apply('forgeLostResult', [987_654_321]).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof DataCloneError, String(err));
  assert.deepEqual(reasons, ['protocol']);
  assert.equal(await pool.apply('quick', [3]), 3);
  pool.close();
  await pool.join();
});

test('a result nested too deep to decode fails that task alone and the main process survives', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  for (const depth of [2000, 5000, 20000]) {
    const r = await pool.apply('deep', [depth]).then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
    if (!r.ok) assert.ok(r.e instanceof DataCloneError || r.e instanceof WorkerCrashedError, `depth ${depth}: ${String(r.e)}`);
  }
  assert.equal(await pool.apply('quick', [9]), 9, 'the pool keeps working');
  await pool.terminate();
});

for (const name of ['toString', 'valueOf', '__proto__', 'hasOwnProperty', 'constructor']) {
  test(`an error named ${JSON.stringify(name)} rejects with an Error of that name; the main process survives`, async () => {
    const pool = await makePool<typeof abuse>(TASKS, opts);
    const err = await pool.apply('throwNamed', [name]).then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof Error, `got ${typeof err}`);
    assert.equal(err.name, name);
    assert.equal(err.message, `named ${name}`);
    await pool.terminate();
  });
}

test('an error with an own `__proto__` property keeps Error.prototype and its other properties', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const err = await pool.apply('throwProtoProp', []).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof Error);
  assert.equal(Object.getPrototypeOf(err), Error.prototype);
  assert.equal(err.code, 'E_OWN');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  await pool.terminate();
});

test('a thrown error that cannot be read (throwing getters, no toString) fails its task with what could be read; nothing hangs, no worker dies, no retry', async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, retries: 2 });
  for (const async of [false, true]) {
    const err = await pool.apply('throwUnreadable', [async]).then(() => assert.fail('resolved'), (e: Error) => e);
    assert.ok(err instanceof Error && !(err instanceof WorkerCrashedError), `${async ? 'async' : 'sync'}: ${String(err)}`);
    assert.match(err.message, /could not be read/);
  }
  const bare = await pool.apply('throwBareObject', []).then(() => assert.fail('resolved'), (e: Error) => e);
  assert.match(String((bare as { value?: unknown }).value ?? bare.message), /\[object Object\]/);
  // A chunk of map, whose failure used to be swallowed in the worker: the call settles.
  await assert.rejects(pool.map('throwUnreadable', [true, true, true], { chunksize: 3 }), /could not be read/);
  const stats = pool.stats();
  assert.equal(stats.retried, 0, 'a task that threw is not retried, even with retries: 2');
  assert.equal(stats.failed.crash, 0, 'no worker died');
  pool.close();
  await pool.join();
});

test('an argument or a result over the 1 GiB frame limit fails its task with DataCloneError: the worker is not killed for it, nothing is re-sent forever', { skip: (isThread && 'threads post messages: no frame limit') || localOnly('a job crosses Redis as base64 text, whose own limit (512M characters) comes first') }, async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, retries: 1 });
  const over = 1024 * 1024 * 1024 + 1;
  const arg = await pool.apply('byteLength', [Buffer.alloc(over)]).then(() => assert.fail('resolved'), (e: Error) => e);
  assert.ok(arg instanceof DataCloneError, String(arg));
  assert.match(arg.message, /arguments of task "byteLength"/);
  assert.match(String((arg as Error & { cause?: Error }).cause?.message), /over the 1073741824-byte limit of one frame/);
  const result = await pool.apply('bigResult', [over]).then(() => assert.fail('resolved'), (e: Error) => e);
  assert.ok(result instanceof DataCloneError, String(result));
  const stats = pool.stats();
  assert.equal(stats.failed.crash, 0, 'no worker died');
  assert.equal(stats.retried, 0);
  assert.equal(await pool.apply('quick', [5]), 5);
  await pool.terminate();
});
