import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, AsyncResult, PoolClosedError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, onRedis, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('apply runs a task in a worker and resolves with its result', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.equal(await pool.apply('double', [21]), 42);
  assert.equal(await pool.apply('add', [2, 3]), 5);
  assert.equal(await pool.apply('slowDouble', [4, 1]), 8);
  // On the backend the task runs in a node's local worker: another process too.
  if (runtime === 'process') assert.notEqual(await pool.apply('pid'), process.pid);
});

test('applyAsync returns an awaitable AsyncResult and calls callback once with one argument', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const seen: unknown[][] = [];
  const r = pool.applyAsync('double', [5], { callback: (...a: unknown[]) => seen.push(a) });
  assert.ok(r instanceof AsyncResult);
  assert.equal(await r, 10);
  assert.deepEqual(seen, [[10]]);
  assert.equal(r.ready(), true);
  assert.equal(r.successful(), true);
});

test('errorCallback receives the error once and the AsyncResult rejects with it', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const seen: unknown[] = [];
  const r = pool.applyAsync('fail', ['boom'], { errorCallback: (e) => seen.push(e) });
  await assert.rejects(r.get(), { name: 'RangeError', message: 'boom' });
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as Error).message, 'boom');
  assert.equal(r.successful(), false);
});

test('map returns results in input order, with the default and with explicit chunksizes', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const input = Array.from({ length: 1000 }, (_, i) => i);
  const expected = input.map((x) => x * 2);
  assert.deepEqual(await pool.map('double', input), expected);
  assert.deepEqual(await pool.map('double', input, { chunksize: 1 }), expected);
  assert.deepEqual(await pool.map('double', input, { chunksize: 333 }), expected);
  assert.deepEqual(await pool.map('double', new Set([1, 2, 3])), [2, 4, 6]);
  assert.deepEqual(await pool.map('double', []), []);
});

test('map rejects with the failing item\'s error', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  await assert.rejects(pool.map('fail', ['a', 'b']), { name: 'RangeError' });
});

test('mapAsync calls callback with the whole list', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  let got: number[] | undefined;
  const r = pool.mapAsync('double', [1, 2, 3], { callback: (list) => { got = list; } });
  assert.deepEqual(await r, [2, 4, 6]);
  assert.deepEqual(got, [2, 4, 6]);
});

test('starmap and starmapAsync spread each element as arguments', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.deepEqual(await pool.starmap('add', [[1, 2], [3, 4], [5, 6]]), [3, 7, 11]);
  assert.deepEqual(await pool.starmapAsync('add', [[1, 1]], { chunksize: 1 }), [2]);
});

test('imap yields in input order from a sync or async iterable', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const out: number[] = [];
  for await (const v of pool.imap('slowDouble', [5, 1, 4, 2, 3])) out.push(v);
  assert.deepEqual(out, [10, 2, 8, 4, 6]);
  async function* gen() { for (let i = 0; i < 50; i++) yield i; }
  const out2: number[] = [];
  for await (const v of pool.imap('double', gen(), { chunksize: 7 })) out2.push(v);
  assert.deepEqual(out2, Array.from({ length: 50 }, (_, i) => i * 2));
});

test('imapUnordered yields every result once, in completion order', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const out: number[] = [];
  for await (const v of pool.imapUnordered('double', Array.from({ length: 100 }, (_, i) => i))) out.push(v);
  assert.deepEqual([...out].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i * 2));
});

test('imap throws the failing item\'s error at its position', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const got: string[] = [];
  await assert.rejects(async () => {
    for await (const v of pool.imap('echo', ['a', 'b'])) got.push(v as string);
    for await (const _ of pool.imap('fail', ['x'])) { /* throws */ }
  }, { message: 'x' });
  assert.deepEqual(got, ['a', 'b']);
});

test('imapSettled reports every item, failures included, with index and worker', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const items = [];
  for await (const s of pool.imapSettled('throwValue', [1, 2], { ordered: true })) items.push(s);
  assert.deepEqual(items.map((s) => [s.index, s.ok]), [[0, false], [1, false]]);
  assert.ok(items.every((s) => s.workerId > 0));
});

