// Arguments that used to be silently wrong: a non-function waitFor predicate,
// options given to new Manager(), a Manager passed to a task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager } from '../../dist/shared/index.js';
import { checksPool, INVALID, runtime } from './helpers.ts';

const pool = checksPool;

test(`[${runtime}] Condition.waitFor() with a predicate that is not a function is a TypeError with ERR_FORKPOOL_INVALID_ARG naming it, in main and in a worker`, async () => {
  await using p = pool();
  await using m = new Manager();
  const cond = m.condition();
  await assert.rejects(cond.waitFor('x' as never), (e: Error & { code?: string }) => {
    assert.equal(`${e.name} ${e.code}`, INVALID);
    assert.match(e.message, /predicate of Condition\.waitFor\(\) to be a function, got "x"/);
    return true;
  });
  assert.equal(await p.apply('waitForBad', [cond]), INVALID);
});

test('new Manager() refuses any argument with ERR_FORKPOOL_INVALID_ARG naming it', () => {
  assert.throws(() => new Manager(...[5] as unknown as []), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /takes no arguments, got 5/ });
  assert.throws(() => new Manager(...[{ bogus: 1 }] as unknown as []), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /takes no options, got \{"bogus":1\}/ });
  const m = new Manager(...[undefined] as unknown as []);
  void m.shutdown();
});

test(`[${runtime}] a Manager passed as a task argument fails the task with DataCloneError saying to pass its objects, and the pool goes on`, async () => {
  await using p = pool();
  await using m = new Manager();
  await assert.rejects(p.apply('waitForBad', [{ m }]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_FORKPOOL_DATA_CLONE');
    assert.match(e.message, /a Manager cannot be passed to a task .* pass the shared objects it made/);
    return true;
  });
  await assert.rejects(m.list().append(m as never), { code: 'ERR_FORKPOOL_DATA_CLONE' });
  assert.equal(await p.apply('waitForBad', [m.condition()]), INVALID, 'the pool still runs tasks');
});
