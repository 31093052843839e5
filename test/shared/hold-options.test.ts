// hold() takes acquire's options (timeout, signal), from the main process and
// from a worker: a typo is a TypeError, a timeout an AcquireTimeoutError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcquireTimeoutError, Manager } from '../../dist/shared/index.js';
import { checksPool, INVALID, runtime, outcome } from './helpers.ts';

const pool = checksPool;

test('hold({ timeout }) on a held Lock, RLock, Semaphore or Condition rejects with AcquireTimeoutError; unknown options and non-objects are TypeErrors', async () => {
  await using m = new Manager();
  const lock = m.lock(); await lock.acquire();
  const sem = m.semaphore(0);
  const cond = m.condition(); await cond.acquire();
  for (const [name, obj] of [['Lock', lock], ['Semaphore', sem], ['Condition', cond]] as const) {
    const t0 = performance.now();
    await assert.rejects(obj.hold({ timeout: 100 }), (e: Error) => {
      assert.ok(e instanceof AcquireTimeoutError);
      assert.equal((e as AcquireTimeoutError).code, 'ERR_FORKPOOL_ACQUIRE_TIMEOUT');
      assert.match(e.message, new RegExp(`${name}\\.hold\\(\\) did not get ${name === 'Semaphore' ? 'a permit' : 'the lock'} within its timeout of 100 ms`));
      return true;
    });
    assert.ok(performance.now() - t0 < 3000, `${name}.hold({ timeout: 100 }) gave up in time`);
    assert.equal(await outcome(obj.hold({ timeot: 100 } as never)), INVALID, `${name}.hold({ timeot })`);
    assert.equal(await outcome(obj.hold('nonsense' as never)), INVALID, `${name}.hold('nonsense')`);
    const ac = new AbortController();
    const pending = obj.hold({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(pending, /stop/);
  }
  // Nothing is held after the failed holds: the lock is still ours to release, once.
  await lock.release();
  assert.equal(await lock.locked(), false);
  await using held = await lock.hold({ timeout: 100 });
  assert.equal(held.previousHolderDied, false);
  assert.equal(await lock.locked(), true);
  assert.equal(await outcome(m.rlock().hold({ timeout: 0 })), 'ok');
});

test(`[${runtime}] hold() options from a worker: a timeout gives up with AcquireTimeoutError, a typo is a TypeError`, async () => {
  await using p = pool();
  await using m = new Manager();
  const lock = m.lock(); await lock.acquire();
  const sem = m.semaphore(0);
  const cond = m.condition(); await cond.acquire();
  const out = await p.apply('holdOptions', [lock, sem, cond]) as Record<string, unknown>;
  for (const name of ['lock', 'sem', 'cond']) {
    assert.equal(out[`${name} timeout`], 'AcquireTimeoutError ERR_FORKPOOL_ACQUIRE_TIMEOUT', name);
    assert.equal(out[`${name} ms`], true);
    assert.equal(out[`${name} typo`], INVALID);
    assert.equal(out[`${name} string`], INVALID);
    assert.match(String(out[`${name} signal`]), /^TimeoutError/, 'an aborted hold rejects with the signal\'s reason');
  }
});
