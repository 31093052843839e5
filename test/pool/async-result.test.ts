import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncResult, Pool, ResultTimeoutError, CallbackError, InvalidStateError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, poolOptions } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('get(timeout) rejects with ResultTimeoutError, the task keeps running and a later get() succeeds', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('slowDouble', [21, 400]);
  await assert.rejects(r.get(20), (e) => e instanceof ResultTimeoutError && (e as ResultTimeoutError).code === 'ERR_FORKPOOL_RESULT_TIMEOUT');
  assert.equal(r.ready(), false);
  assert.equal(await r.get(), 42);
});

test('wait(timeout) resolves without rejecting, whether or not the result is ready', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const slow = pool.applyAsync('slowDouble', [1, 300]);
  await slow.wait(10);
  assert.equal(slow.ready(), false);
  const failing = pool.applyAsync('fail', ['x']);
  await failing.wait();
  assert.equal(failing.ready(), true);
  assert.equal(failing.successful(), false);
  await slow.wait();
  assert.equal(slow.ready(), true);
});

test('successful() throws before the result is ready, as in Python', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('slowDouble', [1, 200]);
  assert.throws(() => r.successful(), InvalidStateError);
  await r;
});

test('a failed AsyncResult nobody awaits does not become an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const r = pool.applyAsync('fail', ['ignored']);
    await r.wait();
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('an AsyncResult is a promise that await, Promise.resolve and Promise.all take as it is; then() gives plain promises', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('double', [21]);
  assert.ok(r instanceof Promise);
  assert.equal(Promise.resolve(r), r, 'Promise.resolve wraps it (it would for a thenable)');
  const derived = r.then((v) => v + 1);
  assert.equal(Object.getPrototypeOf(derived), Promise.prototype, 'then() returns a plain Promise, not an AsyncResult');
  assert.deepEqual(await Promise.all([r, pool.applyAsync('double', [2]), derived]), [42, 4, 43]);
  assert.equal(await r, 42);
  assert.equal(r.ready(), true);
  assert.equal(String(r), '[object AsyncResult(fulfilled)]');
  // Only the pool makes one, and Promise's own statics would construct it with an executor.
  assert.throws(() => new (AsyncResult as unknown as new (x: unknown) => unknown)(() => {}), TypeError);
  assert.throws(() => (AsyncResult as unknown as PromiseConstructor).resolve(1), TypeError);
});

test('a promise derived from a failed AsyncResult, and the promise map() returns, still report an unhandled rejection', async () => {
  // In a child process: node:test fails the test that sees an unhandled rejection itself.
  const { spawnSync } = await import('node:child_process');
  const options = await poolOptions(fixture('plain.js'), { processes: 1, runtime, logs: 'silent' });
  const script = (which: string) => `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('plain.js').href)}, ${JSON.stringify(options)});
    process.on('unhandledRejection', (e) => { console.log('unhandled: ' + e.message); process.exit(0); });
    const r = pool.applyAsync('fail', ['quiet']);
    await r.wait();
    ${which === 'then' ? "void r.then((v) => v); void pool.map('fail', ['never reached']);" : "void pool.map('fail', ['from map']);"}
    setTimeout(() => { console.log('none'); process.exit(0); }, 5000);`;
  for (const [which, expected] of [['then', 'unhandled: quiet'], ['map', 'unhandled: from map']]) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(which!)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), expected, `${which}: ${r.stdout}${r.stderr}`);
  }
});

test('a callback that throws rejects its AsyncResult with CallbackError (cause = the callback\'s error) and the pool keeps working', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const boom = new Error('callback bug');
  // Every 10th result's callback throws.
  const results = Array.from({ length: 30 }, (_, i) =>
    pool.applyAsync('double', [i], { callback: (v) => { if (v % 20 === 0) throw boom; } }));
  const settled = await Promise.allSettled(results.map((r) => r.get()));
  const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
  assert.equal(rejected.length, 3); // v = 0, 20 and 40
  for (const r of rejected) {
    assert.ok(r.reason instanceof CallbackError);
    assert.equal(r.reason.cause, boom);
  }
  assert.equal(await pool.apply('double', [50]), 100);
});

test('an errorCallback that throws rejects with CallbackError too', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('fail', ['x'], { errorCallback: () => { throw new Error('handler bug'); } });
  await assert.rejects(r.get(), (e) => e instanceof CallbackError && (e.cause as Error).message === 'handler bug');
});

test('an async callback is waited for: its rejection rejects the AsyncResult with CallbackError instead of ending the process (unhandled rejection)', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const saved: number[] = [];
  const ok = pool.applyAsync('double', [2], { callback: async (v) => { await new Promise((resolve) => setTimeout(resolve, 20)); saved.push(v); } });
  assert.equal(await ok.get(), 4);
  assert.deepEqual(saved, [4], 'the result is ready once its callback finished');
  const bad = pool.applyAsync('double', [3], { callback: async () => { throw new Error('saving the result failed'); } });
  await assert.rejects(bad.get(), (e) => e instanceof CallbackError && (e.cause as Error).message === 'saving the result failed');
  const badError = pool.applyAsync('fail', ['x'], { errorCallback: async () => { throw new Error('logging failed'); } });
  await assert.rejects(badError.get(), (e) => e instanceof CallbackError && (e.cause as Error).message === 'logging failed');
  const mapped = pool.mapAsync('double', [1, 2], { callback: async () => { throw new Error('map callback failed'); } });
  await assert.rejects(mapped.get(), (e) => e instanceof CallbackError && (e.cause as Error).message === 'map callback failed');
  assert.equal(await pool.apply('double', [50]), 100);
});

test('a callback whose result has a throwing `then` getter rejects with CallbackError instead of leaving the result pending', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const badThen = () => ({ get then(): never { throw new Error('then getter failed'); } });
  const isGetterError = (e: unknown) => e instanceof CallbackError && (e.cause as Error).message === 'then getter failed';
  await assert.rejects(pool.applyAsync('double', [1], { callback: badThen }).get(2000), isGetterError);
  await assert.rejects(pool.applyAsync('fail', ['x'], { errorCallback: badThen }).get(2000), isGetterError);
  await assert.rejects(pool.mapAsync('double', [1, 2], { callback: badThen }).get(2000), isGetterError);
  // A thenable whose `then` throws when called counts as the callback failing too.
  const throwingThen = () => ({ then() { throw new Error('then call failed'); } });
  await assert.rejects(pool.applyAsync('double', [1], { callback: throwingThen }).get(2000), (e) => e instanceof CallbackError && (e.cause as Error).message === 'then call failed');
  assert.equal(await pool.apply('double', [5]), 10);
});

test('get and wait reject a timeout that is not a number', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const r = pool.applyAsync('double', [1]);
  assert.throws(() => r.get('soon' as never), { name: 'TypeError', message: /timeoutMs.*"soon"/ });
  assert.throws(() => r.wait(-1), TypeError);
  await r;
});
