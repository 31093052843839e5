import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, DataCloneError, NonErrorThrownError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('Map, Set, Date, BigInt, typed arrays, Buffer and circular references survive the round trip', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const value = {
    map: new Map<unknown, unknown>([['a', 1], [2, new Set([3])]]),
    date: new Date('2020-01-02T03:04:05Z'),
    big: 2n ** 70n,
    u8: new Uint8Array([1, 2, 3]),
    f64: new Float64Array([1.5, -2]),
    circular,
  };
  const back = await pool.apply('echo', [value]);
  assert.deepEqual(back.map, value.map);
  assert.equal(back.date.getTime(), value.date.getTime());
  assert.equal(back.big, value.big);
  assert.ok(back.u8 instanceof Uint8Array);
  assert.deepEqual([...back.u8], [1, 2, 3]);
  assert.ok(back.f64 instanceof Float64Array);
  assert.equal(back.circular.self, back.circular);
});

test('a Buffer comes back as a Buffer with the same bytes', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const buf = Buffer.from('héllo wörld');
  const back = await pool.apply('echo', [buf]);
  assert.ok(Buffer.isBuffer(back) || back instanceof Uint8Array);
  assert.equal(Buffer.from(back).toString(), 'héllo wörld');
});

test('an argument that cannot be cloned fails that task alone with DataCloneError', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const bad = pool.apply('echo', [() => 1] as never);
  const good = pool.apply('double', [2]);
  await assert.rejects(bad, (e) => e instanceof DataCloneError && e.code === 'ERR_FORKPOOL_DATA_CLONE');
  assert.equal(await good, 4);
});

test('a result that cannot be cloned fails that task alone with DataCloneError', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  await assert.rejects(pool.apply('returnFunction'), (e) => e instanceof DataCloneError && /result/.test((e as Error).message));
  assert.equal(await pool.apply('double', [3]), 6);
});

test('a thrown error keeps its class name, message, own properties, cause and the worker\'s stack', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const err = await pool.apply('fail', ['nope']).catch((e) => e);
  assert.ok(err instanceof RangeError);
  assert.equal(err.name, 'RangeError');
  assert.equal(err.message, 'nope');
  assert.equal(err.code, 'E_CUSTOM');
  assert.deepEqual(err.detail, { n: 1 });
  assert.match(err.stack, /fixtures\/basic\.ts/);
  const withCause = await pool.apply('failWithCause').catch((e) => e);
  assert.equal(withCause.message, 'outer');
  assert.ok(withCause.cause instanceof TypeError);
  assert.equal(withCause.cause.message, 'inner');
});

test('an AggregateError (Promise.any) comes back as one, with its errors rebuilt', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const err = await pool.apply('failAggregate').catch((e) => e);
  assert.ok(err instanceof AggregateError, String(err));
  assert.equal(err.message, 'All promises were rejected');
  assert.equal(err.errors.length, 2);
  assert.ok(err.errors[0] instanceof TypeError);
  assert.equal(err.errors[0].message, 'first');
  assert.equal(err.errors[1], 7);
  // As the constructor makes it: not an enumerable own property.
  assert.deepEqual(Object.keys(err), []);
});

test('throwing a non-Error (string, null, undefined, object) rejects cleanly with the value', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  for (const v of ['a string', null, undefined, { plain: true }, 42]) {
    const err = await pool.apply('throwValue', [v]).catch((e) => e);
    assert.ok(err instanceof NonErrorThrownError, `for ${String(v)}`);
    assert.equal(err.code, 'ERR_FORKPOOL_NON_ERROR_THROWN');
    assert.deepEqual(err.value, v);
  }
});

test('a thrown non-Error is shown in the message short and on one line: a cycle, a long array, a long string', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const big = Array.from({ length: 100_000 }, (_, i) => i);
  const long = 'x'.repeat(10_000);
  const [e1, e2, e3] = await Promise.all([cyclic, big, long].map((v) => pool.apply('throwValue', [v]).catch((e) => e)));
  assert.equal(e1.message, 'The task threw a non-Error value: <ref *1> { a: 1, self: [Circular *1] }');
  assert.equal(e1.value.self, e1.value, 'the value itself keeps its cycle');
  assert.match(e2.message, /^The task threw a non-Error value: \[\s*0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \.\.\. 99990 more items\s*\]$/);
  assert.equal(e2.value.length, 100_000);
  assert.ok(e3.message.length < 300 && e3.message.endsWith('…'), e3.message.slice(0, 80));
  assert.equal(e3.value, long);
});

/** What a value that cannot be cloned had to cross, as DataCloneError's message says. */
const BETWEEN = runtime === 'thread' ? 'between threads' : 'between processes';

test('a result that cannot be cloned says what it had to cross: processes, or threads under the thread runtime', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const single = await pool.apply('returnFunction').catch((e: unknown) => e);
  assert.ok(single instanceof DataCloneError);
  assert.match(single.message, new RegExp(`^Could not send the result ${BETWEEN}: `));
  const chunk: string[] = [];
  for await (const s of pool.imapSettled('returnFunction', [undefined, undefined], { chunksize: 2 })) if (!s.ok) chunk.push(s.error.message);
  assert.equal(chunk.length, 2);
  for (const m of chunk) assert.match(m, new RegExp(BETWEEN));
});

test('an argument that cannot be cloned says what it had to cross: processes, or threads under the thread runtime', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const err = await pool.apply('echo', [() => 1] as never).catch((e: unknown) => e);
  assert.ok(err instanceof DataCloneError);
  assert.match(err.message, new RegExp(`^Could not send the arguments of task "echo" ${BETWEEN}: `));
});

test('an error from a worker shows both sides: the worker\'s frames and the main-process call site', async () => {
  // Single calls record their call site when asked (it costs ~15% of a cheap apply); map and imap always do.
  process.env.FORKPOOL_CALL_SITES = '1';
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  delete process.env.FORKPOOL_CALL_SITES;
  const here = /values\.test\.ts:\d+/;
  const fromApply = await pool.apply('fail', ['x']).catch((e: Error) => e);
  assert.match(fromApply.stack!, /basic\.ts:\d+/, 'the worker side');
  assert.match(fromApply.stack!, here, 'the call site');
  assert.ok(fromApply.stack!.indexOf('basic.ts') < fromApply.stack!.search(here), 'worker frames first, then the caller');
  const fromMap = await pool.map('fail', ['a', 'b'], { chunksize: 2 }).catch((e: Error) => e);
  assert.match(fromMap.stack!, here);
  for await (const s of pool.imapSettled('fail', ['c'])) assert.ok(!s.ok && here.test(s.error.stack!));
  // The same error is not extended twice (a chunk's one error is shared by its items).
  assert.equal(fromApply.stack!.split(here).length, 2);
});

test('without FORKPOOL_CALL_SITES a single call records no call site (it would cost every apply), a map still does', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const here = /values\.test\.ts:\d+/;
  const fromApply = await pool.apply('fail', ['x']).catch((e: Error) => e);
  assert.doesNotMatch(fromApply.stack!, here);
  const fromMap = await pool.map('fail', ['x']).catch((e: Error) => e);
  assert.match(fromMap.stack!, here);
});