test('ready() resolves once every worker has loaded the module', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, processes: 3 });
  await pool.ready();
  const stats = pool.stats();
  // On the backend `workers` are the live nodes serving the module: the run's 2.
  assert.equal(stats.workers.length, onRedis ? 2 : 3);
});

test('ready() still pending when close() is called rejects with PoolClosedError, and join() returns', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, processes: 2 });
  const waiting = pool.ready();
  pool.close();
  await assert.rejects(waiting, (e: Error) => e instanceof PoolClosedError && /ready/.test(e.message));
  await assert.rejects(pool.ready(), PoolClosedError);
  await pool.join();
});

for (const [file, name, arg, want] of [
  ['plain.js', 'inc', 1, 2], ['esm.mjs', 'quad', 2, 8], ['common.cjs', 'triple', 2, 6],
  ['basic.ts', 'double', 3, 6], ['typed.mts', 'half', 8, 4],
] as const) {
  test(`a ${file.split('.').pop()} module works without a build step`, async () => {
    await using pool = await makePool(fixture(file), { ...opts, processes: 1 });
    assert.equal(await pool.apply(name, [arg]), want);
  });
}

test('the module may be a relative path, an absolute path or a file: URL string', async () => {
  const url = fixture('plain.js');
  const abs = new URL(url).pathname;
  const rel = abs.slice(process.cwd().length + 1);
  for (const m of [rel, abs, url.href]) {
    await using pool = await makePool(m, { ...opts, processes: 1 });
    assert.equal(await pool.apply('inc', [1]), 2);
  }
});

test('an initializer runs once in each worker before its first task, with initargs', { skip: localOnly('`initializer` is refused beside `backend` (not supported by forkpool worker yet)') }, async () => {
  await using pool = await makePool(fixture('init.mjs'), { ...opts, processes: 1, initializer: 'setup', initargs: ['tag', 7] });
  const a = await pool.apply('readState');
  const b = await pool.apply('readState');
  assert.deepEqual([a.state, a.calls], ['tag:7', 1]);
  assert.equal(b.calls, 1);
});

test('worker console output arrives as whole lines tagged with worker and task', async () => {
  const lines: Array<{ workerId: number; taskId: number | null; text: string; stream: string }> = [];
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { ...opts, logs: (l) => lines.push(l) });
  await pool.map('log', ['one', 'two', 'three'], { chunksize: 1 });
  assert.deepEqual(lines.map((l) => l.text).sort(), ['one', 'three', 'two']);
  assert.ok(lines.every((l) => l.workerId > 0 && typeof l.taskId === 'number' && l.stream === 'stdout'));
});

test('map\'s default chunksize adapts: cheap items travel in big chunks, slow items one by one; an explicit chunksize wins', async () => {
  const chunksRun = (pool: Pool<typeof basic>) => pool.stats().workers.reduce((n, w) => n + w.tasksDone, 0);
  {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    await pool.ready();
    const input = Array.from({ length: 20_000 }, (_, i) => i);
    assert.deepEqual(await pool.map('double', input), input.map((x) => x * 2));
    const chunks = chunksRun(pool);
    // 2 probe chunks, then at most CPython's n / (4 × processes) per chunk: never fewer than ~8 chunks, far fewer than items.
    assert.ok(chunks >= 8 && chunks <= 200, `cheap items ran in ${chunks} chunks`);
  }
  {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    await pool.ready();
    assert.deepEqual(await pool.map('slowDouble', Array.from({ length: 40 }, () => 1)), Array.from({ length: 40 }, () => 2));
    // 10 ms per item: two probes of min(16, ceil(40 / 8)) = 5 items, then chunks of about 4 ms of work, i.e. one item each.
    assert.equal(chunksRun(pool), 2 + (40 - 10));
  }
  {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    await pool.ready();
    await pool.map('double', Array.from({ length: 100 }, (_, i) => i), { chunksize: 10 });
    assert.equal(chunksRun(pool), 10);
  }
});
